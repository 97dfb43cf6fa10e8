// The only reader of process.env: every setting is parsed, validated and frozen here,
// so a typo stops start-up with the variable's name instead of surfacing later.

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly redisUrl: string | undefined;
  readonly sitesFile: string | undefined;
  readonly adminToken: string | undefined;
  readonly dataDir: string;
  readonly keyPrefix: string;
  readonly visitWindowMs: number;
  readonly heartbeatIntervalMs: number;
  readonly presenceTtlMs: number;
  readonly helloTimeoutMs: number;
  readonly pushCoalesceMs: number;
  readonly logLevel: string;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function redisUrl(env: Env): string | undefined {
  const raw = text(env, 'REDIS_URL');
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('REDIS_URL', `not a URL: "${raw}" (expected redis://host:port/db)`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError('REDIS_URL', `expected a redis:// or rediss:// URL, got "${url.protocol}"`);
  }
  return raw;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env = process.env): Config {
  const keyPrefix = text(env, 'KEY_PREFIX') ?? 'hc';
  if (!/^[A-Za-z0-9_.:-]{1,32}$/.test(keyPrefix)) {
    throw new ConfigError('KEY_PREFIX', 'use 1-32 letters, digits or _ . : - (no braces: they are the Redis Cluster hash tag)');
  }
  const adminToken = text(env, 'ADMIN_TOKEN');
  if (adminToken !== undefined && adminToken.length < 16) {
    throw new ConfigError('ADMIN_TOKEN', 'must be at least 16 characters');
  }
  const logLevel = text(env, 'LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}`);
  const heartbeatIntervalMs = integer(env, 'HEARTBEAT_INTERVAL_MS', 15_000, 100, 300_000);
  const presenceTtlMs = integer(env, 'PRESENCE_TTL_MS', 30_000, 300, 600_000);
  return Object.freeze({
    port: integer(env, 'PORT', 8080, 0, 65_535),
    host: text(env, 'HOST') ?? '0.0.0.0',
    redisUrl: redisUrl(env),
    sitesFile: text(env, 'SITES_FILE'),
    adminToken,
    dataDir: text(env, 'DATA_DIR') ?? 'data',
    keyPrefix,
    visitWindowMs: integer(env, 'VISIT_WINDOW_MINUTES', 30, 1, 24 * 60) * 60_000,
    heartbeatIntervalMs,
    presenceTtlMs,
    helloTimeoutMs: integer(env, 'HELLO_TIMEOUT_MS', 5_000, 100, 60_000),
    pushCoalesceMs: integer(env, 'PUSH_COALESCE_MS', 250, 0, 10_000),
    logLevel,
  });
}
