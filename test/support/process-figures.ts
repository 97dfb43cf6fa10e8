// What a running Headcount process holds, for soak tests: RSS and open files from /proc, JS heap used,
// active handles and open sockets from its own /metrics (prom-client's default metrics), the heap read
// after a full garbage collection forced through the inspector. The process must have been started
// with NODE_OPTIONS=--inspect=127.0.0.1:0 (INSPECT_ENV), which prints the inspector's address.
import { readdirSync } from 'node:fs';
import WebSocket from 'ws';
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
  const all = [...output.matchAll(/Debugger listening on (ws:\/\/\S+)/g)];
  if (all.length === 0) throw new Error('no inspector address in the process output: start it with INSPECT_ENV');
  return all.at(-1)![1]!;
}

/** A full garbage collection in the process (Chrome DevTools Protocol HeapProfiler.collectGarbage). */
async function collectGarbage(url: string): Promise<void> {
  const socket = new WebSocket(url);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`inspector did not collect garbage within ${INSPECTOR_TIMEOUT_MS} ms`)), INSPECTOR_TIMEOUT_MS);
      socket.once('error', reject);
      socket.once('open', () => socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })));
      socket.on('message', (data) => {
        const message = JSON.parse(data.toString()) as { id?: number; error?: { message: string } };
        if (message.id !== 1) return;
        clearTimeout(timer);
        if (message.error) reject(new Error(`inspector: ${message.error.message}`));
        else resolve();
      });
    });
  } finally {
    socket.close();
  }
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

/** Forces a full GC in the process, then reads its figures. */
export async function readProcessFigures(headcount: HeadcountProcess): Promise<ProcessFigures> {
  const pid = headcount.child.pid!;
  await collectGarbage(inspectorUrl(headcount.output()));
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
