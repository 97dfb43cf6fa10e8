// How the store reaches Redis: one server by URL, a Redis Cluster, or the master a set of Sentinels
// names. Commands wait across reconnects and failovers instead of failing after ioredis's retry
// budget: the store bounds what may wait (pending joins) and fails reads fast by itself.
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisTarget } from '../../config.js';

export type { RedisTarget };
export type RedisClient = Redis | Cluster;

export interface ConnectionOptions {
  /** Shown by CLIENT LIST, so an operator can tell Headcount's connections apart. */
  readonly name: string;
  /** Batch the commands of one event-loop turn into one write (not for a subscriber). */
  readonly autoPipelining: boolean;
}

/** Reconnect attempts at most a second apart (ioredis: 5 s), so held hellos are welcomed soon after Redis is back. */
const retryStrategy = (attempt: number) => Math.min(attempt * 100, 1_000);

export function connectRedis(target: RedisTarget, { name, autoPipelining }: ConnectionOptions): RedisClient {
  // null: a command waits for the connection to come back (ioredis re-sends what was in flight).
  const common = { connectionName: name, maxRetriesPerRequest: null } satisfies RedisOptions;
  switch (target.kind) {
    case 'url':
      return new Redis(target.url, { ...common, retryStrategy, lazyConnect: true, enableAutoPipelining: autoPipelining });
    case 'cluster':
      return new Cluster(target.nodes.map(({ host, port }) => ({ host, port })), {
        lazyConnect: true,
        enableAutoPipelining: autoPipelining,
        redisOptions: { ...common, password: target.password },
      });
    case 'sentinel':
      return new Redis({
        ...common,
        retryStrategy,
        lazyConnect: true,
        enableAutoPipelining: autoPipelining,
        sentinels: target.sentinels.map(({ host, port }) => ({ host, port })),
        name: target.name,
        password: target.password,
        sentinelPassword: target.sentinelPassword,
        // Reconnects as soon as a Sentinel announces +switch-master, rather than writing to a demoted
        // master until Sentinel disconnects its clients.
        failoverDetector: true,
      });
  }
}

/** How long ping and reads wait for an answer from a connection that looks up. */
const ANSWER_TIMEOUT_MS = 1_000;

/** Fails fast instead of queueing behind a reconnect: reads have callers waiting. */
export function checkReady(client: RedisClient): void {
  if (client.status !== 'ready') throw new Error(`Redis is unreachable (connection ${client.status})`);
}

/** Rejects when Redis has not answered within ANSWER_TIMEOUT_MS. */
export async function answerWithin<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer ${what} within ${ANSWER_TIMEOUT_MS} ms`)), ANSWER_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** For logs and the start-up line: where the store is, without passwords. */
export function describeTarget(target: RedisTarget): string {
  const list = (nodes: readonly { host: string; port: number }[]) => nodes.map(({ host, port }) => `${host.includes(':') ? `[${host}]` : host}:${port}`).join(',');
  switch (target.kind) {
    case 'url': {
      const url = new URL(target.url);
      if (url.password) url.password = '***';
      return `redis ${url.toString()}`;
    }
    case 'cluster':
      return `redis cluster ${list(target.nodes)}`;
    case 'sentinel':
      return `redis sentinel ${target.name}@${list(target.sentinels)}`;
  }
}
