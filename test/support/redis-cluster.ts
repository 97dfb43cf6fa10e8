// A throwaway real Redis Cluster from local redis-server processes, joined with
// `redis-cli --cluster create`: N masters, optionally one replica each, ready once every node reports
// cluster_state:ok (and every replica is in sync). The fault helpers find which node holds a slot,
// fail over to its replica (`CLUSTER FAILOVER`, or kill -9 of the master) and move a slot live.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import type { HostPort } from '../../src/config.js';
import { freePort } from './free-port.js';
import { until as waitUntil } from './until.js';
import { type RedisServer, startRedisServer } from './redis-server.js';

const run = promisify(execFile);
const READY_TIMEOUT_MS = 15_000;

export interface RedisClusterOptions {
  readonly masters?: number;
  /** Replicas per master: 0 (default) or 1. */
  readonly replicas?: 0 | 1;
  /** cluster-node-timeout: how long a node may be silent before it counts as failing (default 2,000 ms). */
  readonly nodeTimeoutMs?: number;
}

export interface MoveSlotOptions {
  /** Keys moved per MIGRATE (default 1). */
  readonly batch?: number;
  /** Pause between two MIGRATEs, so clients meet the slot half moved (ASK, TRYAGAIN); default 0. */
  readonly pauseMs?: number;
}

/** The environment of a Headcount instance on this cluster, for fault tests (short presence TTL, no HTTP rate limit). */
export function clusterEnv(nodes: readonly HostPort[], presenceTtlMs: number): Record<string, string> {
  return {
    REDIS_CLUSTER_NODES: nodes.map(({ host, port }) => `${host}:${port}`).join(','),
    PRESENCE_TTL_MS: String(presenceTtlMs),
    HEARTBEAT_INTERVAL_MS: '1000',
    HTTP_REQUESTS_PER_MINUTE: '1000000',
  };
}

export interface RedisCluster {
  /** The masters at start: what REDIS_CLUSTER_NODES names. */
  readonly nodes: readonly HostPort[];
  /** Every server, masters and replicas, in start order. */
  readonly servers: readonly RedisServer[];
  /** A connected plain ioredis Cluster client for looking at and poking the cluster. */
  client(): Promise<Cluster>;
  /** FLUSHALL on every live master: a clean cluster for the next test. */
  flush(): Promise<void>;
  /** The slot of a key (CRC16, as CLUSTER KEYSLOT computes it). */
  slotOf(key: string): Promise<number>;
  /** The server that serves a slot now, as the live nodes agree. */
  masterOf(slot: number): Promise<RedisServer>;
  /** The replica of a master. */
  replicaOf(master: RedisServer): Promise<RedisServer>;
  /** `CLUSTER FAILOVER` on a replica; resolves once it is master and every live node says so. */
  failover(replica: RedisServer): Promise<void>;
  /** kill -9 of a master; resolves with its replica once that is promoted and every live node says so. */
  killMaster(master: RedisServer): Promise<RedisServer>;
  /** Moves a slot and its keys to another master while clients use it (CLUSTER SETSLOT and MIGRATE); resolves with the keys moved. */
  moveSlot(slot: number, to: RedisServer, options?: MoveSlotOptions): Promise<number>;
  /** INFO errorstats and commandstats of one server: errorstat_NOSCRIPT, cmdstat_eval, ... -> count. */
  counters(server: RedisServer): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/** One command on one server; undefined when it is down or refuses. */
async function ask<T>(server: RedisServer, call: (redis: Redis) => Promise<T>): Promise<T | undefined> {
  const redis = new Redis(server.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 500, retryStrategy: () => null }).on('error', () => {});
  try {
    return await call(redis);
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

/** Like ask, but a refusal is an error: for the commands that must work. */
async function command<T>(server: RedisServer, call: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(server.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null }).on('error', () => {});
  try {
    return await call(redis);
  } finally {
    redis.disconnect();
  }
}

const until = (what: string, condition: () => Promise<boolean>) => waitUntil(what, condition, READY_TIMEOUT_MS, 50);

export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const { masters = 3, replicas = 0, nodeTimeoutMs = 2_000 } = options;
  const servers: RedisServer[] = [];
  const killed = new Set<RedisServer>();
  const stop = () => Promise.all(servers.map((server) => server.stop())).then(() => undefined);
  const live = () => servers.filter((server) => !killed.has(server));
  const byPort = (port: number) => {
    const server = servers.find((s) => s.port === port);
    if (!server) throw new Error(`no server of this cluster listens on ${port}`);
    return server;
  };
  const nodeId = (server: RedisServer) => command(server, (r) => r.cluster('MYID') as Promise<string>);
  /** The master port of `slot` in one node's view; undefined if it does not answer or knows none. */
  const holderIn = async (server: RedisServer, slot: number) => {
    const ranges = await ask(server, (r) => r.cluster('SLOTS'));
    return ranges?.find(([from, to]) => slot >= from && slot <= to)?.[2]?.[1];
  };
  /** Every live node reports cluster_state:ok and names `port` as the master of `slot`. */
  const agreed = async (slot: number, port: number) => (await Promise.all(live().map(async (server) =>
    /cluster_state:ok/.test((await ask(server, (r) => r.cluster('INFO'))) ?? '') && (await holderIn(server, slot)) === port,
  ))).every(Boolean);
  const slotsOf = async (server: RedisServer) => {
    const ranges = await command(server, (r) => r.cluster('SLOTS'));
    return ranges.filter(([, , holder]) => holder?.[1] === server.port).map(([from]) => from);
  };

  try {
    const count = masters * (1 + replicas);
    for (let i = 0; i < count; i++) {
      // The cluster bus defaults to port + 10000, which may be taken or out of range: pick one.
      const bus = await freePort();
      servers.push(await startRedisServer({
        args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(bus), '--cluster-node-timeout', String(nodeTimeoutMs)],
      }));
    }
    // With replicas, redis-cli makes the first `masters` servers masters and the rest their replicas.
    await run('redis-cli', ['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', String(replicas), '--cluster-yes'], { timeout: READY_TIMEOUT_MS });
    await until('cluster_state:ok on every node', async () =>
      (await Promise.all(servers.map((s) => ask(s, (r) => r.cluster('INFO'))))).every((info) => /cluster_state:ok/.test(info ?? '')));
    await until('every replica to be in sync', async () => (await Promise.all(servers.map(async (s) => {
      const info = (await ask(s, (r) => r.info('replication'))) ?? '';
      return /role:master/.test(info) || /master_link_status:up/.test(info);
    }))).every(Boolean));
  } catch (error) {
    await stop();
    throw error;
  }
  const nodes = servers.slice(0, masters).map((server) => ({ host: '127.0.0.1', port: server.port }));

  const cluster: RedisCluster = {
    nodes,
    servers,
    async client() {
      const client = new Cluster(live().map((s) => ({ host: '127.0.0.1', port: s.port })), { lazyConnect: true }).on('error', () => {});
      await client.connect();
      return client;
    },
    async flush() {
      await Promise.all(live().map(async (server) => {
        if (/role:master/.test((await ask(server, (r) => r.info('replication'))) ?? '')) await command(server, (r) => r.flushall());
      }));
    },
    async slotOf(key) {
      return command(live()[0]!, (r) => r.cluster('KEYSLOT', key) as Promise<number>);
    },
    async masterOf(slot) {
      let port: number | undefined;
      await until(`the live nodes to agree on the master of slot ${slot}`, async () => {
        const ports = await Promise.all(live().map((server) => holderIn(server, slot)));
        port = ports[0];
        return port !== undefined && ports.every((p) => p === port);
      });
      return byPort(port!);
    },
    async replicaOf(master) {
      const id = await nodeId(master);
      const lines = (await command(master, (r) => r.cluster('REPLICAS', id))) as string[];
      const port = lines.map((line) => Number(/:(\d+)@/.exec(line)?.[1])).find((p) => live().some((s) => s.port === p));
      if (port === undefined) throw new Error(`master ${master.port} has no live replica`);
      return byPort(port);
    },
    async failover(replica) {
      const info = await command(replica, (r) => r.info('replication'));
      const port = Number(/master_port:(\d+)/.exec(info)?.[1]);
      if (!port) throw new Error(`${replica.port} is not a replica`);
      const [slot] = await slotsOf(byPort(port));
      if (slot === undefined) throw new Error(`the master of ${replica.port} serves no slot`);
      await command(replica, (r) => r.cluster('FAILOVER'));
      await until(`${replica.port} to take over by CLUSTER FAILOVER`, () => agreed(slot!, replica.port));
    },
    async killMaster(master) {
      const replica = await cluster.replicaOf(master);
      const [slot] = await slotsOf(master);
      killed.add(master);
      await master.kill('SIGKILL');
      await until(`${replica.port} to be promoted after kill -9 of ${master.port}`, () => agreed(slot!, replica.port));
      return replica;
    },
    async moveSlot(slot, to, { batch = 1, pauseMs = 0 } = {}) {
      const from = await cluster.masterOf(slot);
      if (from === to) throw new Error(`slot ${slot} is already on ${to.port}`);
      const [fromId, toId] = await Promise.all([nodeId(from), nodeId(to)]);
      // The order redis-cli --cluster reshard uses: importing first, so no ASK meets an unprepared target.
      await command(to, (r) => r.cluster('SETSLOT', slot, 'IMPORTING', fromId));
      await command(from, (r) => r.cluster('SETSLOT', slot, 'MIGRATING', toId));
      let moved = 0;
      for (;;) {
        const keys = (await command(from, (r) => r.cluster('GETKEYSINSLOT', slot, batch))) as string[];
        if (keys.length === 0) break;
        await command(from, (r) => r.migrate('127.0.0.1', to.port, '', 0, 5_000, 'KEYS', ...keys));
        moved += keys.length;
        if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
      await command(to, (r) => r.cluster('SETSLOT', slot, 'NODE', toId));
      await command(from, (r) => r.cluster('SETSLOT', slot, 'NODE', toId));
      await Promise.all(live().filter((s) => s !== to && s !== from).map((s) => ask(s, (r) => r.cluster('SETSLOT', slot, 'NODE', toId))));
      await until(`every node to see slot ${slot} on ${to.port}`, () => agreed(slot, to.port));
      return moved;
    },
    async counters(server) {
      const info = await command(server, async (r) => `${await r.info('errorstats')}${await r.info('commandstats')}`);
      return Object.fromEntries([...info.matchAll(/(\w+):(?:count|calls)=(\d+)/g)].map(([, name, n]) => [name!, Number(n)]));
    },
    stop,
  };

  return cluster;
}
