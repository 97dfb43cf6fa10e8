// Every core of one machine (WORKERS=auto|N): a node:cluster primary forks worker processes that
// share one port, each a full Headcount instance with its own presence entry in the Redis store.
// The primary serves nothing itself: it prints the start-up line once every worker listens,
// replaces a worker that dies, aggregates /metrics for whichever worker is scraped, and stops the
// workers on SIGTERM. Worker-side helpers are the functions below runPrimary.
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Logger } from './logger.js';

type Message =
  | { type: 'headcount:listening'; line: string }
  | { type: 'headcount:scrape'; id: number }
  | { type: 'headcount:scraped'; id: number; text?: string; error?: string };

const isMessage = (value: unknown): value is Message =>
  typeof value === 'object' && value !== null && String((value as { type?: unknown }).type).startsWith('headcount:');

/** A worker that keeps dying right after start must not be replaced in a tight loop. */
const RESPAWN_DELAY_MS = 1_000;

export const isClusterWorker = cluster.isWorker;

export interface PrimaryOptions {
  readonly workers: number;
  /** How long a worker may take to stop before it is killed. */
  readonly stopLimitMs: number;
  readonly logger: Logger;
}

export function runPrimary({ workers, stopLimitMs, logger }: PrimaryOptions): void {
  const aggregator = new AggregatorRegistry();
  let listening = 0;
  let started = false;
  let stopping = false;
  let exitCode = 0;

  const fork = () => {
    const worker = cluster.fork();
    worker.on('message', (message: unknown) => {
      if (isMessage(message)) received(worker, message);
    });
  };
  const received = (worker: Worker, message: Message) => {
    if (message.type === 'headcount:listening' && !started && ++listening === workers) {
      started = true;
      console.log(`${message.line}; workers: ${workers}`);
    } else if (message.type === 'headcount:scrape') {
      const reply = (answer: Message) => worker.isConnected() && worker.send(answer);
      aggregator.clusterMetrics().then(
        (text) => reply({ type: 'headcount:scraped', id: message.id, text }),
        (error: Error) => reply({ type: 'headcount:scraped', id: message.id, error: error.message }),
      );
    }
  };
  const alive = () => Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined && !worker.isDead());
  const stop = (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    logger.info({ signal }, 'stopping workers');
    for (const worker of alive()) worker.process.kill('SIGTERM');
    if (alive().length === 0) process.exit(exitCode);
    setTimeout(() => {
      logger.error('workers took too long to stop, killing them');
      for (const worker of alive()) worker.process.kill('SIGKILL');
      process.exit(1);
    }, stopLimitMs + 1_000).unref();
  };

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (code !== 0) exitCode = 1;
      if (alive().length === 0) process.exit(exitCode);
    } else if (!started) {
      console.error(`headcount: worker ${worker.process.pid} exited (${signal ?? `code ${code}`}) while starting; stopping`);
      stop('start-up failure', 1);
    } else {
      logger.error({ pid: worker.process.pid, code, signal }, 'worker died, starting another');
      setTimeout(fork, RESPAWN_DELAY_MS).unref();
    }
  });
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  for (let i = 0; i < workers; i++) fork();
}

/**
 * Worker side: lets the primary collect this worker's registry, and returns what the worker's
 * /metrics serves: every worker's metrics, aggregated by the primary with each metric's aggregator.
 */
export function shareMetrics(registry: Registry): () => Promise<string> {
  // Constructing an AggregatorRegistry is what makes prom-client answer the primary's requests.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  const waiting = new Map<number, { resolve(text: string): void; reject(error: Error): void }>();
  let next = 0;
  process.on('message', (message: unknown) => {
    if (!isMessage(message) || message.type !== 'headcount:scraped') return;
    const request = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.text !== undefined) request?.resolve(message.text);
    else request?.reject(new Error(`aggregating the workers' metrics failed: ${message.error}`));
  });
  return () =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject });
      process.send!({ type: 'headcount:scrape', id } satisfies Message, undefined, undefined, (error) => {
        if (error) {
          waiting.delete(id);
          reject(error);
        }
      });
    });
}

/** Worker side: reports the start-up line to the primary, and stops this worker if the primary goes away. */
export function workerStarted(line: string, stop: (reason: string) => void): void {
  process.send!({ type: 'headcount:listening', line } satisfies Message);
  process.on('disconnect', () => stop('primary exited'));
}
