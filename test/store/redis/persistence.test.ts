// The Redis store reads how Redis persists (CONFIG GET, else INFO) and warns when it keeps nothing,
// and reports a site's data lost when its marker key is gone after a reconnect: on real redis-servers
// started with each persistence setting, restarted with kill -9.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createMetrics } from '../../../src/metrics/metrics.js';
import { createRedisStore, type RedisStore } from '../../../src/store/redis/redis-store.js';
import { startRedisServer, type RedisServer, type RedisServerOptions } from '../../support/redis-server.js';
import { adminClient, DAY, PREFIX, READING, SITE, storeOptions, waitFor } from './harness.js';

interface Logged {
  obj: Record<string, unknown>;
  msg: string;
}

describe('Redis persistence', { timeout: 60_000 }, () => {
  const servers: RedisServer[] = [];
  const stores: RedisStore[] = [];
  after(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await Promise.all(servers.map((server) => server.stop()));
  });

  const server = async (options: RedisServerOptions) => {
    const started = await startRedisServer(options);
    servers.push(started);
    return started;
  };
  const open = async (on: RedisServer) => {
    const logged: Logged[] = [];
    const store = await createRedisStore(storeOptions(on, { logger: { warn: (obj, msg) => logged.push({ obj: obj as Record<string, unknown>, msg }) } }));
    stores.push(store);
    return { store, logged, warnings: () => logged.map((l) => l.msg) };
  };
  const join = (store: RedisStore, n: number) => store.join({ site: SITE, psid: `page-${n}-${Date.now()}`, identity: `visitor-${n}`, visitor: `visitor-${n}`, kind: 'guest', now: Date.now(), periods: DAY, ...READING });

  it('reads the mode of each setting and warns only when Redis keeps nothing', async () => {
    const settings: [RedisServerOptions, string][] = [
      [{ appendonly: true, appendfsync: 'always' }, 'aof_always'],
      [{ appendonly: true, appendfsync: 'everysec' }, 'aof_everysec'],
      [{ appendonly: true, appendfsync: 'no' }, 'aof_no'],
      [{ args: ['--save', '900 1'] }, 'rdb'],
      [{}, 'none'],
    ];
    const found = await Promise.all(settings.map(async ([options]) => open(await server(options))));
    settings.forEach(([, mode], i) => {
      const { store, logged } = found[i]!;
      assert.equal(store.durability().mode, mode);
      const warned = logged.filter((l) => l.obj.persistence !== undefined);
      if (mode === 'none') assert.deepEqual(warned.map((l) => l.obj.persistence), ['none'], 'one warning at start');
      else assert.deepEqual(warned, [], `no warning for ${mode}`);
    });
    assert.match(found.at(-1)!.warnings().join('\n'), /Redis keeps no data across a restart \(appendonly no, save ""\)/);
  });

  it('falls back to INFO where CONFIG is refused (managed Redis), and starts when neither tells', async () => {
    // (ioredis itself needs INFO for its ready check, so a Redis without INFO is not a case.)
    const noConfig = ['--rename-command', 'CONFIG', ''];
    const [aof, bare] = await Promise.all([server({ appendonly: true, args: noConfig }), server({ args: noConfig })]);
    assert.equal((await open(aof)).store.durability().mode, 'aof', 'INFO says aof_enabled:1, not the fsync policy');
    {
      const { store, logged } = await open(bare);
      assert.equal(store.durability().mode, 'unknown');
      assert.deepEqual(logged.filter((l) => l.obj.persistence !== undefined).map((l) => l.msg), [
        'Redis persistence could not be read (CONFIG refused and no append-only file in INFO): a Redis restart may lose every total and the history',
      ]);
      await join(store, 1);
      assert.equal((await store.read(SITE, DAY)).pageviews.total, 1, 'the store works');
    }
  });

  it('reports the loss once on every instance when Redis restarts empty, and the metrics show it', async () => {
    const on = await server({});
    const a = await open(on);
    const b = await open(on);
    for (let n = 0; n < 5; n++) await join(a.store, n);
    assert.deepEqual(a.store.durability().losses, { [SITE]: 0 });
    await on.kill('SIGKILL');
    await on.restart();
    for (const instance of [a, b]) await waitFor('the loss reported', () => instance.store.durability().losses[SITE] === 1, 10_000);
    for (const instance of [a, b]) {
      const lost = instance.logged.filter((l) => l.obj.site === SITE);
      assert.equal(lost.length, 1, instance.warnings().join('\n'));
      assert.match(lost[0]!.msg, /^Redis lost the data of site news \(its marker key is gone: Redis restarted without persistence/);
      assert.equal(lost[0]!.obj.persistence, 'none');
    }
    const admin = adminClient(on);
    assert.ok(await admin.get(`${PREFIX}:{${SITE}}:marker`), 'a new marker, so the next loss is seen too');
    admin.disconnect();

    const metrics = createMetrics(async () => [], () => a.store.durability());
    const text = await metrics.registry.metrics();
    assert.match(text, /^headcount_redis_data_lost_total\{site="news"\} 1$/m);
    assert.match(text, /^headcount_redis_persistence\{mode="none"\} 1$/m);
    assert.match(text, /^headcount_redis_persistence\{mode="aof_always"\} 0$/m);
    assert.doesNotMatch((await createMetrics(async () => []).registry.metrics()), /headcount_redis_persistence\{/, 'no series without a Redis store');
  });

  it('reports nothing when the append-only file kept the data across kill -9', async () => {
    const on = await server({ appendonly: true, appendfsync: 'always' });
    const { store, logged } = await open(on);
    for (let n = 0; n < 5; n++) await join(store, n);
    let readies = 0;
    (store as unknown as { client: { on(event: string, listener: () => void): void } }).client.on('ready', () => readies++);
    await on.kill('SIGKILL');
    await on.restart();
    await waitFor('the reconnect', () => readies === 1, 10_000);
    // The check runs on 'ready' (registered before this listener): a join sent now is answered after its SET.
    await join(store, 99);
    assert.equal(store.durability().mode, 'aof_always');
    assert.equal((await store.read(SITE, DAY)).pageviews.total, 6);
    assert.deepEqual(store.durability().losses, { [SITE]: 0 });
    assert.deepEqual(logged.filter((l) => l.obj.site !== undefined), []);
  });
});
