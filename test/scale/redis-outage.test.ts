// Redis stopped for 30 s while two instances hold pages (OUTAGE_MS; longer than the presence TTL is what
// the mechanism needs): sockets stay open, the stats API answers at
// once with the last figures marked stale, hellos wait for Redis up to REDIS_PENDING_JOINS (then
// 1013), and every pageview and visit of the outage is counted once Redis is back, none twice.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { CloseCode } from '../../src/protocol.js';
import { startHeadcount, type HeadcountProcess } from '../support/headcount.js';
import { startAll } from '../support/start-all.js';
import { startInProcess } from '../support/in-process.js';
import { eventually, isWelcome, PageClient } from '../support/page-client.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

const OUTAGE_MS = 30_000;
const PRESENCE_TTL_MS = 1_500;
const PENDING_JOINS = 3;

interface Stats {
  online: { guests: number };
  visits: { total: number };
  pageviews: { total: number };
  stale?: true;
}

describe('Redis stopped while instances hold pages', { timeout: 120_000 }, () => {
  let redis: RedisServer;
  let a: HeadcountProcess;
  let b: HeadcountProcess;
  const pages: PageClient[] = [];
  const page = async (hc: HeadcountProcess) => {
    const client = await PageClient.open(hc.wsUrl);
    pages.push(client);
    return client;
  };
  const get = async (hc: HeadcountProcess, path: string) => {
    const started = performance.now();
    const res = await fetch(`${hc.url}${path}`);
    return { status: res.status, body: (await res.json()) as Stats, ms: performance.now() - started };
  };
  const stats = async (hc: HeadcountProcess) => (await get(hc, '/api/sites/demo/stats')).body;
  const session = () => ({ vid: randomUUID(), psid: randomUUID() });
  const hello = (s: { vid: string; psid: string }) => ({ t: 'hello', site: 'demo', ...s, url: 'http://localhost:3000/bai-viet.html' });

  before(async () => {
    redis = await startRedisServer({ appendonly: true });
    const env = {
      REDIS_URL: redis.url,
      PRESENCE_TTL_MS: String(PRESENCE_TTL_MS),
      HEARTBEAT_INTERVAL_MS: '500',
      REDIS_PENDING_JOINS: String(PENDING_JOINS),
      HTTP_REQUESTS_PER_MINUTE: '1000000',
    };
    [a, b] = await startAll(startHeadcount({ env }), startHeadcount({ env }));
  });
  after(async () => {
    for (const p of pages) p.socket.terminate();
    await Promise.all([a?.dispose(), b?.dispose()]);
    await redis?.stop();
  });

  it('keeps sockets, answers at once, and counts the outage once Redis is back', async (t) => {
    const early = await Promise.all([a, a, a, b, b].map(async (hc) => {
      const client = await page(hc);
      await client.hello(session());
      return client;
    }));
    for (const hc of [a, b]) await eventually(() => stats(hc), (s) => s.pageviews.total === 5 && s.online.guests === 5);

    await redis.kill('SIGTERM');
    const downAt = Date.now();
    await sleep(1_100); // past the stats reader's 1 s cache

    for (const hc of [a, b]) {
      const { status, body, ms } = await get(hc, '/api/sites/demo/stats');
      assert.equal(status, 200);
      assert.equal(body.stale, true, 'the last figures, marked stale');
      assert.equal(body.pageviews.total, 5);
      assert.ok(ms < 100, `stats answered in ${ms.toFixed(1)} ms`);
      assert.equal((await get(hc, '/readyz')).status, 503);
      assert.equal((await get(hc, '/healthz')).status, 200);
    }

    // Hellos during the outage: the first PENDING_JOINS wait for Redis, the rest are told to retry.
    const waiting = await Promise.all(Array.from({ length: PENDING_JOINS }, async () => {
      const client = await page(a);
      client.send(hello(session()));
      return client;
    }));
    await sleep(100);
    const refusedSession = session();
    const refused = await page(a);
    refused.send(hello(refusedSession));
    assert.equal((await refused.closed).code, CloseCode.tryAgainLater);
    const burst = await Promise.all(Array.from({ length: 20 }, async () => {
      const client = await page(a);
      client.send(hello(session()));
      return client.closed;
    }));
    assert.ok(burst.every((closed) => closed.code === CloseCode.tryAgainLater), 'the wait list stays bounded');

    // Pages leave during the outage: an early one, and one still waiting for its welcome.
    await early[0]!.close();
    await waiting[PENDING_JOINS - 1]!.close();

    await sleep(Math.max(0, downAt + OUTAGE_MS - Date.now()));
    for (const client of [...early.slice(1), ...waiting.slice(0, -1)]) assert.equal(client.socket.readyState, WebSocket.OPEN);
    assert.ok(waiting.every((client) => !client.messages.some(isWelcome)), 'no welcome before the join is stored');
    assert.equal(a.child.exitCode, null);
    assert.equal(b.child.exitCode, null);

    await redis.restart();
    const upAt = Date.now();
    for (const client of waiting.slice(0, -1)) assert.equal((await client.next(isWelcome, 10_000)).resumed, false);
    t.diagnostic(`welcomes ${Date.now() - upAt} ms after Redis came back`);
    assert.equal((await (await page(a)).hello(refusedSession)).resumed, false, 'the refused page, retrying, counts now');

    // 5 before + 3 waited (one of them closed) + 1 retried; 5 - 1 + 2 + 1 open.
    const expected = { pageviews: 9, visits: 9, online: 7 };
    const figures = (s: Stats) => ({ pageviews: s.pageviews.total, visits: s.visits.total, online: s.online.guests });
    for (const hc of [a, b]) assert.deepEqual(figures(await eventually(() => stats(hc), (s) => !s.stale && s.pageviews.total >= 9)), expected);
    // Two presence TTLs later: no instance reaped another for its silence during the outage, nothing counted twice.
    await sleep(2 * PRESENCE_TTL_MS + 500);
    for (const hc of [a, b]) assert.deepEqual(figures(await stats(hc)), expected);
  });

  it('answers 503 at once when it has no figures to fall back on', async () => {
    const fresh = await startInProcess({ REDIS_URL: redis.url, KEY_PREFIX: 'never-read' });
    try {
      await redis.kill('SIGTERM');
      const started = performance.now();
      const { status, body, headers } = await fresh.stats();
      assert.ok(performance.now() - started < 100);
      assert.equal(status, 503);
      assert.deepEqual(body, { error: 'store unavailable' });
      assert.equal(headers.get('retry-after'), '5');
      assert.equal(headers.get('access-control-allow-origin'), '*', 'a widget on another origin can read why');
    } finally {
      await redis.restart();
      await fresh.stop();
    }
  });
});
