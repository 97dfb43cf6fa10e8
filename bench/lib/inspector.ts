// A full garbage collection in a server under test, through its inspector (node --inspect), so that
// an RSS reading counts what the process holds and not the garbage its last burst left: held sessions,
// not how long ago V8 last collected. Servers measured this way get --inspect=127.0.0.1:0 (a port only
// loopback reaches); nothing attaches to it but this.
//
// V8 also resizes its young generation as it goes (1 or 4 MiB per semi-space here, whatever the
// sessions held), and a collection may leave it either way: one reading at 10,000 sessions came out
// 4 MiB high for that alone. So collections repeat, up to MAX_COLLECTIONS, until new space is as small
// as it has been in this process.
import WebSocket from 'ws';

export const INSPECT_ARG = '--inspect=127.0.0.1:0';
const DEBUGGER_URL = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/g;
const ANSWER_TIMEOUT_MS = 30_000;
const MAX_COLLECTIONS = 4;
/** Evaluated in the process (the console's command-line API has `require`): [new space's size, the whole heap's], in bytes. */
const HEAP_SIZES = "((spaces) => [spaces.find((space) => space.space_name === 'new_space').space_size, spaces.reduce((sum, space) => sum + space.space_size, 0)])(require('v8').getHeapSpaceStatistics())";

/** The smallest new space each process (by inspector address) has shown. */
const smallestNewSpace = new Map<string, number>();

/** The inspector's WebSocket address in what the process printed (the latest, after a restart), or undefined before it printed one. */
export function debuggerUrl(output: string): string | undefined {
  return [...output.matchAll(DEBUGGER_URL)].at(-1)?.[1];
}

/** One inspector connection: sends Chrome DevTools Protocol commands and awaits their answers. */
async function connect(url: string, timeoutMs: number): Promise<{ call(method: string, params?: object): Promise<unknown>; close(): void }> {
  const socket = new WebSocket(url);
  const pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  socket.on('message', (data) => {
    const answer = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
    const waiter = answer.id === undefined ? undefined : pending.get(answer.id);
    if (answer.error) waiter?.reject(new Error(`inspector: ${answer.error.message}`));
    else waiter?.resolve(answer.result);
  });
  socket.on('error', (error) => [...pending.values()].forEach((waiter) => waiter.reject(error)));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('open', () => resolve());
  });
  return {
    call(method, params = {}) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => settle(() => reject(new Error(`the inspector at ${url} did not answer ${method} within ${timeoutMs} ms`))), timeoutMs);
        const settle = (done: () => void) => {
          clearTimeout(timer);
          pending.delete(id);
          done();
        };
        pending.set(id, { resolve: (result) => settle(() => resolve(result)), reject: (error) => settle(() => reject(error)) });
        socket.send(JSON.stringify({ id, method, params }));
      });
    },
    close: () => socket.close(),
  };
}

/**
 * Forced full collections (HeapProfiler.collectGarbage) in the process behind `url`, until its new
 * space is at its smallest; resolves with the size of V8's heap then (bytes committed, all spaces).
 * Each inspector command must answer within `timeoutMs`.
 */
export async function collectGarbage(url: string, timeoutMs = ANSWER_TIMEOUT_MS): Promise<number> {
  const inspector = await connect(url, timeoutMs);
  try {
    let heap = Number.NaN;
    for (let i = 0; i < MAX_COLLECTIONS; i++) {
      await inspector.call('HeapProfiler.collectGarbage');
      const answer = (await inspector.call('Runtime.evaluate', { expression: HEAP_SIZES, includeCommandLineAPI: true, returnByValue: true })) as { result?: { value?: unknown } };
      const sizes = answer.result?.value;
      if (!Array.isArray(sizes) || typeof sizes[0] !== 'number' || typeof sizes[1] !== 'number') throw new Error(`the inspector at ${url} did not tell the heap's sizes`);
      const [newSpace, all] = sizes as [number, number];
      heap = all;
      const smallest = Math.min(newSpace, smallestNewSpace.get(url) ?? newSpace);
      smallestNewSpace.set(url, smallest);
      if (newSpace === smallest) break;
    }
    return heap;
  } finally {
    inspector.close();
  }
}
