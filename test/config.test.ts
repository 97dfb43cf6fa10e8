import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('has defaults that run a single instance on the embedded store', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.redisUrl, undefined);
    assert.equal(config.dataDir, 'data');
    assert.equal(config.keyPrefix, 'hc');
    assert.equal(config.visitWindowMs, 30 * 60_000);
    assert.deepEqual([config.memberTokenLeewayMs, config.memberSessionMaxMs, config.maxPagesPerMinute], [30_000, 12 * 3600_000, 20]);
    assert.equal(config.livePagesMax, 10_000);
    assert.equal(loadConfig({ LIVE_PAGES_MAX: '500' }).livePagesMax, 500);
    assert.deepEqual(loadConfig({}).historyRetention, { minuteDays: 8, hourDays: 400 });
    assert.deepEqual(loadConfig({ HISTORY_MINUTE_DAYS: '2', HISTORY_HOUR_DAYS: '1000' }).historyRetention, { minuteDays: 2, hourDays: 1000 });
    assert.deepEqual(config.slowReader, { bytes: 65_536, ms: 10_000 });
    assert.deepEqual(loadConfig({ SLOW_READER_BYTES: '1048576', SLOW_READER_MS: '0' }).slowReader, { bytes: 1_048_576, ms: 0 });
    assert.ok(Object.isFrozen(config));
  });

  it('reads every documented variable', () => {
    const config = loadConfig({
      PORT: '9000',
      REDIS_URL: 'redis://127.0.0.1:6380/2',
      SITES_FILE: '/etc/headcount/sites.json',
      ADMIN_TOKEN: 'a-long-admin-token-123',
      DATA_DIR: '/var/lib/headcount',
      KEY_PREFIX: 'news',
      VISIT_WINDOW_MINUTES: '45',
    });
    assert.equal(config.port, 9000);
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6380/2');
    assert.equal(config.sitesFile, '/etc/headcount/sites.json');
    assert.equal(config.adminToken, 'a-long-admin-token-123');
    assert.equal(config.dataDir, '/var/lib/headcount');
    assert.equal(config.keyPrefix, 'news');
    assert.equal(config.visitWindowMs, 45 * 60_000);
  });

  for (const [name, value, message] of [
    ['PORT', 'eighty', /PORT: expected a whole number/],
    ['PORT', '70000', /PORT: must be between 0 and 65535/],
    ['REDIS_URL', 'localhost:6379', /REDIS_URL/],
    ['REDIS_URL', 'http://localhost:6379', /REDIS_URL: expected a redis:\/\//],
    ['KEY_PREFIX', 'hc{x}', /KEY_PREFIX/],
    ['ADMIN_TOKEN', 'short', /ADMIN_TOKEN: must be at least 16/],
    ['VISIT_WINDOW_MINUTES', '0', /VISIT_WINDOW_MINUTES/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL/],
    ['MEMBER_TOKEN_LEEWAY_S', '301', /MEMBER_TOKEN_LEEWAY_S: must be between 0 and 300/],
    ['MEMBER_SESSION_MAX_S', '59', /MEMBER_SESSION_MAX_S: must be between 60 and 604800/],
    ['MAX_PAGES_PER_MINUTE', '0', /MAX_PAGES_PER_MINUTE: must be between 1/],
    ['LIVE_PAGES_MAX', '0', /LIVE_PAGES_MAX: must be between 1/],
    ['LIVE_PAGES_MAX', 'many', /LIVE_PAGES_MAX/],
    ['SLOW_READER_BYTES', '1023', /SLOW_READER_BYTES: must be between 1024 and 67108864/],
    ['SLOW_READER_MS', '600001', /SLOW_READER_MS: must be between 0 and 600000/],
    ['HISTORY_MINUTE_DAYS', '32', /HISTORY_MINUTE_DAYS: must be between 1/],
    ['HISTORY_HOUR_DAYS', '0', /HISTORY_HOUR_DAYS: must be between 1/],
    ['PUBLIC_URL', 'stats.example.vn', /PUBLIC_URL: not a URL/],
    ['PUBLIC_URL', 'ftp://stats.example.vn', /PUBLIC_URL: expected an http/],
    ['PUBLIC_URL', 'https://stats.example.vn/?x=1', /PUBLIC_URL: expected an http/],
  ] as const) {
    it(`stops on an invalid ${name} (${value}) and names it`, () => {
      assert.throws(() => loadConfig({ [name]: value }), (error: unknown) => error instanceof ConfigError && error.variable === name && message.test(error.message));
    });
  }

  it('reads PUBLIC_URL without its trailing slash, unset by default', () => {
    assert.equal(loadConfig({}).publicUrl, undefined);
    assert.equal(loadConfig({ PUBLIC_URL: 'https://stats.example.vn/' }).publicUrl, 'https://stats.example.vn');
    assert.equal(loadConfig({ PUBLIC_URL: 'https://example.vn/headcount//' }).publicUrl, 'https://example.vn/headcount');
  });

  it('reads a Redis Cluster, a Sentinel set-up and the number of workers', () => {
    assert.deepEqual(loadConfig({ REDIS_URL: 'redis://h:1' }).redis, { kind: 'url', url: 'redis://h:1' });
    const cluster = loadConfig({ REDIS_CLUSTER_NODES: 'redis-a:7000, 10.0.0.2:7001,[::1]:7002', REDIS_PASSWORD: 'secret', WORKERS: 'auto' });
    assert.deepEqual(cluster.redis, {
      kind: 'cluster',
      nodes: [{ host: 'redis-a', port: 7000 }, { host: '10.0.0.2', port: 7001 }, { host: '::1', port: 7002 }],
      password: 'secret',
    });
    assert.ok(cluster.workers >= 1);
    assert.equal(cluster.redisUrl, undefined);
    const sentinel = loadConfig({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_NAME: 'mymaster', WORKERS: '4', REDIS_PENDING_JOINS: '500' });
    assert.deepEqual(sentinel.redis, {
      kind: 'sentinel',
      sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }],
      name: 'mymaster',
      password: undefined,
      sentinelPassword: undefined,
    });
    assert.equal(sentinel.workers, 4);
    assert.equal(sentinel.redisPendingJoins, 500);
    assert.equal(loadConfig({}).workers, 1);
    assert.equal(loadConfig({ WORKERS: '1' }).workers, 1, 'one worker needs no Redis');
  });

  it('reads trusted proxies and the HTTP timeouts', () => {
    assert.deepEqual(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::/8' }).trustProxy, ['loopback', '10.0.0.0/8', 'fd00::/8']);
    assert.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
    assert.deepEqual(loadConfig({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '75000', HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '5000' }).http, {
      keepAliveTimeoutMs: 75_000,
      headersTimeoutMs: 5_000,
      requestTimeoutMs: 5_000,
    });
  });

  for (const [env, name, message] of [
    [{ REDIS_URL: 'redis://h:1', REDIS_CLUSTER_NODES: 'h:2' }, 'REDIS_CLUSTER_NODES', /only one of/],
    [{ REDIS_CLUSTER_NODES: 'h:2', REDIS_SENTINELS: 'h:3', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINELS', /only one of/],
    [{ REDIS_CLUSTER_NODES: 'h' }, 'REDIS_CLUSTER_NODES', /host:port/],
    [{ REDIS_CLUSTER_NODES: 'h:0' }, 'REDIS_CLUSTER_NODES', /host:port/],
    [{ REDIS_SENTINELS: 'h:26379' }, 'REDIS_SENTINEL_NAME', /required/],
    [{ REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINEL_NAME', /only applies/],
    [{ REDIS_URL: 'redis://h:1', REDIS_PASSWORD: 'x' }, 'REDIS_PASSWORD', /REDIS_URL/],
    [{ REDIS_CLUSTER_NODES: 'h:2', REDIS_SENTINEL_PASSWORD: 'x' }, 'REDIS_SENTINEL_PASSWORD', /only applies/],
    [{ WORKERS: '2' }, 'WORKERS', /needs a Redis store.*embedded store/],
    [{ WORKERS: 'auto' }, 'WORKERS', /needs a Redis store/],
    [{ REDIS_URL: 'redis://h:1', WORKERS: 'many' }, 'WORKERS', /auto or a whole number/],
    [{ REDIS_URL: 'redis://h:1', WORKERS: '0' }, 'WORKERS', /auto or a whole number/],
    [{ REDIS_URL: 'redis://h:1', REDIS_PENDING_JOINS: '0' }, 'REDIS_PENDING_JOINS', /between/],
    [{ TRUST_PROXY: '10.0.0.0/99' }, 'TRUST_PROXY', /invalid range on address: 10\.0\.0\.0\/99/],
    [{ TRUST_PROXY: 'loopback, 999.1.1.1' }, 'TRUST_PROXY', /invalid IP address: 999\.1\.1\.1/],
    [{ TRUST_PROXY: '::1/129' }, 'TRUST_PROXY', /invalid range/],
    [{ TRUST_PROXY: 'proxy.internal' }, 'TRUST_PROXY', /not an address, CIDR/],
    [{ HTTP_HEADERS_TIMEOUT_MS: '40000' }, 'HTTP_HEADERS_TIMEOUT_MS', /must not exceed HTTP_REQUEST_TIMEOUT_MS \(30000\)/],
    [{ HTTP_KEEP_ALIVE_TIMEOUT_MS: 'long' }, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', /whole number/],
    [{ HTTP_REQUEST_TIMEOUT_MS: '50' }, 'HTTP_REQUEST_TIMEOUT_MS', /between/],
  ] as const) {
    it(`stops on ${JSON.stringify(env)} and names ${name}`, () => {
      assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigError && error.variable === name && message.test(error.message));
    });
  }
});
