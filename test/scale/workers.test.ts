// WORKERS=N: one port served by N node:cluster workers on the Redis store, /metrics aggregated
// across them, a dead worker replaced, SIGTERM to the primary stopping them all; refused on the
// embedded store.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { CloseCode } from '../../src/protocol.js';
import { startHeadcount, type HeadcountProcess } from '../support/headcount.js';
import { eventually, PageClient } from '../support/page-client.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

const WORKERS = 2;

function workerPids(primary: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(primary)], { encoding: 'utf8' }).trim().split('\n').map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}

/** The value of one sample line of Prometheus text, e.g. `headcount_open_sockets`. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  assert.ok(line, `no ${series} in /metrics`);
  return Number(line.slice(series.length + 1));
}

describe(`WORKERS=${WORKERS}`, { timeout: 60_000 }, () => {
  let redis: RedisServer;
  let admin: Redis;
  let hc: HeadcountProcess;
  const pages: PageClient[] = [];
  const instances = () => admin.zcard('hc:{demo}:inst');

  before(async () => {
    redis = await startRedisServer();
    admin = new Redis(redis.url);
    hc = await startHeadcount({ env: { REDIS_URL: redis.url, WORKERS: String(WORKERS), PRESENCE_TTL_MS: '1500' } });
  });
  after(async () => {
    for (const p of pages) p.socket.terminate();
    await hc?.dispose();
    admin?.disconnect();
    await redis?.stop();
  });

  it('refuses more than one worker on the embedded store, naming WORKERS', async () => {
    await assert.rejects(startHeadcount({ env: { WORKERS: '2' } }), /exited with 2[\s\S]*WORKERS.*needs a Redis store/);
  });

  it('serves one port from every worker, each its own instance in Redis', async () => {
    assert.match(hc.output(), new RegExp(`Headcount listening on http://127\\.0\\.0\\.1:${hc.port} .*; workers: ${WORKERS}`));
    assert.equal(workerPids(hc.child.pid!).length, WORKERS);
    assert.equal(await instances(), WORKERS);
    for (let i = 0; i < 4; i++) {
      const client = await PageClient.open(hc.wsUrl);
      pages.push(client);
      await client.hello({ vid: randomUUID() });
    }
    const stats = await eventually(async () => (await fetch(`${hc.url}/api/sites/demo/stats`)).json() as Promise<any>, (s) => s.online.guests === 4);
    assert.equal(stats.pageviews.total, 4);
    // The connections went round-robin to the workers: both hold page sessions.
    const held = await Promise.all((await admin.zrange('hc:{demo}:inst', '0', '-1')).map((id) => admin.hlen(`hc:{demo}:sess:${id}`)));
    assert.deepEqual(held, [2, 2]);
  });

  it('aggregates /metrics across workers: sockets summed, store figures not', async () => {
    for (let i = 0; i < 4; i++) {
      const text = await (await fetch(`${hc.url}/metrics`)).text();
      assert.equal(sample(text, 'headcount_open_sockets'), 4, 'each worker holds some, the sum is all');
      assert.equal(sample(text, 'headcount_online_visitors{site="demo",kind="guest"}'), 4, 'the store figure, not one per worker');
      assert.equal(sample(text, 'headcount_pageviews_total{site="demo"}'), 4);
      assert.equal(sample(text, 'headcount_store_up'), 1);
    }
  });

  it('replaces a worker that dies', async () => {
    const before = await admin.zrange('hc:{demo}:inst', '0', '-1');
    const [victim] = workerPids(hc.child.pid!);
    process.kill(victim!, 'SIGKILL');
    const pids = await eventually(async () => workerPids(hc.child.pid!), (list) => list.length === WORKERS && !list.includes(victim!), 5_000);
    assert.equal(pids.length, WORKERS);
    // The dead worker's presence is reaped by the other, its successor has its own...
    const ids = await eventually(() => admin.zrange('hc:{demo}:inst', '0', '-1'), (list) => list.length === WORKERS && list.some((id) => !before.includes(id)), 5_000);
    const successor = ids.find((id) => !before.includes(id))!;
    // ...and takes its share of new pages once it listens.
    await eventually(async () => {
      const client = await PageClient.open(hc.wsUrl);
      pages.push(client);
      await client.hello();
      return admin.hlen(`hc:{demo}:sess:${successor}`);
    }, (held) => held > 0, 5_000);
  });

  it('stops every worker on SIGTERM to the primary: pages told to reconnect, sessions ended, exit 0', async () => {
    const workers = workerPids(hc.child.pid!);
    const open = pages.filter((p) => p.socket.readyState === p.socket.OPEN);
    assert.ok(open.length > 0);
    const signalledAt = Date.now();
    assert.equal(await hc.stop('SIGTERM'), 0);
    assert.ok(Date.now() - signalledAt < 5_000);
    for (const closed of await Promise.all(open.map((p) => p.closed))) assert.equal(closed.code, CloseCode.serviceRestart);
    for (const pid of workers) assert.throws(() => process.kill(pid, 0), 'worker gone');
    assert.equal(await instances(), 0, 'every worker ended its sessions and presence');
    assert.equal(Number(await admin.hget('hc:{demo}:online', 'g')), 0);
  });
});
