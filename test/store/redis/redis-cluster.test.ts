// The Redis store on a real 3-master Redis Cluster: the shared contract, change notices between
// instances, and scripts reloading on every node. One cluster serves the whole file, flushed between tests.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRedisStore, type RedisStore, type RedisStoreOptions } from '../../../src/store/redis/redis-store.js';
import type { Periods } from '../../../src/store/store.js';
import { type RedisCluster, startRedisCluster } from '../../support/redis-cluster.js';
import { storeContract } from '../contract.js';
import { READING } from './harness.js';

const DAY: Periods = { day: '2026-11-26', month: '2026-11', hour: '2026-11-26T09+07:00', minute: '2026-11-26T09:41+07:00', yesterday: '2026-11-25' };
const silent = { warn() {} };

let started: Promise<RedisCluster> | undefined;
const cluster = () => (started ??= startRedisCluster());
after(async () => (await started)?.stop());

const options = (nodes: RedisCluster['nodes'], extra: Partial<RedisStoreOptions> = {}): RedisStoreOptions => ({
  redis: { kind: 'cluster', nodes },
  keyPrefix: 'hc',
  sites: ['contract'],
  presenceTtlMs: 30_000,
  visitWindowMs: 30 * 60_000,
  clock: Date.now,
  logger: silent,
  ...extra,
});

storeContract('redis cluster', async () => {
  const { nodes, flush } = await cluster();
  return { open: (storeOptions) => createRedisStore(options(nodes, storeOptions)), cleanup: flush };
});

describe('redis store on a cluster', { timeout: 30_000 }, () => {
  let c: RedisCluster;
  const stores: RedisStore[] = [];
  const open = async (sites: string[]) => {
    const store = await createRedisStore(options(c.nodes, { sites }));
    stores.push(store);
    return store;
  };
  before(async () => {
    c = await cluster();
  });
  after(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await c.flush();
  });

  it('spreads sites over the masters and tells other instances about changes', async () => {
    const sites = ['news', 'sport', 'life', 'tech', 'video', 'travel'];
    const [a, b] = [await open(sites), await open(sites)];
    const heard: string[] = [];
    b.onChange((site) => heard.push(site));
    for (const [i, site] of sites.entries()) {
      await a.join({ site, psid: `page-${i}`, identity: `visitor-${i}`, visitor: `visitor-${i}`, kind: 'guest', now: Date.now(), periods: DAY, ...READING });
    }
    const deadline = Date.now() + 2_000;
    while (!sites.every((site) => heard.includes(site)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual([...new Set(heard)].sort(), [...sites].sort());
    for (const site of sites) assert.equal((await b.read(site, DAY)).online.guest, 1);

    const admin = await c.client();
    const owners = new Set(await Promise.all(sites.map(async (site) => {
      const slot = (await admin.cluster('KEYSLOT', `hc:{${site}}:tot`)) as number;
      const ranges = await admin.cluster('SLOTS');
      return ranges.find(([from, to]) => slot >= from && slot <= to)![2]![1];
    })));
    admin.disconnect();
    assert.ok(owners.size > 1, 'the sites live on more than one master');
  });

  it('tells the old holder when a page moves to another instance, on whichever master its site lives', async () => {
    const sites = ['news', 'sport', 'life'];
    const [a, b] = [await open(sites), await open(sites)];
    const heard: string[] = [];
    a.onReplaced((site, psid) => heard.push(`${site}/${psid}`));
    for (const site of sites) {
      const page = { site, psid: `moving-${site}`, identity: `visitor-${site}`, visitor: `visitor-${site}`, kind: 'guest' as const, now: Date.now(), periods: DAY, ...READING };
      await a.join(page);
      assert.deepEqual(await b.join(page), { pageview: false, visit: false });
    }
    const deadline = Date.now() + 2_000;
    while (heard.length < sites.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(heard.sort(), sites.map((site) => `${site}/moving-${site}`).sort());
  });

  it('reloads its scripts after SCRIPT FLUSH on every node (NOSCRIPT)', async () => {
    const store = await open(['scripts']);
    const join = (n: number) => store.join({ site: 'scripts', psid: `flush-${n}`, identity: `reader-${n}`, visitor: `reader-${n}`, kind: 'guest', now: Date.now(), periods: DAY, ...READING });
    await join(1);
    const admin = await c.client();
    await Promise.all(admin.nodes('master').map((node) => node.script('FLUSH')));
    admin.disconnect();
    assert.deepEqual(await join(2), { pageview: true, visit: true });
    const counts = await store.read('scripts', DAY);
    assert.equal(counts.pageviews.total, 2);
  });
});
