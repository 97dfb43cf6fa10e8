// The load generator: several forked bench/load-worker.ts processes, each under the 20,000 open
// files a process may hold here, each binding its sockets to source addresses of its own
// 127.W.0.0/16 block (W = FIRST_BLOCK + worker index), rotated as load-worker.ts explains.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DEFAULT_ARTICLES } from './articles.js';
import type { LoadEvent, OpenResult, Reply, Request, SocketMode, Status } from './messages.js';

const WORKER_SCRIPT = fileURLToPath(new URL('../load-worker.ts', import.meta.url));
const START_TIMEOUT_MS = 20_000;
const REQUEST_TIMEOUT_MS = 120_000;
/** Opens in flight per worker: several workers together stay under the server's listen backlog (511). */
const CONCURRENCY_PER_WORKER = 64;
/** Keeps every worker well under its 20,000 open files. */
const MAX_SOCKETS_PER_WORKER = 9_000;

/** Workers bind 127.20.x.y, 127.21.x.y, ...: loopback, clear of 127.0.0.1 where the servers listen. */
const FIRST_BLOCK = 20;

/** A request without its id: Omit applied to each member of the union. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Body = WithoutId<Request>;

class Worker {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  readonly ready: Promise<void>;

  constructor(private readonly child: ChildProcess, onEvents: (events: LoadEvent[]) => void) {
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`load worker did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      child.on('message', (reply: Reply) => {
        if (reply.op === 'ready') {
          clearTimeout(timer);
          return resolve();
        }
        if (reply.op === 'events') return onEvents(reply.events);
        const waiter = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        if (reply.op === 'error') waiter?.reject(new Error(`load worker: ${reply.message}`));
        else waiter?.resolve(reply);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        const error = new Error(`load worker exited with ${code}`);
        reject(error);
        for (const waiter of this.pending.values()) waiter.reject(error);
        this.pending.clear();
      });
    });
  }

  request<Op extends Reply['op']>(body: Body, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Extract<Reply, { op: Op }>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`load worker did not answer ${body.op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply as Extract<Reply, { op: Op }>);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ ...body, id } as Request);
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

function addCounts(a: Record<number, number>, b: Record<number, number>): Record<number, number> {
  const sum = { ...a };
  for (const [key, n] of Object.entries(b)) sum[Number(key)] = (sum[Number(key)] ?? 0) + n;
  return sum;
}

export interface OpenSummary {
  ok: number;
  failed: number;
  errors: string[];
  /** From the first attempt in any worker to the last success in any worker. */
  seconds: number;
  perSecond: number;
}

/** Worker i's part of `count` split evenly over `workers`. */
function evenShare(count: number, workers: number, i: number): number {
  return Math.floor(count / workers) + (i < count % workers ? 1 : 0);
}

function sumResults(results: readonly OpenResult[]): OpenSummary {
  const ok = results.reduce((sum, r) => sum + r.ok, 0);
  const seconds = (Math.max(...results.map((r) => r.endedAt)) - Math.min(...results.map((r) => r.startedAt))) / 1_000;
  return {
    ok,
    failed: results.reduce((sum, r) => sum + r.failed, 0),
    errors: results.flatMap((r) => r.errors).slice(0, 5),
    seconds,
    perSecond: ok / seconds,
  };
}

export class LoadPool {
  private constructor(private readonly workers: Worker[]) {}

  /** `onEvents` gets what pages opened with `record` saw, each worker's events in the order they happened. */
  static async start(size: number, onEvents: (events: LoadEvent[]) => void = () => {}): Promise<LoadPool> {
    const workers = Array.from({ length: size }, (_, i) =>
      new Worker(fork(WORKER_SCRIPT, [], {
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, LOAD_ADDRESS_BLOCK: String(FIRST_BLOCK + i) },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }), onEvents),
    );
    const pool = new LoadPool(workers);
    try {
      await Promise.all(workers.map((worker) => worker.ready));
    } catch (error) {
      pool.stop();
      throw error;
    }
    return pool;
  }

  /** The workers' process ids, to read what they cost (processes.ts cpuMicros). */
  pids(): number[] {
    return this.workers.map((worker) => worker.pid);
  }

  /** Opens in flight at once over all workers. */
  get inFlight(): number {
    return this.workers.length * CONCURRENCY_PER_WORKER;
  }

  get capacity(): number {
    return this.workers.length * MAX_SOCKETS_PER_WORKER;
  }

  /**
   * Opens `count` sockets split evenly over the workers, all at once; resolves when every one is ready
   * or failed. Pages read `articles` articles round robin over all workers (bench/lib/articles.ts).
   */
  async open(url: string, mode: SocketMode, count: number, options: { reconnect?: boolean; articles?: number; record?: boolean } = {}): Promise<OpenSummary> {
    if (count > this.capacity) throw new Error(`${count} sockets exceed the pool's ${this.capacity}`);
    const share = (i: number) => evenShare(count, this.workers.length, i);
    const replies = await Promise.all(this.workers.map((worker, i) =>
      worker.request<'open'>({
        op: 'open',
        spec: {
          url, mode, count: share(i), concurrency: CONCURRENCY_PER_WORKER, reconnect: options.reconnect ?? false,
          articles: options.articles ?? DEFAULT_ARTICLES, first: i, stride: this.workers.length, record: options.record ?? false,
        },
      }),
    ));
    return sumResults(replies.map((reply) => reply.result));
  }

  /**
   * Page churn: `count` of the longest-open ready pages (split evenly over the workers) close with 1000
   * and as many new ones open like them; resolves with how many closed and how the opens went.
   */
  async churn(count: number): Promise<{ closed: number } & OpenSummary> {
    const share = (i: number) => evenShare(count, this.workers.length, i);
    const replies = await Promise.all(this.workers.map((worker, i) => worker.request<'churn'>({ op: 'churn', count: share(i) })));
    return { closed: replies.reduce((sum, r) => sum + r.closed, 0), ...sumResults(replies.map((reply) => reply.result)) };
  }

  /** Closes every socket (code 1000, reconnects off) and forgets them. */
  async closeAll(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.request<'closeAll'>({ op: 'closeAll' }, 30_000)));
  }

  /** Zeroes the reconnect counters of status(). */
  async mark(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.request<'mark'>({ op: 'mark' })));
  }

  /** Summed over the workers; `times` adds every re-admission time since mark(). */
  async status(times = false): Promise<Status> {
    const all = await Promise.all(this.workers.map((worker) => worker.request<'status'>({ op: 'status', times }, 10_000)));
    return all.reduce<Status>((sum, { status }) => ({
      open: sum.open + status.open,
      readied: sum.readied + status.readied,
      notResumed: sum.notResumed + status.notResumed,
      lastReadyAt: Math.max(sum.lastReadyAt, status.lastReadyAt),
      reconnecting: sum.reconnecting + status.reconnecting,
      closeCodes: addCounts(sum.closeCodes, status.closeCodes),
      ...(times ? { readyTimes: [...(sum.readyTimes ?? []), ...(status.readyTimes ?? [])] } : {}),
    }), { open: 0, readied: 0, notResumed: 0, lastReadyAt: 0, reconnecting: 0, closeCodes: {} });
  }

  /** Resolves true once every widget has seen online.total >= total, false after the timeout. */
  async awaitTotal(total: number, timeoutMs: number): Promise<boolean> {
    try {
      await Promise.all(this.workers.map((worker) => worker.request<'await'>({ op: 'await', total }, timeoutMs)));
      return true;
    } catch {
      return false;
    }
  }

  /** Delivery latencies (ms) of every widget for every mark (online.total -> time the change began). */
  async latencies(marks: Record<number, number>): Promise<{ latencies: number[]; missed: number }> {
    const all = await Promise.all(this.workers.map((worker) => worker.request<'latencies'>({ op: 'latencies', marks })));
    return { latencies: all.flatMap((r) => r.latencies), missed: all.reduce((sum, r) => sum + r.missed, 0) };
  }

  stop(): void {
    for (const worker of this.workers) worker.kill();
  }
}
