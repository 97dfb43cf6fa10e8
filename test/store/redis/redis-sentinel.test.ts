// The Redis store behind real Sentinels: the master freezes mid-stream (SIGSTOP, then SIGKILL once
// the Sentinels have promoted the replica); every join and leave completes on the new master, none
// lost or counted twice, and the scripts reload there (a promoted replica has an empty script cache).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRedisStore, type RedisStore } from '../../../src/store/redis/redis-store.js';
import type { Periods } from '../../../src/store/store.js';
import { type RedisSentinel, startRedisSentinel } from '../../support/redis-sentinel.js';
import { until } from '../../support/until.js';
import { READING } from './harness.js';

const SITE = 'news';
const DAY: Periods = { day: '2026-11-26', month: '2026-11', hour: '2026-11-26T09+07:00', minute: '2026-11-26T09:41+07:00', yesterday: '2026-11-25' };
const JOINS = 60;
const LEAVES = 10;

describe('redis store behind Sentinel', { timeout: 60_000 }, () => {
  let sentinel: RedisSentinel;
  let store: RedisStore;
  const warnings: string[] = [];

  before(async () => {
    sentinel = await startRedisSentinel();
    store = await createRedisStore({
      redis: sentinel.target,
      keyPrefix: 'hc',
      sites: [SITE],
      presenceTtlMs: 30_000,
      visitWindowMs: 30 * 60_000,
      clock: Date.now,
      logger: { warn: (_, msg) => warnings.push(msg) },
    });
  });
  after(async () => {
    await store?.close();
    await sentinel?.stop();
  });

  it('keeps counting through a failover, nothing lost or doubled', async (t) => {
    const join = (i: number) => store.join({ site: SITE, psid: `page-${i}`, identity: `visitor-${i}`, visitor: `visitor-${i}`, kind: 'guest', now: Date.now(), periods: DAY, ...READING });
    const master = await sentinel.master();
    const oldMaster = master.port;

    const joins: Promise<unknown>[] = [];
    const leaves: Promise<void>[] = [];
    let frozenAt = 0;
    for (let i = 0; i < JOINS; i++) {
      joins.push(join(i));
      if (i === 20) {
        process.kill(master.pid, 'SIGSTOP'); // commands already sent hang unanswered, like a wedged machine
        frozenAt = Date.now();
      }
      // Leaves of pages that joined before the freeze, sent while the master is frozen.
      if (i > 20 && i <= 20 + LEAVES) leaves.push(joins[i - 20]!.then(() => store.leave(SITE, `page-${i - 20}`, Date.now())));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await sentinel.failedOver(oldMaster);
    await master.kill(); // the frozen master is gone for good
    await Promise.all([...joins, ...leaves]);
    const recoveredIn = Date.now() - frozenAt;
    t.diagnostic(`every join and leave done ${recoveredIn} ms after the master froze`);
    // Reads fail fast while their own connection is still reconnecting, which may outlast the
    // command connection's: the figures are read once the store says it is ready again.
    await until('the store to be ready on the new master', () => store.ping().then(() => true, () => false), 10_000);

    const counts = await store.read(SITE, DAY);
    assert.deepEqual(counts.pageviews, { total: JOINS, today: JOINS, month: JOINS, yesterday: 0 });
    assert.deepEqual(counts.visits, { total: JOINS, today: JOINS, month: JOINS, yesterday: 0 });
    assert.equal(counts.online.guest, JOINS - LEAVES);
    const [minute] = await store.history(SITE, 'minute', [DAY.minute]);
    assert.deepEqual([minute!.pageviews, minute!.visits], [JOINS, JOINS], 'the history counts each join once too');
    assert.deepEqual(await join(1), { pageview: false, visit: false }, 'a page that left during the failover resumes');
    assert.ok(recoveredIn < 15_000, `recovered in ${recoveredIn} ms`);
    assert.notEqual(await sentinel.masterPort(), oldMaster);
  });
});
