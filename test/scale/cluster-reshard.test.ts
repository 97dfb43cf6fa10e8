// A live reshard of the site's slot under page churn: 3 masters, two Headcount instances, pages coming
// and going on both while the slot and its keys move to another master one key at a time (CLUSTER
// SETSLOT and MIGRATE, as redis-cli --cluster reshard does). Scripts meet the slot half moved (TRYAGAIN,
// ASK) and MOVED after it; no page sees more than a retried join, and the ground-truth checker holds
// with no loss allowed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Counts } from '../../src/protocol.js';
import { Churn, settledVerdict } from '../support/churn.js';
import { GroundTruth, readInstance } from '../support/ground-truth.js';
import { startHeadcount, type HeadcountProcess } from '../support/headcount.js';
import { clusterEnv, type RedisCluster, startRedisCluster } from '../support/redis-cluster.js';
import { startAll } from '../support/start-all.js';

const PRESENCE_TTL_MS = 3_000;
/** Between two keys' MIGRATEs: the slot stays half moved long enough for joins and leaves to meet it. */
const MIGRATE_PAUSE_MS = 50;
const FLOWING = 20;
const SITE_SLOT_KEY = 'hc:{demo}:tot';
const REDIRECTIONS = ['MOVED', 'ASK', 'TRYAGAIN', 'CLUSTERDOWN'] as const;

describe('a live reshard of the site\'s slot under page churn', { timeout: 60_000 }, () => {
  let cluster: RedisCluster;
  let a: HeadcountProcess;
  let b: HeadcountProcess;
  let churn: Churn;
  const truth = new GroundTruth();

  before(async () => {
    cluster = await startRedisCluster();
    const env = clusterEnv(cluster.nodes, PRESENCE_TTL_MS);
    [a, b] = await startAll(startHeadcount({ env }), startHeadcount({ env }));
  });
  after(async () => {
    await churn?.stop();
    await Promise.all([a?.dispose(), b?.dispose()]);
    await cluster?.stop();
  });

  it('moves the slot while pages come and go: joins retried within the move, nothing lost or doubled, no ghost', async (t) => {
    const before: Counts = (await readInstance('a', a.url)).counts;
    churn = new Churn(truth, [a.wsUrl, b.wsUrl], { pages: 16, holdMs: [200, 800] });
    churn.start();
    await churn.flowing(FLOWING, 20_000);

    const slot = await cluster.slotOf(SITE_SLOT_KEY);
    const from = await cluster.masterOf(slot);
    const to = cluster.servers.find((server) => server !== from)!;
    const counted = async () => {
      const all = await Promise.all([from, to].map((server) => cluster.counters(server)));
      return Object.fromEntries(REDIRECTIONS.map((name) => [name, all.reduce((sum, c) => sum + (c[`errorstat_${name}`] ?? 0), 0)]));
    };
    const earlier = await counted();
    const at = Date.now();
    const keys = await cluster.moveSlot(slot, to, { pauseMs: MIGRATE_PAUSE_MS });
    const movedIn = Date.now() - at;
    await churn.flowing(FLOWING, 10_000);
    await sleep(1_000);
    const span = Date.now() - at;
    const [calm, moving] = [churn.flow(at - span, at), churn.flow(at, at + span)];
    const met = await counted();
    const redirected = Object.fromEntries(REDIRECTIONS.map((name) => [name, met[name]! - earlier[name]!]));
    t.diagnostic(`moved slot ${slot} (${keys} keys) from ${from.port} to ${to.port} in ${movedIn} ms; redirections answered: ${JSON.stringify(redirected)}; ` +
      `longest stretch without a welcome ${moving.stallMs} ms (the same span before: ${calm.stallMs} ms), longest wait for a welcome ${moving.longestWaitMs} ms (before: ${calm.longestWaitMs} ms), ${moving.failed} hellos failed and were retried`);
    assert.equal((await cluster.masterOf(slot)).port, to.port);
    assert.ok(redirected.TRYAGAIN! + redirected.ASK! > 0, 'the scripts met the slot half moved');

    await churn.stop();
    assert.equal(churn.unwelcomed, 0, 'every page that said hello was welcomed in the end');
    const verdict = await settledVerdict(truth, () => Promise.all([readInstance('a', a.url), readInstance('b', b.url)]), before, PRESENCE_TTL_MS);
    t.diagnostic(`attempted ${verdict.attempted}, acknowledged ${verdict.acknowledged}, stored ${verdict.stored}, lost ${verdict.lost}; ${churn.attempts.length} hellos`);
    if (verdict.violations.length > 0) for (const hc of [a, b]) t.diagnostic(hc.output().split('\n').filter((line) => /failed/.test(line)).slice(-5).join('\n'));
    assert.deepEqual(verdict.violations, []);
  });
});
