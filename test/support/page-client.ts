// A scripted page that speaks docs/protocol.md, for tests: connect, hello, wait for welcome/counts/close.
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { ClientMessage, CountsMessage, HelloMessage, ServerMessage, WelcomeMessage } from '../../src/protocol.js';

export const PAGE_ORIGIN = 'http://localhost:3000';

export interface Closed {
  code: number;
  reason: string;
}

export class PageClient {
  readonly messages: ServerMessage[] = [];
  readonly closed: Promise<Closed>;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()) as ServerMessage);
      this.waiters.splice(0).forEach((wake) => wake());
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static open(wsUrl: string, site = 'demo', origin: string | null = PAGE_ORIGIN, headers: Record<string, string> = {}): Promise<PageClient> {
    const socket = new WebSocket(`${wsUrl}?site=${encodeURIComponent(site)}`, { headers: { ...(origin ? { origin } : {}), ...headers } });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new PageClient(socket)));
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk));
        res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body}`), { status: res.statusCode, body })));
      });
    });
  }

  send(message: ClientMessage | Record<string, unknown>): void {
    this.socket.send(JSON.stringify(message));
  }

  /** Waits for the next server message matching `predicate` (or the first already received after `from`). */
  async next<T extends ServerMessage>(predicate: (m: ServerMessage) => m is T, timeoutMs = 3_000, from = 0): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(predicate);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async hello(fields: Partial<HelloMessage> = {}): Promise<WelcomeMessage> {
    const from = this.messages.length;
    this.send({ t: 'hello', site: 'demo', vid: randomUUID(), psid: randomUUID(), url: 'http://localhost:3000/bai-viet.html', ...fields });
    return this.next(isWelcome, 3_000, from);
  }

  close(): Promise<Closed> {
    this.socket.close(1000);
    return this.closed;
  }
}

export const isWelcome = (m: ServerMessage): m is WelcomeMessage => m.t === 'welcome';
export const isCounts = (m: ServerMessage): m is CountsMessage => m.t === 'counts';

/** Polls `read` until `check` passes or the deadline; returns the last value. */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!check(value)) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 25));
    value = await read();
  }
  return value;
}
