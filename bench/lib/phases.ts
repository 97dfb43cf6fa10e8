// Steps several measurements share.
import type { BenchContext } from './context.js';
import type { SocketMode } from './messages.js';
import { sleep } from './numbers.js';
import { rssBytes, type ServerProcess } from './processes.js';

const WARM_UP_SOCKETS = 200;

/** Runs the server's socket code paths once (JIT, lazy modules, pools), so "idle" means ready to serve. */
export async function warmUp(ctx: BenchContext, server: ServerProcess, mode: SocketMode): Promise<void> {
  await ctx.pool.open(server.wsUrl, mode, WARM_UP_SOCKETS);
  await ctx.pool.closeAll();
  await sleep(1_000);
}

export interface SettledMemory {
  rss: number;
  /** V8's heap (bytes committed) after the collection; undefined for a server started without the inspector. */
  heap: number | undefined;
}

/** RSS once it has settled: the median of five samples over two seconds, after a full garbage
 * collection when the server was started with the inspector (inspector.ts). */
export async function settledMemory(server: ServerProcess): Promise<SettledMemory> {
  const heap = await server.collectGarbage?.();
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    await sleep(500);
    samples.push(rssBytes(server.pid()));
  }
  return { rss: samples.sort((a, b) => a - b)[2]!, heap };
}

export async function settledRss(server: ServerProcess): Promise<number> {
  return (await settledMemory(server)).rss;
}
