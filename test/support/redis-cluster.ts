// A throwaway real Redis Cluster: N masters (no replicas) from local redis-server processes, joined
// with `redis-cli --cluster create`, ready once every node reports cluster_state:ok.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import type { HostPort } from '../../src/config.js';
import { freePort } from './free-port.js';
import { type RedisServer, startRedisServer } from './redis-server.js';

const run = promisify(execFile);
const READY_TIMEOUT_MS = 10_000;

export interface RedisCluster {
  readonly nodes: readonly HostPort[];
  readonly servers: readonly RedisServer[];
  /** A connected plain ioredis Cluster client for looking at and poking the cluster. */
  client(): Promise<Cluster>;
  /** FLUSHALL on every master: a clean cluster for the next test. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

async function clusterOk(server: RedisServer): Promise<boolean> {
  const redis = new Redis(server.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 }).on('error', () => {});
  try {
    return /cluster_state:ok/.test(await redis.cluster('INFO'));
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const servers: RedisServer[] = [];
  const stop = () => Promise.all(servers.map((server) => server.stop())).then(() => undefined);
  try {
    for (let i = 0; i < masters; i++) {
      // The cluster bus defaults to port + 10000, which may be taken or out of range: pick one.
      const bus = await freePort();
      servers.push(await startRedisServer({
        args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(bus), '--cluster-node-timeout', '2000'],
      }));
    }
    await run('redis-cli', ['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: READY_TIMEOUT_MS });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await Promise.all(servers.map(clusterOk))).every(Boolean)) {
      if (Date.now() > deadline) throw new Error(`the cluster did not reach cluster_state:ok within ${READY_TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const nodes = servers.map((server) => ({ host: '127.0.0.1', port: server.port }));
  return {
    nodes,
    servers,
    async client() {
      const client = new Cluster(nodes, { lazyConnect: true }).on('error', () => {});
      await client.connect();
      return client;
    },
    async flush() {
      await Promise.all(servers.map(async (server) => {
        const redis = new Redis(server.port, '127.0.0.1');
        await redis.flushall();
        redis.disconnect();
      }));
    },
    stop,
  };
}
