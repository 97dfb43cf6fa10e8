// The only reader of process.env: every setting is parsed, validated and frozen here,
// so a typo stops start-up with the variable's name instead of surfacing later.
import { availableParallelism } from 'node:os';
import proxyaddr from 'proxy-addr';
import { DEFAULT_HISTORY_RETENTION, DEFAULT_MAX_LIVE_PAGES, type HistoryRetention } from './store/store.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Where the Redis store lives: one server, a Redis Cluster, or the master a set of Sentinels names. */
export type RedisTarget =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'cluster'; readonly nodes: readonly HostPort[]; readonly password?: string | undefined }
  | {
      readonly kind: 'sentinel';
      readonly sentinels: readonly HostPort[];
      readonly name: string;
      readonly password?: string | undefined;
      readonly sentinelPassword?: string | undefined;
    };

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly redisUrl: string | undefined;
  /** From REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS; undefined: the embedded store. */
  readonly redis: RedisTarget | undefined;
  /** Joins that may wait for Redis at once during an outage, per process; more are told to retry. */
  readonly redisPendingJoins: number;
  /** Processes sharing the port (node:cluster workers); more than one needs a Redis store. */
  readonly workers: number;
  readonly sitesFile: string | undefined;
  readonly adminToken: string | undefined;
  /** When set, GET /metrics wants `Authorization: Bearer METRICS_TOKEN`. */
  readonly metricsToken: string | undefined;
  readonly dataDir: string;
  readonly keyPrefix: string;
  readonly visitWindowMs: number;
  readonly heartbeatIntervalMs: number;
  readonly presenceTtlMs: number;
  readonly helloTimeoutMs: number;
  readonly pushCoalesceMs: number;
  /** A socket with more unsent than `bytes` is skipped by pushes, and closed once that lasted `ms`. */
  readonly slowReader: { readonly bytes: number; readonly ms: number };
  readonly logLevel: string;
  /** Express "trust proxy": which hops' X-Forwarded-For to believe; false = use the socket address. */
  readonly trustProxy: boolean | number | string[];
  readonly maxSocketsPerIp: number;
  readonly maxMessagesPerMinute: number;
  readonly httpRequestsPerMinute: number;
  readonly memberTokenMaxLifetimeMs: number;
  /** Node's HTTP server timeouts; keep-alive above the load balancer's idle timeout (often 60 s). */
  readonly http: { readonly keepAliveTimeoutMs: number; readonly headersTimeoutMs: number; readonly requestTimeoutMs: number };
  /** Clock difference tolerated between a site's backend and Headcount when checking token times. */
  readonly memberTokenLeewayMs: number;
  /** A member session (token, then resume tickets) ends this long after the token was verified. */
  readonly memberSessionMaxMs: number;
  /** `page` messages per socket: navigation is human-paced, each one is a stored pageview. */
  readonly maxPagesPerMinute: number;
  /** Distinct pages a site may have live at once; further pages are counted under "(other)". */
  readonly livePagesMax: number;
  /** How long the per-minute and per-hour history is kept; days and months are kept for ever. */
  readonly historyRetention: HistoryRetention;
  /** The address readers reach this server at (PUBLIC_URL, no trailing slash), for share links and the
   * dashboard address; unset: http://localhost:PORT. */
  readonly publicUrl: string | undefined;
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

/** "host:port,host:port": IPv6 hosts in brackets. */
function hostPorts(env: Env, name: string): HostPort[] | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  return raw.split(',').map((entry) => {
    const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(entry.trim());
    const port = Number(match?.[3]);
    if (!match || port < 1 || port > 65_535) throw new ConfigError(name, `expected host:port[,host:port...], got "${entry.trim()}"`);
    return { host: match[1] ?? match[2]!, port };
  });
}

function redisTarget(env: Env): RedisTarget | undefined {
  const url = redisUrl(env);
  const nodes = hostPorts(env, 'REDIS_CLUSTER_NODES');
  const sentinels = hostPorts(env, 'REDIS_SENTINELS');
  const given = [url && 'REDIS_URL', nodes && 'REDIS_CLUSTER_NODES', sentinels && 'REDIS_SENTINELS'].filter((name) => name !== undefined);
  if (given.length > 1) throw new ConfigError(given[1]!, `set only one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS, not ${given.join(' and ')}`);
  const only = (name: string, applies: boolean, where: string) => {
    const value = text(env, name);
    if (value !== undefined && !applies) throw new ConfigError(name, `only applies with ${where}`);
    return value;
  };
  const password = only('REDIS_PASSWORD', !!(nodes || sentinels), 'REDIS_CLUSTER_NODES or REDIS_SENTINELS (put a single server\'s password in REDIS_URL)');
  const sentinelPassword = only('REDIS_SENTINEL_PASSWORD', !!sentinels, 'REDIS_SENTINELS');
  const name = only('REDIS_SENTINEL_NAME', !!sentinels, 'REDIS_SENTINELS');
  if (url) return { kind: 'url', url };
  if (nodes) return { kind: 'cluster', nodes, password };
  if (sentinels) {
    if (name === undefined) throw new ConfigError('REDIS_SENTINEL_NAME', 'required with REDIS_SENTINELS: the master name the Sentinels monitor, e.g. mymaster');
    return { kind: 'sentinel', sentinels, name, password, sentinelPassword };
  }
  return undefined;
}

/** "auto" (one per core) or a count; the embedded store lives in one process, so more needs Redis. */
function workers(env: Env, redis: RedisTarget | undefined): number {
  const raw = text(env, 'WORKERS');
  if (raw === undefined) return 1;
  const count = raw === 'auto' ? availableParallelism() : /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(count >= 1 && count <= 256)) throw new ConfigError('WORKERS', `expected auto or a whole number from 1 to 256, got "${raw}"`);
  if (raw !== '1' && redis === undefined) {
    throw new ConfigError('WORKERS', `WORKERS=${raw} needs a Redis store (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS): the embedded store works in one process only`);
  }
  return count;
}

/** "false" (default), a hop count, or a comma list of addresses, CIDRs or the names loopback/linklocal/uniquelocal. */
function trustProxy(env: Env): boolean | number | string[] {
  const raw = text(env, 'TRUST_PROXY');
  if (raw === undefined || raw === 'false') return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  const list = raw.split(',').map((entry) => entry.trim());
  for (const entry of list) {
    if (!/^(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)$/.test(entry)) {
      throw new ConfigError('TRUST_PROXY', `"${entry}" is not an address, CIDR, loopback, linklocal or uniquelocal`);
    }
  }
  // The shape passes for 10.0.0.0/99 or 999.1.1.1: compiling it as Express and client-address.ts do finds those.
  try {
    proxyaddr.compile(list);
  } catch (error) {
    throw new ConfigError('TRUST_PROXY', `${error instanceof Error ? error.message : String(error)} (in "${raw}")`);
  }
  return list;
}

/** A bearer token: unset, or long enough that guessing it is hopeless. */
function token(env: Env, name: string): string | undefined {
  const value = text(env, name);
  if (value !== undefined && value.length < 16) throw new ConfigError(name, 'must be at least 16 characters');
  return value;
}

/** Node requires headersTimeout <= requestTimeout; said here with the variables' names. */
function httpTimeouts(env: Env): Config['http'] {
  const keepAliveTimeoutMs = integer(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 65_000, 100, 3_600_000);
  const headersTimeoutMs = integer(env, 'HTTP_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000);
  const requestTimeoutMs = integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS', `must not exceed HTTP_REQUEST_TIMEOUT_MS (${requestTimeoutMs}), got ${headersTimeoutMs}`);
  }
  return Object.freeze({ keepAliveTimeoutMs, headersTimeoutMs, requestTimeoutMs });
}

/** An http(s) origin with an optional path prefix, no query, fragment or credentials. */
function publicUrl(env: Env): string | undefined {
  const raw = text(env, 'PUBLIC_URL');
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('PUBLIC_URL', `not a URL: "${raw}" (expected e.g. https://stats.example.vn)`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigError('PUBLIC_URL', `expected an http:// or https:// address without query, fragment or credentials, got "${raw}"`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env = process.env): Config {
  const keyPrefix = text(env, 'KEY_PREFIX') ?? 'hc';
  if (!/^[A-Za-z0-9_.:-]{1,32}$/.test(keyPrefix)) {
    throw new ConfigError('KEY_PREFIX', 'use 1-32 letters, digits or _ . : - (no braces: they are the Redis Cluster hash tag)');
  }
  const adminToken = token(env, 'ADMIN_TOKEN');
  const logLevel = text(env, 'LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}`);
  const heartbeatIntervalMs = integer(env, 'HEARTBEAT_INTERVAL_MS', 15_000, 100, 300_000);
  const presenceTtlMs = integer(env, 'PRESENCE_TTL_MS', 30_000, 300, 600_000);
  const redis = redisTarget(env);
  return Object.freeze({
    port: integer(env, 'PORT', 8080, 0, 65_535),
    host: text(env, 'HOST') ?? '0.0.0.0',
    redisUrl: redis?.kind === 'url' ? redis.url : undefined,
    redis,
    redisPendingJoins: integer(env, 'REDIS_PENDING_JOINS', 10_000, 1, 1_000_000),
    workers: workers(env, redis),
    sitesFile: text(env, 'SITES_FILE'),
    adminToken,
    metricsToken: token(env, 'METRICS_TOKEN'),
    dataDir: text(env, 'DATA_DIR') ?? 'data',
    keyPrefix,
    visitWindowMs: integer(env, 'VISIT_WINDOW_MINUTES', 30, 1, 24 * 60) * 60_000,
    heartbeatIntervalMs,
    presenceTtlMs,
    helloTimeoutMs: integer(env, 'HELLO_TIMEOUT_MS', 5_000, 100, 60_000),
    pushCoalesceMs: integer(env, 'PUSH_COALESCE_MS', 250, 0, 10_000),
    slowReader: Object.freeze({
      bytes: integer(env, 'SLOW_READER_BYTES', 65_536, 1_024, 67_108_864),
      ms: integer(env, 'SLOW_READER_MS', 10_000, 0, 600_000),
    }),
    logLevel,
    trustProxy: trustProxy(env),
    // Carrier-grade NAT puts thousands of Vietnamese mobile readers behind one address: keep this high.
    maxSocketsPerIp: integer(env, 'MAX_SOCKETS_PER_IP', 5_000, 1, 1_000_000),
    maxMessagesPerMinute: integer(env, 'MAX_MESSAGES_PER_MINUTE', 120, 1, 100_000),
    httpRequestsPerMinute: integer(env, 'HTTP_REQUESTS_PER_MINUTE', 1_200, 1, 10_000_000),
    memberTokenMaxLifetimeMs: integer(env, 'MEMBER_TOKEN_MAX_LIFETIME_S', 900, 10, 86_400) * 1_000,
    http: httpTimeouts(env),
    memberTokenLeewayMs: integer(env, 'MEMBER_TOKEN_LEEWAY_S', 30, 0, 300) * 1_000,
    memberSessionMaxMs: integer(env, 'MEMBER_SESSION_MAX_S', 43_200, 60, 604_800) * 1_000,
    maxPagesPerMinute: integer(env, 'MAX_PAGES_PER_MINUTE', 20, 1, 10_000),
    livePagesMax: integer(env, 'LIVE_PAGES_MAX', DEFAULT_MAX_LIVE_PAGES, 1, 1_000_000),
    historyRetention: Object.freeze({
      minuteDays: integer(env, 'HISTORY_MINUTE_DAYS', DEFAULT_HISTORY_RETENTION.minuteDays, 1, 31),
      hourDays: integer(env, 'HISTORY_HOUR_DAYS', DEFAULT_HISTORY_RETENTION.hourDays, 1, 1_000),
    }),
    publicUrl: publicUrl(env),
  });
}
