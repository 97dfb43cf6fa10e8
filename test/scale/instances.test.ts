// Many instances on one Redis, without sticky sessions, as `npm start` runs them (child processes):
// one visitor's tabs on two instances count once, a widget on one instance sees a join on another,
// and the instance faults: kill -9, SIGTERM, and a frozen page process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CloseCode, type CountsMessage } from '../../src/protocol.js';
import { startHeadcount, type HeadcountProcess } from '../support/headcount.js';
import { startAll } from '../support/start-all.js';
import { eventually, isCounts, PageClient, PAGE_ORIGIN } from '../support/page-client.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

const PRESENCE_TTL_MS = 1_500;
const HEARTBEAT_INTERVAL_MS = 300;
/** A crashed instance's pages leave once its presence expired and a survivor's heartbeat (every TTL/3) noticed. */
const CRASH_BOUND_MS = (PRESENCE_TTL_MS * 4) / 3;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// A page in its own process, so it can be frozen with SIGSTOP: it says hello and then idles.
const PAGE_PROCESS = `
import WebSocket from 'ws';
const [url, origin, hello] = JSON.parse(process.argv[1]);
const socket = new WebSocket(url + '?site=demo', { headers: { origin } });
socket.on('open', () => socket.send(JSON.stringify(hello)));
socket.on('message', (data) => JSON.parse(data).t === 'welcome' && process.stdout.write('welcome\\n'));
`;

interface Stats {
  online: { guests: number; members: number; total: number; bots: number };
  visits: { total: number };
  pageviews: { total: number };
}

describe('many instances on one Redis', { timeout: 60_000 }, () => {
  let redis: RedisServer;
  let a: HeadcountProcess;
  let b: HeadcountProcess;
  const extra: HeadcountProcess[] = [];
  const pages: PageClient[] = [];
  const env = () => ({
    REDIS_URL: redis.url,
    PRESENCE_TTL_MS: String(PRESENCE_TTL_MS),
    HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_INTERVAL_MS),
    HTTP_REQUESTS_PER_MINUTE: '1000000',
  });
  const stats = async (hc: HeadcountProcess): Promise<Stats> => (await fetch(`${hc.url}/api/sites/demo/stats`)).json() as Promise<Stats>;
  const page = async (hc: HeadcountProcess) => {
    const client = await PageClient.open(hc.wsUrl);
    pages.push(client);
    return client;
  };
  const instance = async () => {
    const hc = await startHeadcount({ env: env() });
    extra.push(hc);
    return hc;
  };

  before(async () => {
    redis = await startRedisServer();
    [a, b] = await startAll(startHeadcount({ env: env() }), startHeadcount({ env: env() }));
  });
  after(async () => {
    for (const p of pages) p.socket.terminate();
    await Promise.all([a, b, ...extra].map((hc) => hc?.dispose()));
    await redis?.stop();
  });

  it('counts one visitor with tabs on two instances once; a widget on one sees a join on the other within a second', async (t) => {
    const widget = await page(b);
    widget.send({ t: 'sub', on: true });
    const first = await widget.next(isCounts);
    const baseline = await stats(a);

    const vid = randomUUID();
    const tab1 = await page(a);
    const sentAt = Date.now();
    await tab1.hello({ vid });
    const seen = await widget.next((m): m is CountsMessage => isCounts(m) && m.online.guests === first.online.guests + 1, 1_000);
    const latency = Date.now() - sentAt;
    assert.ok(latency < 1_000, `widget on B saw the join on A after ${latency} ms`);
    t.diagnostic(`widget on B saw the join on A ${latency} ms after the hello`);
    assert.equal(seen.pageviews.total, baseline.pageviews.total + 1);

    const tab2 = await page(b);
    await tab2.hello({ vid });
    for (const hc of [a, b]) {
      const now = await eventually(() => stats(hc), (s) => s.pageviews.total === baseline.pageviews.total + 2);
      assert.equal(now.online.guests, baseline.online.guests + 1, 'two tabs, one visitor');
      assert.equal(now.visits.total, baseline.visits.total + 1);
    }
    await tab1.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await stats(b)).online.guests, baseline.online.guests + 1, 'still online in the tab on B');
    await tab2.close();
    await eventually(() => stats(a), (s) => s.online.guests === baseline.online.guests);
  });

  it('a page that reconnects to another instance while its old socket is open: the old one closes with 4409, counts unchanged', async (t) => {
    const baseline = await stats(a);
    const session = { vid: randomUUID(), psid: randomUUID() };
    const old = await page(a);
    assert.equal((await old.hello(session)).resumed, false);
    await eventually(() => stats(b), (s) => s.pageviews.total === baseline.pageviews.total + 1);

    const movedAt = Date.now();
    const moved = await page(b);
    assert.equal((await moved.hello(session)).resumed, true);
    const closed = await Promise.race([old.closed, new Promise<undefined>((resolve) => setTimeout(resolve, 1_000))]);
    assert.deepEqual(closed, { code: CloseCode.replaced, reason: 'page session reconnected elsewhere' }, 'the old socket on A closed within 1 s');
    t.diagnostic(`the old socket on A closed ${Date.now() - movedAt} ms after the hello on B`);
    const now = await eventually(() => stats(a), (s) => s.online.guests === baseline.online.guests + 1);
    assert.equal(now.pageviews.total, baseline.pageviews.total + 1);
    assert.equal(now.visits.total, baseline.visits.total + 1);
    await moved.close();
    await eventually(() => stats(a), (s) => s.online.guests === baseline.online.guests);
  });

  it(`kill -9 of an instance: its pages leave within PRESENCE_TTL_MS * 4/3 (${CRASH_BOUND_MS} ms here), totals stay, and they resume elsewhere`, async (t) => {
    const victim = await instance();
    const baseline = await stats(a);
    const sessions = Array.from({ length: 3 }, () => ({ vid: randomUUID(), psid: randomUUID() }));
    const held = await Promise.all(sessions.map(async (s) => {
      const client = await page(victim);
      assert.equal((await client.hello(s)).resumed, false);
      return client;
    }));
    await eventually(() => stats(a), (s) => s.online.guests === baseline.online.guests + 3);

    const killedAt = Date.now();
    await victim.stop('SIGKILL');
    await Promise.all(held.map((client) => client.closed));
    // One page comes back at once on another instance (no sticky sessions); the others later.
    assert.equal((await (await page(b)).hello(sessions[0])).resumed, true);
    const reaped = await eventually(() => stats(a), (s) => s.online.guests === baseline.online.guests + 1, CRASH_BOUND_MS + 2_000);
    const tookMs = Date.now() - killedAt;
    assert.ok(tookMs <= CRASH_BOUND_MS + 500, `the crashed instance's pages left after ${tookMs} ms`);
    t.diagnostic(`the crashed instance's pages left the counts ${tookMs} ms after kill -9`);
    assert.equal(reaped.pageviews.total, baseline.pageviews.total + 3, 'totals intact');
    assert.equal(reaped.visits.total, baseline.visits.total + 3);

    for (const s of sessions.slice(1)) assert.equal((await (await page(a)).hello(s)).resumed, true);
    const resumed = await eventually(() => stats(b), (s) => s.online.guests === baseline.online.guests + 3);
    assert.equal(resumed.pageviews.total, baseline.pageviews.total + 3, 'reconnects add no pageviews');
    assert.equal(resumed.visits.total, baseline.visits.total + 3, 'reconnects add no visits');
  });

  it('SIGTERM: stops accepting, closes pages with 1012, ends their sessions at once and exits in time', async (t) => {
    const leaving = await instance();
    const baseline = await stats(a);
    const held = await Promise.all(Array.from({ length: 3 }, async () => {
      const client = await page(leaving);
      await client.hello();
      return client;
    }));
    await eventually(() => stats(a), (s) => s.online.guests === baseline.online.guests + 3);

    const signalledAt = Date.now();
    const exited = leaving.stop('SIGTERM');
    for (const closed of await Promise.all(held.map((client) => client.closed))) assert.equal(closed.code, CloseCode.serviceRestart);
    await assert.rejects(PageClient.open(leaving.wsUrl), 'no new connections once pages are told to go');
    assert.equal(await exited, 0);
    const tookMs = Date.now() - signalledAt;
    assert.ok(tookMs < 3_000, `exited ${tookMs} ms after SIGTERM`);
    t.diagnostic(`exited ${tookMs} ms after SIGTERM`);
    // Its sessions ended on the way out, not one presence timeout later.
    const now = await eventually(() => stats(a), (s) => s.online.guests === baseline.online.guests, 500);
    assert.equal(now.pageviews.total, baseline.pageviews.total + 3);
  });

  it('drops a frozen page process (SIGSTOP) by the heartbeat, and it leaves the counts', async (t) => {
    const baseline = await stats(a);
    const hello = { t: 'hello', site: 'demo', vid: randomUUID(), psid: randomUUID(), url: 'http://localhost:3000/bai-viet.html' };
    const child = spawn(process.execPath, ['--input-type=module', '-e', PAGE_PROCESS, JSON.stringify([a.wsUrl, PAGE_ORIGIN, hello])], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await once(child.stdout!, 'data');
      await eventually(() => stats(a), (s) => s.online.guests === baseline.online.guests + 1);
      const frozenAt = Date.now();
      child.kill('SIGSTOP');
      await eventually(() => stats(a), (s) => s.online.guests === baseline.online.guests, 4 * HEARTBEAT_INTERVAL_MS + 1_000);
      const tookMs = Date.now() - frozenAt;
      assert.ok(tookMs <= 2 * HEARTBEAT_INTERVAL_MS + 500, `the frozen page left after ${tookMs} ms`);
      t.diagnostic(`the frozen page left the counts ${tookMs} ms after SIGSTOP (ping every ${HEARTBEAT_INTERVAL_MS} ms)`);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
