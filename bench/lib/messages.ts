// IPC between the bench runner and bench/load-worker.ts: every request carries an id and the worker
// answers each with one reply of the same id; `ready` and `events` (id 0) are the only messages it sends unasked.
import type { WelcomeMessage } from '../../src/protocol.js';

/** bare: connect+open; page: open, hello, wait for welcome; widget: open, sub, wait for the first counts. */
export type SocketMode = 'bare' | 'page' | 'widget';

export interface OpenSpec {
  url: string;
  mode: SocketMode;
  count: number;
  /** Opens in flight at once in this worker. */
  concurrency: number;
  /** Reconnect after an unasked close, same psid, with the backoff of docs/protocol.md. */
  reconnect: boolean;
  /** Pages: the articles they spread over, and where this worker starts and steps (articleOf in articles.ts). */
  articles: number;
  first: number;
  stride: number;
  /** Pages: report every hello sent, welcome received and clean leave to the runner (LoadEvent). */
  record?: boolean;
}

/** What a recording worker saw of one page session, for the runner's ground truth (test/support/ground-truth.ts). */
export type LoadEvent =
  | { kind: 'hello'; psid: string; vid: string }
  | { kind: 'welcome'; welcome: WelcomeMessage }
  | { kind: 'left'; psid: string };

export interface OpenResult {
  ok: number;
  failed: number;
  /** The first few failure messages, for the report. */
  errors: string[];
  /** Absolute times (performance.timeOrigin + now) of the first attempt and the last success. */
  startedAt: number;
  endedAt: number;
}

export interface Status {
  open: number;
  /** Sockets made ready (welcome or open) again by a reconnect since the last `mark`. */
  readied: number;
  /** Of those, welcomes that counted a new pageview (`resumed: false`). */
  notResumed: number;
  lastReadyAt: number;
  /** Sockets that were ready once and are not open now: waiting to reconnect, or reconnecting. */
  reconnecting: number;
  /** Close codes of failed or ended sockets since the last `mark` (1006: refused or cut). */
  closeCodes: Record<number, number>;
  /** Every such re-admission time, when asked for. */
  readyTimes?: number[];
}

export type Request =
  | { id: number; op: 'open'; spec: OpenSpec }
  | { id: number; op: 'closeAll' }
  | { id: number; op: 'mark' }
  | { id: number; op: 'status'; times?: boolean }
  /** Tell when every widget of this worker has seen online.total >= total. */
  | { id: number; op: 'await'; total: number }
  /** Latencies (ms) of every widget's first counts with online.total >= k, from marks[k]. */
  | { id: number; op: 'latencies'; marks: Record<number, number> }
  /** Close `count` of the longest-open ready pages cleanly (1000, no reconnect) and open as many new ones like them. */
  | { id: number; op: 'churn'; count: number };

export type Reply =
  | { id: 0; op: 'ready' }
  | { id: number; op: 'open'; result: OpenResult }
  | { id: number; op: 'closeAll'; closed: number }
  | { id: number; op: 'mark' }
  | { id: number; op: 'status'; status: Status }
  | { id: number; op: 'await' }
  | { id: number; op: 'latencies'; latencies: number[]; missed: number }
  | { id: number; op: 'churn'; closed: number; result: OpenResult }
  | { id: number; op: 'error'; message: string }
  /** Unasked, from recording workers: batched LoadEvents, always sent before the reply that follows them. */
  | { id: 0; op: 'events'; events: LoadEvent[] };

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one machine. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}
