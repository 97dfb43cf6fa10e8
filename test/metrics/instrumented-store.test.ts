// The store latency histogram and error counter move with real stores: the embedded store (open,
// then closed) and a running service on a real redis-server that is then stopped.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { periodsAt } from '../../src/calendar.js';
import { instrumentStore } from '../../src/metrics/instrumented-store.js';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';
import { openMemoryStore } from '../../src/store/memory/memory-store.js';
import type { Store } from '../../src/store/store.js';
import { startHeadcount, type HeadcountProcess } from '../support/headcount.js';
import { eventually, PageClient } from '../support/page-client.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { openPages, parseSamples, scrape, valueOf, type Sample } from './support.js';

const DURATION_COUNT = 'headcount_store_command_duration_seconds_count';
const ERRORS = 'headcount_store_errors_total';

describe('instrumented embedded store', () => {
  let dir: string;
  let inner: Store;
  let metrics: Metrics;
  let store: Store;
  const samples = async (): Promise<Sample[]> => parseSamples(await metrics.registry.metrics());
  const periods = () => periodsAt(Date.now(), 'UTC');
  const page = { url: 'http://localhost:3000/a' };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'headcount-instrumented-'));
    inner = await openMemoryStore({ visitWindowMs: 30 * 60_000, clock: Date.now, dataDir: dir });
    metrics = createMetrics(async () => []);
    store = instrumentStore(inner, metrics);
  });
  after(async () => {
    await inner.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('times each command under its own label and passes results and change notices through', async () => {
    const changed: string[] = [];
    store.onChange((site) => changed.push(site));
    const psid = randomUUID();
    assert.deepEqual(
      await store.join({ site: 'demo', psid, identity: 'visitor-a', visitor: 'visitor-a', kind: 'guest', now: Date.now(), periods: periods(), page, source: 'direct', engaged: true }),
      { pageview: true, visit: true },
    );
    await store.setTotals('demo', { visits: 100 });
    assert.equal((await store.read('demo', periods())).visits.total, 100);
    await store.engage('demo', psid, Date.now(), { engaged: false, engagedMs: 2_000, periods: periods() });
    assert.equal((await store.live('demo', 10)).pages[0]?.url, page.url);
    assert.deepEqual(await store.readers('demo', [page.url]), [1]);
    await store.leave('demo', psid, Date.now(), { engaged: false, engagedMs: 0, periods: periods() });
    assert.equal((await store.dayPages('demo', periods().day, 10))[0]?.engagedSeconds, 2, 'the report reached the store');
    await store.importHistory('demo', 'day', [{ key: '2024-01-01', visits: 3, pageviews: 5 }]);
    assert.equal((await store.history('demo', 'day', ['2024-01-01']))[0]?.visits, 3);
    await store.ping();
    const observed = await samples();
    for (const command of ['join', 'leave', 'engage', 'read', 'live', 'readers', 'day_pages', 'history', 'import_history', 'set_totals', 'ping']) {
      assert.equal(valueOf(observed, DURATION_COUNT, { command }), 1, command);
      assert.ok(valueOf(observed, 'headcount_store_command_duration_seconds_sum', { command }) > 0, command);
      assert.equal(valueOf(observed, ERRORS, { command }), 0, command);
    }
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(changed.includes('demo'), 'change notices reach the listener');
  });

  it('counts the commands that fail, and still rejects them', async () => {
    await inner.close();
    await assert.rejects(
      store.join({ site: 'demo', psid: randomUUID(), identity: 'visitor-b', visitor: 'visitor-b', kind: 'guest', now: Date.now(), periods: periods(), page, source: 'direct', engaged: true }),
      /closed/,
    );
    await assert.rejects(store.ping(), /closed/);
    await assert.rejects(store.ping(), /closed/);
    const observed = await samples();
    assert.equal(valueOf(observed, ERRORS, { command: 'join' }), 1);
    assert.equal(valueOf(observed, ERRORS, { command: 'ping' }), 2);
    assert.equal(valueOf(observed, DURATION_COUNT, { command: 'ping' }), 3, 'failed commands are timed too');
  });
});

describe('instrumented Redis store in the running service', () => {
  let redis: RedisServer;
  let hc: HeadcountProcess;
  let pages: PageClient[] = [];

  before(async () => {
    redis = await startRedisServer();
    hc = await startHeadcount({ env: { REDIS_URL: redis.url, KEY_PREFIX: `hc-metrics-${process.pid}` } });
  });
  after(async () => {
    for (const page of pages) page.socket.terminate();
    await hc?.dispose();
    await redis?.stop();
  });

  it('times the joins and reads that pages and scrapes cause', async () => {
    pages = await openPages(hc.wsUrl, 2);
    await scrape(hc.url); // reads the per-site figures through the store
    const samples = parseSamples(await scrape(hc.url));
    assert.ok(valueOf(samples, DURATION_COUNT, { command: 'join' }) >= 2);
    assert.ok(valueOf(samples, DURATION_COUNT, { command: 'read' }) >= 1);
    assert.equal(valueOf(samples, ERRORS, { command: 'join' }), 0);
    assert.equal(valueOf(samples, 'headcount_store_up'), 1);
  });

  it('counts store errors when Redis is gone, and the scrape still answers in bounded time', async () => {
    await redis.kill();
    const ready = await fetch(`${hc.url}/readyz`);
    assert.equal(ready.status, 503);
    // Figures read within the last second are served from the stats cache: poll past it.
    const samples = await eventually(
      async () => {
        const started = Date.now();
        const text = await scrape(hc.url);
        assert.ok(Date.now() - started < 5_000, `scrape took ${Date.now() - started} ms with Redis down`);
        return parseSamples(text);
      },
      (list) => valueOf(list, 'headcount_store_up') === 0,
      10_000,
    );
    assert.ok(valueOf(samples, ERRORS, { command: 'ping' }) >= 1);
    assert.equal(samples.filter((s) => s.name === 'headcount_online_visitors').length, 0, 'no stale per-site figures');
    assert.ok(valueOf(samples, 'headcount_open_sockets') >= 0, 'per-instance metrics are still there');
  });
});
