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
  ] as const) {
    it(`stops on an invalid ${name} (${value}) and names it`, () => {
      assert.throws(() => loadConfig({ [name]: value }), (error: unknown) => error instanceof ConfigError && error.variable === name && message.test(error.message));
    });
  }
});
