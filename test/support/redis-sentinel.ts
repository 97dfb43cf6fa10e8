// A throwaway real Sentinel set-up: one master, one replica and three `redis-server --sentinel`
// processes (quorum 2) that notice a dead master within a second and fail over to the replica.
// On a busy machine they may also fail over unprompted: ask master() which server is the master.
import { Redis } from 'ioredis';
import type { RedisTarget } from '../../src/config.js';
import { type RedisServer, startRedisServer } from './redis-server.js';
import { until as waitUntil } from './until.js';

const NAME = 'headcount';
const SENTINELS = 3;
const READY_TIMEOUT_MS = 15_000;

export interface RedisSentinel {
  readonly target: RedisTarget;
  /** The port of the server the Sentinels currently name as master. */
  masterPort(): Promise<number>;
  /** The server the Sentinels currently name as master. */
  master(): Promise<RedisServer>;
  /** Waits until the Sentinels name another master than `port` and it accepts writes. */
  failedOver(port: number): Promise<void>;
  stop(): Promise<void>;
}

async function ask<T>(port: number, call: (redis: Redis) => Promise<T>): Promise<T | undefined> {
  const redis = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 500 }).on('error', () => {});
  try {
    return await call(redis);
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

const until = (what: string, condition: () => Promise<boolean>) => waitUntil(what, condition, READY_TIMEOUT_MS, 100);

const fields = (flat: unknown): Record<string, string> => {
  const list = flat as string[];
  return Object.fromEntries(Array.from({ length: list.length / 2 }, (_, i) => [list[2 * i], list[2 * i + 1]]));
};

export async function startRedisSentinel(): Promise<RedisSentinel> {
  const started: RedisServer[] = [];
  const stop = () => Promise.all(started.map((server) => server.stop())).then(() => undefined);
  try {
    const master = await startRedisServer({ appendonly: true });
    started.push(master);
    const replica = await startRedisServer({ appendonly: true, args: ['--replicaof', '127.0.0.1', String(master.port)] });
    started.push(replica);
    const config = [
      `sentinel monitor ${NAME} 127.0.0.1 ${master.port} 2`,
      `sentinel down-after-milliseconds ${NAME} 1000`,
      `sentinel failover-timeout ${NAME} 5000`,
      '',
    ].join('\n');
    const sentinels: RedisServer[] = [];
    for (let i = 0; i < SENTINELS; i++) sentinels.push(await startRedisServer({ config, args: ['--sentinel'] }));
    started.push(...sentinels);

    // Ready when the replica is in sync and every Sentinel knows it and the other Sentinels.
    await until('the replica to sync', async () => /master_link_status:up/.test((await ask(replica.port, (r) => r.info('replication'))) ?? ''));
    await until('the Sentinels to know the replica and each other', async () => {
      const views = await Promise.all(sentinels.map((s) => ask(s.port, async (r) => ({
        replicas: ((await r.call('SENTINEL', 'REPLICAS', NAME)) as unknown[]).map(fields),
        others: ((await r.call('SENTINEL', 'SENTINELS', NAME)) as unknown[]).length,
      }))));
      return views.every((view) => view !== undefined && view.others === SENTINELS - 1 &&
        view.replicas.some((r) => r.port === String(replica.port) && r.flags === 'slave'));
    });

    const masterPort = async () => {
      for (const sentinel of sentinels) {
        const address = await ask(sentinel.port, (r) => r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME) as Promise<string[]>);
        if (address) return Number(address[1]);
      }
      throw new Error('no Sentinel answered');
    };
    return {
      target: { kind: 'sentinel', name: NAME, sentinels: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })) },
      masterPort,
      async master() {
        const port = await masterPort();
        return [master, replica].find((server) => server.port === port)!;
      },
      async failedOver(port) {
        await until('the failover', async () => {
          const now = await masterPort();
          return now !== port && /role:master/.test((await ask(now, (r) => r.info('replication'))) ?? '');
        });
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
