// kill -9 of Redis under page churn, then a restart on the same data dir and port, with each
// persistence setting: appendfsync always loses no acknowledged pageview, everysec at most those
// acknowledged in the last ~1 s, and with persistence off Headcount reports the loss (metric and log)
// instead of silently counting on from zero. The test's clients keep the ground truth.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { GroundTruth, readInstance, recordedHello } from '../support/ground-truth.js';
import { startInProcess, type InProcess } from '../support/in-process.js';
import { eventually, PageClient } from '../support/page-client.js';
import { startRedisServer, type RedisServer, type RedisServerOptions } from '../support/redis-server.js';

const PRESENCE_TTL_MS = 1_500;
const PAGES_AT_ONCE = 10;
const CHURN_BEFORE_MS = 2_000;
const DOWN_MS = 300;
const CHURN_AFTER_MS = 2_500;
/** The everysec bound: what was acknowledged this long before the kill may be lost. */
const EVERYSEC_WINDOW_MS = 1_500;

interface Run {
  truth: GroundTruth;
  /** When each welcome arrived (Date.now()). */
  welcomedAt: number[];
  killedAt: number;
  restartedAt: number;
  /** When this process first reported the site's data lost (undefined: never). */
  lossSeenAt: number | undefined;
  hc: InProcess;
  baseUrl: string;
}

/** One page after another on each of PAGES_AT_ONCE loops: open, hello (recorded), close cleanly. */
function churn(hc: InProcess, truth: GroundTruth, welcomedAt: number[]): { stop(): Promise<void> } {
  let running = true;
  const loop = async () => {
    while (running) {
      const client = await PageClient.open(hc.wsUrl).catch(() => undefined);
      if (!client) {
        await sleep(50);
        continue;
      }
      const psid = randomUUID();
      if (await recordedHello(truth, client, { psid, url: `http://localhost:3000/bai-${welcomedAt.length % 7}.html` })) welcomedAt.push(Date.now());
      const closed = await client.close();
      if (closed.code === 1000 || closed.code === 1005) truth.left(psid);
    }
  };
  const loops = Array.from({ length: PAGES_AT_ONCE }, loop);
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function runWithKill(redisOptions: RedisServerOptions, servers: RedisServer[], hcs: InProcess[]): Promise<Run> {
  const redis = await startRedisServer(redisOptions);
  servers.push(redis);
  const hc = await startInProcess({ REDIS_URL: redis.url, PRESENCE_TTL_MS: String(PRESENCE_TTL_MS), HTTP_REQUESTS_PER_MINUTE: '1000000', MAX_PAGES_PER_MINUTE: '10000' });
  hcs.push(hc);
  const baseUrl = `http://127.0.0.1:${hc.server.port}`;
  const truth = new GroundTruth();
  const welcomedAt: number[] = [];
  const pages = churn(hc, truth, welcomedAt);
  await sleep(CHURN_BEFORE_MS);
  const killedAt = Date.now();
  await redis.kill('SIGKILL');
  await sleep(DOWN_MS);
  await redis.restart();
  const restartedAt = Date.now();
  let lossSeenAt: number | undefined;
  const watch = setInterval(() => {
    if (lossSeenAt === undefined && (hc.store.durability?.().losses.demo ?? 0) > 0) lossSeenAt = Date.now();
  }, 10);
  await sleep(CHURN_AFTER_MS);
  clearInterval(watch);
  await pages.stop();
  return { truth, welcomedAt, killedAt, restartedAt, lossSeenAt, hc, baseUrl };
}

async function metricsOf(baseUrl: string): Promise<string> {
  return (await fetch(`${baseUrl}/metrics`)).text();
}

/** Every page left: wait out the presence TTL, then compare with the ground truth. */
async function verdictOf(run: Run, allowedLoss: number, t: TestContext) {
  const before = (await readInstance('empty', run.baseUrl)).counts; // shape only: figures below are from zero
  const zero = { ...before, visits: { ...before.visits, total: 0 }, pageviews: { ...before.pageviews, total: 0 } };
  const reading = await eventually(() => readInstance('a', run.baseUrl), (r) => r.counts.online.total + r.counts.online.bots === 0, 4 * PRESENCE_TTL_MS + 5_000);
  await sleep(2 * PRESENCE_TTL_MS);
  const verdict = run.truth.check([await readInstance('a', run.baseUrl)], { before: zero, settled: true, allowedLoss });
  const { attempted, acknowledged, stored, lost } = verdict;
  t.diagnostic(`attempted ${attempted}, acknowledged ${acknowledged}, stored ${stored}, lost ${lost} (online at the end ${JSON.stringify(reading.counts.online)})`);
  return verdict;
}

describe('kill -9 of Redis under churn, per persistence setting', { timeout: 120_000 }, () => {
  const servers: RedisServer[] = [];
  const hcs: InProcess[] = [];
  after(async () => {
    await Promise.all(hcs.map((hc) => hc.stop()));
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('appendfsync always: no acknowledged pageview lost', async (t) => {
    const run = await runWithKill({ appendonly: true, appendfsync: 'always' }, servers, hcs);
    assert.ok(run.welcomedAt.filter((at) => at < run.killedAt).length > 20, 'pages were acknowledged before the kill');
    assert.ok(run.welcomedAt.some((at) => at > run.restartedAt), 'and after the restart');
    const verdict = await verdictOf(run, 0, t);
    assert.deepEqual(verdict.violations, []);
    assert.equal(verdict.lost, 0);
    assert.match(await metricsOf(run.baseUrl), /^headcount_redis_data_lost_total\{site="demo"\} 0$/m);
    assert.equal(run.lossSeenAt, undefined);
  });

  it('appendfsync everysec: at most the pageviews acknowledged in the last 1.5 s before the kill are lost', async (t) => {
    const run = await runWithKill({ appendonly: true, appendfsync: 'everysec' }, servers, hcs);
    const recent = run.welcomedAt.filter((at) => at <= run.killedAt && at > run.killedAt - EVERYSEC_WINDOW_MS).length;
    assert.ok(recent > 10, `${recent} pageviews acknowledged in the last ${EVERYSEC_WINDOW_MS} ms before the kill`);
    const verdict = await verdictOf(run, recent, t);
    t.diagnostic(`everysec: lost ${verdict.lost} of the ${recent} acknowledged in the last ${EVERYSEC_WINDOW_MS} ms before the kill`);
    assert.deepEqual(verdict.violations, []);
    assert.ok(verdict.lost <= recent);
    assert.match(await metricsOf(run.baseUrl), /^headcount_redis_data_lost_total\{site="demo"\} 0$/m);
  });

  it('persistence off: the loss is reported at once, by a metric, and the count goes on from what Redis holds', async (t) => {
    const run = await runWithKill({}, servers, hcs);
    // Welcomes that arrived after the kill signal but before the restart were stored in the old Redis too.
    const beforeKill = run.welcomedAt.filter((at) => at < run.restartedAt).length;
    assert.ok(run.lossSeenAt !== undefined, 'the loss was reported');
    t.diagnostic(`loss reported ${run.lossSeenAt - run.restartedAt} ms after Redis restarted`);
    const text = await metricsOf(run.baseUrl);
    assert.match(text, /^headcount_redis_persistence\{mode="none"\} 1$/m);
    assert.match(text, /^headcount_redis_data_lost_total\{site="demo"\} 1$/m, 'reported during the churn after the restart');
    const verdict = await verdictOf(run, beforeKill, t);
    t.diagnostic(`persistence off: lost ${verdict.lost} of the ${beforeKill} acknowledged before the kill`);
    assert.deepEqual(verdict.violations, [], 'nothing counted twice, no ghosts, and no more lost than was acknowledged before the kill');
    assert.ok(verdict.lost > beforeKill / 2, 'the pageviews before the kill are gone');
  });
});
