// Instances whose clocks disagree by 60 s on one Redis. Presence expiry is written and compared in
// Redis's clock (TIME inside the heartbeat, join and reap scripts), so an instance behind neither looks
// dead to the others nor keeps a dead one's pages online for the difference; and the heartbeat of an
// instance ahead does not cut the others' visit windows short. The skewed instances run in this
// process with a moved clock (test/support/in-process.ts); the real-clock ones are child processes.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { GroundTruth, readInstance, recordedHello, tryReadInstance, type Reading } from '../support/ground-truth.js';
import { startHeadcount, type HeadcountProcess } from '../support/headcount.js';
import { startInProcess, type InProcess } from '../support/in-process.js';
import { eventually, PageClient } from '../support/page-client.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { startAll } from '../support/start-all.js';

const SKEW_MS = 60_000;
/** Long enough that a heartbeat delayed on a loaded machine is not taken for a dead instance. */
const PRESENCE_TTL_MS = 2_000;
/** A crashed instance's pages leave once its presence expired and a survivor's heartbeat (every TTL/3) noticed. */
const CRASH_BOUND_MS = (PRESENCE_TTL_MS * 4) / 3;
const PAGES = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('instances whose clocks differ by 60 s', { timeout: 30_000 }, () => {
  let redis: RedisServer;
  const env = (prefix: string, extra: Record<string, string> = {}) => ({
    REDIS_URL: redis.url, KEY_PREFIX: prefix, PRESENCE_TTL_MS: String(PRESENCE_TTL_MS), HEARTBEAT_INTERVAL_MS: '300', HTTP_REQUESTS_PER_MINUTE: '1000000', ...extra,
  });
  const skewed: InProcess[] = [];
  const children: HeadcountProcess[] = [];
  const clients: PageClient[] = [];
  const inProcess = async (prefix: string, skewMs: number, extra?: Record<string, string>) => {
    const hc = await startInProcess(env(prefix, extra));
    skewed.push(hc);
    hc.advance(skewMs);
    return { hc, url: `http://127.0.0.1:${hc.server.port}` };
  };
  const child = async (prefix: string) => {
    const hc = await startHeadcount({ env: env(prefix) });
    children.push(hc);
    return hc;
  };
  const page = async (wsUrl: string) => {
    const client = await PageClient.open(wsUrl);
    clients.push(client);
    return client;
  };
  /** A page session says hello on `wsUrl` (again, to resume it, when `session` is given). */
  const open = async (truth: GroundTruth, wsUrl: string, session: { psid: string; vid: string } = { psid: randomUUID(), vid: randomUUID() }) => {
    const client = await page(wsUrl);
    const welcome = await recordedHello(truth, client, session);
    assert.ok(welcome, 'welcomed');
    return { client, ...session, resumed: welcome.resumed };
  };

  /** Real-clock instances, started together: the pair's one (killed), and the visit-window test's. */
  let real: HeadcountProcess;
  let realShortWindow: HeadcountProcess;
  const shortWindow = { VISIT_WINDOW_MINUTES: '1' };

  before(async () => {
    redis = await startRedisServer();
    [real, realShortWindow] = await startAll(startHeadcount({ env: env('hc-skew') }), startHeadcount({ env: env('hc-ahead', shortWindow) }));
    children.push(real, realShortWindow);
  });
  after(async () => {
    for (const client of clients) client.socket.terminate();
    await Promise.all([...children.map((hc) => hc.dispose()), ...skewed.map((hc) => hc.stop())]);
    await redis?.stop();
  });

  it('neither reaps the other, a dead one is reaped within 4/3 TTL by the one behind, no ghosts, counts exact', async (t) => {
    const truth = new GroundTruth();
    const behind = await inProcess('hc-skew', -SKEW_MS);
    /** Both instances' readings, without one that could not answer on a loaded machine. */
    const read = async (): Promise<Reading[]> => (await Promise.all([tryReadInstance('behind', behind.url), tryReadInstance('real', real.url)])).filter((r) => r !== undefined);
    const start = (await readInstance('behind', behind.url)).counts;
    const guests = (n: number) => (r: Reading | undefined) => r?.counts.online.guests === start.online.guests + n;

    const onBehind = await Promise.all(Array.from({ length: PAGES }, () => open(truth, behind.hc.wsUrl)));
    const onReal = await Promise.all(Array.from({ length: PAGES }, () => open(truth, real.wsUrl)));
    assert.ok([...onBehind, ...onReal].every((p) => !p.resumed));
    await eventually(() => tryReadInstance('real', real.url), guests(2 * PAGES));

    // With expiry in either instance's clock, the real one would reap the one behind at its first heartbeat.
    const until = Date.now() + 2 * PRESENCE_TTL_MS;
    while (Date.now() < until) {
      const readings = await read();
      for (const r of readings) assert.equal(r.counts.online.guests, start.online.guests + 2 * PAGES, `${r.instance} still counts every page`);
      assert.deepEqual(truth.check(readings, { before: start, settled: false }).violations, []);
      await sleep(100);
    }

    // With expiry in the dead instance's clock, the one behind would keep its pages for 60 s.
    const killedAt = Date.now();
    await real.stop('SIGKILL');
    await Promise.all(onReal.map(({ client }) => client.closed));
    await eventually(() => tryReadInstance('behind', behind.url), guests(PAGES), CRASH_BOUND_MS + 2_000);
    const reapedMs = Date.now() - killedAt;
    t.diagnostic(`the instance 60 s behind reaped the dead one's pages ${reapedMs} ms after kill -9 (TTL ${PRESENCE_TTL_MS} ms)`);
    assert.ok(reapedMs <= CRASH_BOUND_MS + 500, `reaped after ${reapedMs} ms`);

    // The dead instance's pages come back on the one behind and resume: no pageview, no visit.
    // A real-clock instance again, for the instances to agree at the end (only now: it would reap the dead one itself).
    const starting = child('hc-skew');
    const moved = [];
    for (const { psid, vid } of onReal) moved.push(await open(truth, behind.hc.wsUrl, { psid, vid }));
    assert.ok(moved.every((p) => p.resumed));
    for (const { client, psid } of [...onBehind, ...moved]) {
      await client.close();
      truth.left(psid);
    }
    await eventually(() => tryReadInstance('behind', behind.url), guests(0));
    const [again] = await Promise.all([starting, sleep(PRESENCE_TTL_MS)]);
    const verdict = truth.check(await Promise.all([readInstance('behind', behind.url), readInstance('real', again.url)]), { before: start, settled: true });
    assert.deepEqual(verdict.violations, []);
    assert.equal(verdict.stored, 2 * PAGES);
  });

  it("an instance 60 s ahead does not end the others' visit windows early", async () => {
    // A one-minute visit window: pruning by the clock 60 s ahead alone would drop every closed page at once.
    const truth = new GroundTruth();
    const ahead = await inProcess('hc-ahead', SKEW_MS, shortWindow);
    const real = realShortWindow;
    const start = (await readInstance('real', real.url)).counts;
    const closed: { psid: string; vid: string }[] = [];
    for (let i = 0; i < PAGES; i++) {
      const { client, psid, vid, resumed } = await open(truth, real.wsUrl);
      assert.equal(resumed, false);
      await client.close();
      truth.left(psid);
      closed.push({ psid, vid });
    }
    // Several heartbeats of the instance ahead (every TTL/3) run meanwhile.
    await sleep(PRESENCE_TTL_MS);
    for (const session of closed) {
      const { client, resumed } = await open(truth, real.wsUrl, session);
      assert.equal(resumed, true, 'reopened within its visit window: a resume, not a new pageview');
      await client.close();
    }
    await eventually(() => tryReadInstance('ahead', ahead.url), (r) => r?.counts.online.guests === 0);
    const verdict = truth.check(await Promise.all([readInstance('ahead', ahead.url), readInstance('real', real.url)]), { before: start, settled: true });
    assert.deepEqual(verdict.violations, []);
    assert.equal(verdict.stored, PAGES);
  });
});
