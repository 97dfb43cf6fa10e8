// What every measurement gets from the runner, and what it gives back.
import type { LoadPool } from './load-pool.js';
import type { BenchRedis } from './redis-info.js';
import type { Figure } from './report.js';

export interface BenchContext {
  /** The run's private redis-server (never a shared one): INFO deltas are ours alone. */
  readonly redisUrl: string;
  readonly redis: BenchRedis;
  readonly pool: LoadPool;
  /** Scales a full-run socket count (1 for the real run; e.g. 0.03 while developing). */
  count(full: number): number;
  /** Length of the steady-state Redis window. */
  readonly steadySeconds: number;
  log(line: string): void;
}

export interface Outcome {
  figures: Figure[];
  /** Raw numbers behind the figures, kept in the JSON results. */
  details: Record<string, unknown>;
}

export interface Measurement {
  /** Short id, used by --only=. */
  readonly id: string;
  /** The row printed (as FAIL) when the measurement itself breaks. */
  readonly title: string;
  run(ctx: BenchContext): Promise<Outcome>;
}
