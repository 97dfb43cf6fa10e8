// No raw IP address reaches Redis, the logs or the metrics, even with debug logging and a proxy header.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startHeadcount, type HeadcountProcess } from '../support/headcount.js';
import { PageClient } from '../support/page-client.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

const READER_IP = '203.0.113.99';

describe('privacy', () => {
  let redis: RedisServer;
  let hc: HeadcountProcess;

  before(async () => {
    redis = await startRedisServer();
    hc = await startHeadcount({ env: { REDIS_URL: redis.url, LOG_LEVEL: 'trace', TRUST_PROXY: 'loopback' } });
  });
  after(async () => {
    await hc.dispose();
    await redis.stop();
  });

  it('keeps reader addresses out of Redis, logs and metrics', async () => {
    const pages = await Promise.all([0, 1, 2].map(() => PageClient.open(hc.wsUrl, 'demo', 'http://localhost:3000', { 'x-forwarded-for': READER_IP })));
    for (const page of pages) await page.hello();
    const refused = await PageClient.open(hc.wsUrl, 'demo', 'http://localhost:3000', { 'x-forwarded-for': READER_IP });
    refused.send({ t: 'hello', site: 'demo', vid: 'short', psid: 'x', url: '/' });
    await refused.closed;
    await fetch(`${hc.url}/api/sites/nope/stats`, { headers: { 'x-forwarded-for': READER_IP } });
    await Promise.all(pages.map((p) => p.close()));

    const client = new Redis(redis.url);
    try {
      const dump: string[] = [];
      for (const key of await client.keys('*')) {
        dump.push(key);
        const type = await client.type(key);
        if (type === 'hash') dump.push(...Object.entries(await client.hgetall(key)).flat());
        else if (type === 'zset') dump.push(...(await client.zrange(key, 0, '-1')));
        else if (type === 'string') dump.push((await client.get(key)) ?? '');
      }
      assert.ok(dump.length > 10, 'the sessions left keys to inspect');
      const text = dump.join('\n');
      assert.ok(!text.includes(READER_IP) && !text.includes('127.0.0.1'), 'no address in Redis');
    } finally {
      client.disconnect();
    }
    const metrics = await (await fetch(`${hc.url}/metrics`)).text();
    assert.ok(!metrics.includes(READER_IP) && !metrics.includes('127.0.0.1'), 'no address in metrics');
    assert.ok(!hc.output().includes(READER_IP), 'no address in the logs');
  });
});
