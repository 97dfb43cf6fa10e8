// An instance paused past its presence TTL (SIGSTOP, as a long GC pause, a frozen VM or a stopped
// container would): the other instance reaps its pages while it is paused; once it runs again it finds
// it was reaped and re-joins the pages it still holds as resumes, within one heartbeat, counted once.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import type { Counts } from '../../src/protocol.js';
import { GroundTruth, readInstance, recordedHello, tryReadInstance } from '../support/ground-truth.js';
import { startHeadcount, type HeadcountProcess } from '../support/headcount.js';
import { eventually, PageClient } from '../support/page-client.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { startAll } from '../support/start-all.js';

const PRESENCE_TTL_MS = 1_500;
/** Socket pings: slow enough that a pong delayed on a loaded machine does not drop a page. */
const HEARTBEAT_INTERVAL_MS = 1_000;
/** The store's heartbeat, which finds that the instance was reaped, runs every PRESENCE_TTL_MS / 3. */
const STORE_HEARTBEAT_MS = PRESENCE_TTL_MS / 3;
const PAUSE_MS = 2 * PRESENCE_TTL_MS;
const PAGES_PER_INSTANCE = 4;

describe('an instance paused past its presence TTL', { timeout: 30_000 }, () => {
  let redis: RedisServer;
  let a: HeadcountProcess;
  let b: HeadcountProcess;
  const clients: PageClient[] = [];

  before(async () => {
    redis = await startRedisServer();
    const env = { REDIS_URL: redis.url, PRESENCE_TTL_MS: String(PRESENCE_TTL_MS), HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_INTERVAL_MS), HTTP_REQUESTS_PER_MINUTE: '1000000' };
    [a, b] = await startAll(startHeadcount({ env }), startHeadcount({ env }));
  });
  after(async () => {
    a?.child.kill('SIGCONT');
    for (const client of clients) client.socket.terminate();
    await Promise.all([a?.dispose(), b?.dispose()]);
    await redis?.stop();
  });

  it('leaves the counts while paused, re-joins its open pages as resumes after SIGCONT, and counts nothing twice', async (t) => {
    const truth = new GroundTruth();
    const start = (await readInstance('b', b.url)).counts;
    const onlineOn = async (hc: HeadcountProcess) => (await tryReadInstance('b', hc.url))?.counts;
    const guests = (expected: number) => (c: Counts | undefined) => c?.online.guests === start.online.guests + expected;

    const open = async (hc: HeadcountProcess, i: number) => {
      const client = await PageClient.open(hc.wsUrl);
      clients.push(client);
      const welcome = await recordedHello(truth, client, { url: `http://localhost:3000/bai/${i % 2}.html` });
      assert.equal(welcome?.resumed, false);
      return { client, psid: welcome.psid };
    };
    const onA = await Promise.all(Array.from({ length: PAGES_PER_INSTANCE }, (_, i) => open(a, i)));
    const onB = await Promise.all(Array.from({ length: PAGES_PER_INSTANCE }, (_, i) => open(b, i)));
    await eventually(() => onlineOn(b), guests(2 * PAGES_PER_INSTANCE));

    // Paused right after A pinged its pages: their pongs arrive while it is stopped and are still unread
    // when it runs again, where its first ping tick must not take them for dead peers.
    await once(onA[0]!.client.socket, 'ping');
    const pausedAt = Date.now();
    a.child.kill('SIGSTOP');
    // B reaps A once A's presence expired and B's heartbeat noticed: within 4/3 of the TTL.
    await eventually(() => onlineOn(b), guests(PAGES_PER_INSTANCE), PAUSE_MS);
    t.diagnostic(`A's pages left the counts ${Date.now() - pausedAt} ms after SIGSTOP (TTL ${PRESENCE_TTL_MS} ms)`);
    // One of A's pages closes while A is paused: A hears of it only once it runs again, and must not revive it.
    const closing = onA.pop()!;
    closing.client.socket.close(1000);
    truth.left(closing.psid);
    const remaining = Math.max(0, pausedAt + PAUSE_MS - Date.now());
    await new Promise((resolve) => setTimeout(resolve, remaining));
    assert.equal((await readInstance('b', b.url)).counts.online.guests, start.online.guests + PAGES_PER_INSTANCE, 'A stays reaped while paused');

    const resumedAt = Date.now();
    a.child.kill('SIGCONT');
    const back = await eventually(() => onlineOn(b), guests(2 * PAGES_PER_INSTANCE - 1), 5_000).catch((error: Error) => {
      const open = onA.filter(({ client }) => client.socket.readyState === client.socket.OPEN).length;
      throw new Error(`${error.message}\n${open} of A's ${onA.length} pages still open; A printed:\n${a.output()}`);
    });
    const rejoinMs = Date.now() - resumedAt;
    t.diagnostic(`B counted A's ${PAGES_PER_INSTANCE - 1} open pages again ${rejoinMs} ms after SIGCONT (store heartbeat every ${STORE_HEARTBEAT_MS} ms)`);
    assert.ok(rejoinMs <= STORE_HEARTBEAT_MS + 1_000, `re-joined ${rejoinMs} ms after SIGCONT`);
    assert.equal(back?.pageviews.total, start.pageviews.total + 2 * PAGES_PER_INSTANCE, 'the re-join counts no pageview');
    assert.equal(back?.visits.total, start.visits.total + 2 * PAGES_PER_INSTANCE, 'nor a visit');
    // More heartbeats of A: nothing more to re-join, nothing counted again, and the page closed meanwhile stays gone.
    await new Promise((resolve) => setTimeout(resolve, 2 * STORE_HEARTBEAT_MS));
    const steady = await Promise.all([readInstance('a', a.url), readInstance('b', b.url)]);
    assert.deepEqual(truth.check(steady, { before: start, settled: false }).violations, []);
    assert.equal(steady[0]!.counts.online.guests, start.online.guests + 2 * PAGES_PER_INSTANCE - 1);
    for (const { client } of onA) assert.equal(client.socket.readyState, client.socket.OPEN, "A's pages kept their sockets");

    for (const { client, psid } of [...onA, ...onB]) {
      await client.close();
      truth.left(psid);
    }
    await eventually(() => onlineOn(a), guests(0));
    await new Promise((resolve) => setTimeout(resolve, PRESENCE_TTL_MS));
    const settled = await Promise.all([readInstance('a', a.url), readInstance('b', b.url)]);
    const verdict = truth.check(settled, { before: start, settled: true });
    assert.deepEqual(verdict.violations, []);
    assert.equal(verdict.stored, 2 * PAGES_PER_INSTANCE);
  });
});
