// What a running Headcount process holds, for soak tests: RSS and open files from /proc, JS heap used,
// active handles and open sockets from its own /metrics (prom-client's default metrics), the heap read
// after a full garbage collection forced through the inspector. The process must have been started
// with NODE_OPTIONS=--inspect=127.0.0.1:0 (INSPECT_ENV), which prints the inspector's address.
import { readdirSync } from 'node:fs';
import { collectGarbage, debuggerUrl } from '../../bench/lib/inspector.js';
import { rssBytes } from '../../bench/lib/processes.js';
import type { HeadcountProcess } from './headcount.js';

/** Env for startHeadcount: an inspector on a free loopback port, so figures can be read after GC. */
export const INSPECT_ENV = { NODE_OPTIONS: '--inspect=127.0.0.1:0' } as const;
const INSPECTOR_TIMEOUT_MS = 10_000;

export interface ProcessFigures {
  rssBytes: number;
  heapUsedBytes: number;
  activeHandles: number;
  openFiles: number;
  /** WebSockets the process held when read (a reading of a busy process says so). */
  openSockets: number;
}

function inspectorUrl(output: string): string {
  const url = debuggerUrl(output);
  if (url === undefined) throw new Error('no inspector address in the process output: start it with INSPECT_ENV');
  return url;
}

/** Sum of every series of a metric (all label sets) in a Prometheus text exposition. */
function metricSum(text: string, name: string): number {
  let sum = 0;
  let found = false;
  for (const match of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) {
    sum += Number(match[1]);
    found = true;
  }
  if (!found) throw new Error(`/metrics has no ${name}`);
  return sum;
}

/** Forces a full GC in the process (bench/lib/inspector.ts), then reads its figures. */
export async function readProcessFigures(headcount: HeadcountProcess): Promise<ProcessFigures> {
  const pid = headcount.child.pid!;
  await collectGarbage(inspectorUrl(headcount.output()), INSPECTOR_TIMEOUT_MS);
  const response = await fetch(`${headcount.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
  const text = await response.text();
  return {
    rssBytes: rssBytes(pid),
    heapUsedBytes: metricSum(text, 'nodejs_heap_size_used_bytes'),
    // prom-client's per-type gauge; the service drops the summed `_total` one (src/metrics/metrics.ts).
    activeHandles: metricSum(text, 'nodejs_active_handles'),
    openFiles: readdirSync(`/proc/${pid}/fd`).length,
    openSockets: metricSum(text, 'headcount_open_sockets'),
  };
}
