// Hellos while Redis is unreachable: one refused at REDIS_PENDING_JOINS leaves nothing behind (no page
// session, no leave waiting for Redis, no heap), a cookieless guest waits like any other hello and gets
// the same salt on every instance, and SIGTERM does not wait for Redis.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CloseCode } from '../../src/protocol.js';
import { startHeadcount } from '../support/headcount.js';
import { startInProcess, type InProcess } from '../support/in-process.js';
import { eventually, isWelcome, PageClient } from '../support/page-client.js';
import { heapAfterGc } from '../support/heap.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

const PENDING_JOINS = 3;
const REFUSED = 2_000;
const ORIGIN = 'http://localhost:3000';
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

describe('hellos while Redis is unreachable', { timeout: 60_000 }, () => {
  let redis: RedisServer;
  let dir: string;
  let sitesFile: string;
  const pages: PageClient[] = [];
  const open = async (wsUrl: string, site = 'open', headers: Record<string, string> = {}) => {
    const page = await PageClient.open(wsUrl, site, ORIGIN, headers);
    pages.push(page);
    return page;
  };
  let n = 0;
  const hello = (page: PageClient, site = 'open') => {
    n++;
    page.send({ t: 'hello', site, vid: `visitor-${n}-${Date.now()}`, psid: `page-${n}-${Date.now()}`, url: `${ORIGIN}/a.html` });
  };
  const env = () => ({ REDIS_URL: redis.url, SITES_FILE: sitesFile, REDIS_PENDING_JOINS: String(PENDING_JOINS), PRESENCE_TTL_MS: '1500', TRUST_PROXY: 'loopback' });
  /** Until the store sees the outage, commands still go to the dead socket. */
  const outage = async (hc: InProcess) => {
    await redis.kill('SIGTERM');
    await eventually(() => hc.store.ping().then(() => 'up', (error: Error) => error.message), (m) => /unreachable/.test(m), 5_000);
  };

  before(async () => {
    redis = await startRedisServer();
    dir = mkdtempSync(join(tmpdir(), 'outage-sites-'));
    sitesFile = join(dir, 'sites.json');
    writeFileSync(sitesFile, JSON.stringify({ sites: [
      { id: 'open', origins: [ORIGIN], memberSecret: 'o'.repeat(32) },
      { id: 'quiet', origins: [ORIGIN], memberSecret: 'q'.repeat(32), cookieless: true },
    ] }));
  });
  after(async () => {
    for (const page of pages) page.socket.terminate();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a hello refused at REDIS_PENDING_JOINS leaves no page session, no leave and no heap behind', async (t) => {
    const hc = await startInProcess(env());
    try {
      const store = hc.store;
      let leaves = 0;
      const leave = store.leave.bind(store);
      store.leave = (...args) => {
        leaves++;
        return leave(...args);
      };
      await outage(hc);
      const waiting = await Promise.all(Array.from({ length: PENDING_JOINS }, async () => {
        const page = await open(hc.wsUrl);
        hello(page);
        return page;
      }));
      await sleep(100);

      const before = await heapAfterGc();
      for (let batch = 0; batch < REFUSED / 50; batch++) {
        const closed = await Promise.all(Array.from({ length: 50 }, async () => {
          const page = await PageClient.open(hc.wsUrl, 'open', ORIGIN);
          hello(page);
          return page.closed;
        }));
        assert.ok(closed.every((c) => c.code === CloseCode.tryAgainLater), 'refused: try again later');
      }
      const perHello = ((await heapAfterGc()) - before) / REFUSED;
      t.diagnostic(`heap kept per refused hello: ${perHello.toFixed(0)} B (${REFUSED} refused)`);
      assert.equal(leaves, 0, 'no leave queued for a refused hello');
      assert.ok(perHello < 2_000, `${perHello.toFixed(0)} B of heap kept per refused hello`);

      // A page that closes while its join waits still leaves, once the join is stored.
      await waiting[PENDING_JOINS - 1]!.close();
      await redis.restart();
      for (const page of waiting.slice(0, -1)) assert.equal((await page.next(isWelcome, 10_000)).resumed, false);
      const stats = await eventually(() => hc.stats('open'), (s) => s.status === 200 && !s.body.stale && s.body.online.guests === PENDING_JOINS - 1, 5_000);
      assert.equal(stats.body.pageviews.total, PENDING_JOINS);
      assert.equal(leaves, 1);
    } finally {
      await hc.stop();
    }
  });

  it('holds cookieless guests like every other hello, and both instances give one browser the same salt', async () => {
    const [a, b] = [await startInProcess(env()), await startInProcess(env())];
    try {
      await outage(a);
      await eventually(() => b.store.ping().then(() => 'up', (error: Error) => error.message), (m) => /unreachable/.test(m), 5_000);
      const browser = { 'x-forwarded-for': '198.51.100.20', 'user-agent': CHROME };
      const tabs = [await open(a.wsUrl, 'quiet', browser), await open(b.wsUrl, 'quiet', browser)];
      for (const tab of tabs) hello(tab, 'quiet');
      const early = await Promise.race([Promise.race(tabs.map((tab) => tab.closed)), sleep(500, 'waiting')]);
      assert.equal(early, 'waiting', 'no cookieless hello refused while it can wait');
      await redis.restart();
      for (const tab of tabs) assert.equal((await tab.next(isWelcome, 10_000)).resumed, false);
      const stats = await eventually(() => a.stats('quiet'), (s) => s.status === 200 && !s.body.stale && s.body.pageviews.total === 2, 5_000);
      assert.equal(stats.body.online.guests, 1, 'one browser on two instances: one salt');
      assert.equal(stats.body.visits.total, 1);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('SIGTERM with hellos waiting for Redis: they get 1012 and the process exits with 0 within 2 s', async (t) => {
    const hc = await startHeadcount({ env: { ...env(), HTTP_REQUESTS_PER_MINUTE: '1000000' } });
    try {
      const welcomed = await open(hc.wsUrl);
      hello(welcomed);
      await welcomed.next(isWelcome);
      await redis.kill('SIGTERM');
      await eventually(() => fetch(`${hc.url}/readyz`).then((res) => res.status), (status) => status === 503, 5_000);
      const waiting = await Promise.all(Array.from({ length: 2 }, async () => {
        const page = await open(hc.wsUrl);
        hello(page);
        return page;
      }));
      await sleep(200);
      const signalledAt = Date.now();
      const code = await hc.stop('SIGTERM');
      const tookMs = Date.now() - signalledAt;
      t.diagnostic(`exited ${tookMs} ms after SIGTERM`);
      assert.equal(code, 0);
      assert.ok(tookMs < 2_000, `exited ${tookMs} ms after SIGTERM`);
      for (const page of [welcomed, ...waiting]) assert.equal((await page.closed).code, CloseCode.serviceRestart);
    } finally {
      await hc.dispose();
      await redis.restart();
    }
  });
});
