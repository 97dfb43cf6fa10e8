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

/**
 * How a cluster command rides out a failover or a reshard instead of failing (ioredis's defaults give
 * up after ~1 s, well inside a failover, and a lost leave leaves a ghost online). MOVED (the slot has a
 * new master) and ASK (its key is mid-migration) are followed at once; TRYAGAIN (a script's keys are
 * split by a migration), CLUSTERDOWN (a master failed, no replica promoted yet) and a dead master's
 * closed connection are retried after a delay, re-reading the slot map. Every retry and redirection
 * counts against maxRedirections, which bounds one command's wait: 20 s of TRYAGAIN, 40 s of
 * CLUSTERDOWN, at least 20 s of a dead master (each try there costs a MOVED and a closed connection),
 * enough for a failover with the default cluster-node-timeout of 15 s.
 */
const CLUSTER_RETRIES = {
  maxRedirections: 200,
  retryDelayOnMoved: 0,
  retryDelayOnTryAgain: 100,
  retryDelayOnClusterDown: 200,
  retryDelayOnFailover: 200,
  slotsRefreshTimeout: 2_000,
} as const;

export function connectRedis(target: RedisTarget, { name, autoPipelining }: ConnectionOptions): RedisClient {
  // null: a command waits for the connection to come back (ioredis re-sends what was in flight).
  const common = { connectionName: name, maxRetriesPerRequest: null } satisfies RedisOptions;
  switch (target.kind) {
    case 'url':
      return new Redis(target.url, { ...common, retryStrategy, lazyConnect: true, enableAutoPipelining: autoPipelining });
    case 'cluster':
      return new Cluster(target.nodes.map(({ host, port }) => ({ host, port })), {
        lazyConnect: true,
        // Never auto-pipelined: ioredis retries a cluster pipeline only as a whole (all its commands
        // failed alike, none wrote), and a retried pipeline's scripts lose their NOSCRIPT fallback. Under
        // a failover either way a leave failed for good and its page stayed online (cluster-failover.test.ts).
        enableAutoPipelining: false,
        clusterRetryStrategy: retryStrategy,
        ...CLUSTER_RETRIES,
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
