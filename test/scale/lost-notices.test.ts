// Change notices lost between instances: Redis pub/sub delivers at most once, so a notice published
// while an instance's subscriber reconnects never arrives. Widgets (count subscriptions) on instance B
// must still converge to the stored figures while pages come and go on instance A: after B's
// subscriber is killed (CLIENT KILL TYPE pubsub), and when A's notices fail without any disconnect.
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { after, before, describe, it } from 'node:test';
import type { Counts } from '../../src/protocol.js';
import { GroundTruth, readInstance, recordedHello, tryReadInstance } from '../support/ground-truth.js';
import { startHeadcount, type HeadcountProcess } from '../support/headcount.js';
import { eventually, isCounts, PageClient } from '../support/page-client.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { startAll } from '../support/start-all.js';

/** Long enough that the heartbeat's re-read (every TTL/3 = 5 s) cannot pass for the resync after a reconnect. */
const PRESENCE_TTL_MS = 15_000;
const PUSH_COALESCE_MS = 250;
/** After the subscriber is back: its reconnect (ioredis retries after 100 ms), a read, one coalescing delay. */
const RECONNECT_BOUND_MS = 1_500;
/** A notice lost with no disconnect: the next heartbeat's re-read, a coalescing delay, and slack. */
const SILENT_BOUND_MS = PRESENCE_TTL_MS / 3 + PUSH_COALESCE_MS + 1_000;
const WIDGETS = 5;
const KILLS = 5;
/** A's Redis user: ACL rules can take PUBLISH away from it without touching its connections. */
const USER = 'hc-a';

const figures = (c: Counts) => JSON.stringify({ online: c.online, pageviews: c.pageviews.total, visits: c.visits.total });

describe('lost change notices', { timeout: 40_000 }, () => {
  let redis: RedisServer;
  let admin: Redis;
  let a: HeadcountProcess;
  let b: HeadcountProcess;
  const widgets: PageClient[] = [];
  const pages = new Map<string, PageClient>();
  const truth = new GroundTruth();
  let start: Counts;

  before(async () => {
    redis = await startRedisServer();
    admin = new Redis(redis.url);
    await admin.acl('SETUSER', USER, 'on', '>secret', '~*', '&*', '+@all');
    const env = { PRESENCE_TTL_MS: String(PRESENCE_TTL_MS), PUSH_COALESCE_MS: String(PUSH_COALESCE_MS), HTTP_REQUESTS_PER_MINUTE: '1000000' };
    [a, b] = await startAll(
      startHeadcount({ env: { ...env, REDIS_URL: `redis://${USER}:secret@127.0.0.1:${redis.port}` } }),
      startHeadcount({ env: { ...env, REDIS_URL: redis.url } }),
    );
    for (let i = 0; i < WIDGETS; i++) {
      const widget = await PageClient.open(b.wsUrl);
      widget.send({ t: 'sub', on: true });
      await widget.next(isCounts);
      widgets.push(widget);
    }
    start = (await readInstance('a', a.url)).counts;
  });
  after(async () => {
    for (const client of [...widgets, ...pages.values()]) client.socket.terminate();
    await Promise.all([a?.dispose(), b?.dispose()]);
    admin?.disconnect();
    await redis?.stop();
  });

  /** One page comes on A, and (if any) the oldest leaves cleanly. */
  const churn = async () => {
    const client = await PageClient.open(a.wsUrl);
    const welcome = await recordedHello(truth, client);
    assert.ok(welcome, 'the page was welcomed');
    pages.set(welcome.psid, client);
    if (pages.size > 3) {
      const [psid, oldest] = pages.entries().next().value!;
      pages.delete(psid);
      await oldest.close();
      truth.left(psid);
    }
  };
  /** Subscribers of the change notices now. */
  const listening = async () => ((await admin.pubsub('NUMSUB', 'hc:changes')) as [string, number])[1];
  /** A's figures once it stored every change made (every open page online), then how long until every widget on B shows them. */
  const converged = async (since: number, bound: number): Promise<number> => {
    const stored = await eventually(() => tryReadInstance('a', a.url), (r) => r?.counts.online.guests === start.online.guests + pages.size);
    const want = figures(stored!.counts);
    const last = (widget: PageClient) => widget.messages.filter(isCounts).at(-1)!;
    await eventually(async () => widgets.map((w) => figures(last(w))), (shown) => shown.every((f) => f === want), bound + 2_000);
    return Date.now() - since;
  };

  it(`converges within ${RECONNECT_BOUND_MS} ms after B's subscriber connection is killed, ${KILLS} times over`, async (t) => {
    const times: number[] = [];
    let lost = 0;
    for (let round = 0; round < KILLS; round++) {
      await eventually(listening, (n) => n === 2); // both subscribers are back from the round before
      const killed = await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      assert.equal(killed, 2, `CLIENT KILL TYPE pubsub killed ${killed} connections, not A's and B's subscribers`);
      // One page comes and one goes at once, before B's subscriber is back (ioredis waits 100 ms to
      // reconnect): A's notice of this last change of the round reaches nobody on B.
      await churn();
      const changedAt = Date.now();
      if ((await listening()) < 2) lost++;
      const took = await converged(changedAt, RECONNECT_BOUND_MS);
      times.push(took);
      assert.ok(took <= RECONNECT_BOUND_MS, `widgets on B converged ${took} ms after the last change of round ${round + 1}`);
    }
    t.diagnostic(`widgets on B converged ${times.join(', ')} ms after the last change, ${lost} of ${KILLS} rounds made while B was not subscribed`);
    assert.ok(lost > 0, 'at least one round changed the counts while B was not subscribed');
    const verdict = truth.check(await Promise.all([readInstance('a', a.url), readInstance('b', b.url)]), { before: start, settled: false });
    assert.deepEqual(verdict.violations, []);
  });

  it(`converges within PRESENCE_TTL_MS / 3 + PUSH_COALESCE_MS (+1 s slack: ${SILENT_BOUND_MS} ms) when A's notices fail without a disconnect`, async (t) => {
    await admin.acl('SETUSER', USER, '-publish');
    try {
      for (let i = 0; i < 3; i++) await churn();
      const changedAt = Date.now();
      const took = await converged(changedAt, SILENT_BOUND_MS);
      t.diagnostic(`widgets on B converged ${took} ms after the last change, with A unable to publish`);
      assert.ok(took <= SILENT_BOUND_MS, `widgets on B converged ${took} ms after the last change`);
    } finally {
      await admin.acl('SETUSER', USER, '+publish');
    }

    for (const [psid, client] of pages) {
      await client.close();
      truth.left(psid);
    }
    pages.clear();
    await converged(Date.now(), RECONNECT_BOUND_MS);
    const verdict = truth.check(await Promise.all([readInstance('a', a.url), readInstance('b', b.url)]), { before: start, settled: true });
    assert.deepEqual(verdict.violations, []);
  });
});
