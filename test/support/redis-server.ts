// A throwaway real redis-server for one test: free port, its own temp dir, no RDB snapshots.
// Tests never touch a shared Redis (e.g. the one on 6379). Also runs the servers of a Redis Cluster
// or a Sentinel set-up (see redis-cluster.ts and redis-sentinel.ts) through `args` and `config`.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export interface RedisServerOptions {
  /** Persist every write to an append-only file in the temp dir, so restart() keeps data. */
  readonly appendonly?: boolean;
  /** When the append-only file is fsynced: 'always' (the default here), 'everysec' (Redis's default) or 'no'. */
  readonly appendfsync?: 'always' | 'everysec' | 'no';
  /** More redis-server arguments, e.g. ['--replicaof', '127.0.0.1', '6380'] or ['--sentinel']. */
  readonly args?: readonly string[];
  /** A config file's text, written to the temp dir and read first (Sentinel rewrites its config file). */
  readonly config?: string;
}

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** The running process's id, e.g. to freeze it with SIGSTOP. */
  readonly pid: number;
  /** Shuts the server down and removes its temp dir. */
  stop(): Promise<void>;
  /** SIGKILL (a crash) by default, or SIGTERM (a clean stop); the data dir stays for restart(). */
  kill(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Shuts down (if running) and starts again on the same port and data dir. */
  restart(): Promise<void>;
}

/**
 * A Redis that keeps its data as production should (append-only file, fsync left to the OS): Headcount
 * warns about one that keeps nothing, and tests that expect no warning start this one.
 */
export const PERSISTENT: RedisServerOptions = { appendonly: true, appendfsync: 'no' };

const START_TIMEOUT_MS = 5_000;
const STOP_TIMEOUT_MS = 5_000;

async function launch(port: number, dir: string, options: RedisServerOptions): Promise<ChildProcess> {
  const args = [
    ...(options.config === undefined ? [] : [join(dir, 'redis.conf')]),
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no',
    '--appendonly', options.appendonly ? 'yes' : 'no', '--appendfsync', options.appendfsync ?? 'always', '--loglevel', 'notice',
    ...(options.args ?? []),
  ];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`redis-server did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n${output}`));
    };
    child.on('error', (error: NodeJS.ErrnoException) =>
      fail(error.code === 'ENOENT' ? new Error('redis-server is not installed: run `apt-get install -y redis-server`') : error),
    );
    child.on('exit', (code) => fail(new Error(`redis-server exited with code ${code} while starting`)));
    const watch = (chunk: Buffer) => {
      output += chunk.toString();
      // A Sentinel never says it is ready; it serves once it has an id.
      if (/Ready to accept connections|Sentinel ID is/.test(output)) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.stdout!.off('data', watch);
        child.stdout!.resume(); // keep draining so the server never blocks on a full pipe
        resolve(child);
      }
    };
    child.stdout!.on('data', watch);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  });
}

async function terminate(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGCONT'); // a frozen (SIGSTOPped) server handles SIGTERM only once it runs again
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'headcount-redis-'));
  if (options.config !== undefined) await writeFile(join(dir, 'redis.conf'), options.config);
  let port = 0;
  let child: ChildProcess | undefined;
  // Another process may take the free port before redis-server binds it: try a few.
  for (let attempt = 1; child === undefined; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, dir, options);
    } catch (error) {
      if (attempt === 3 || !String(error).includes('Address already in use')) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child!.pid!;
    },
    async stop() {
      await terminate(child, 'SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
    async kill(signal = 'SIGKILL') {
      await terminate(child, signal);
    },
    async restart() {
      await terminate(child, 'SIGTERM');
      child = await launch(port, dir, options);
    },
  };
}
