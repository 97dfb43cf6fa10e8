// Structured logs (pino, JSON lines on stdout). Never log raw IP addresses, tokens or visitor ids.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({ level, base: undefined, redact: ['req.headers.authorization', 'member', 'ticket'] });
}
