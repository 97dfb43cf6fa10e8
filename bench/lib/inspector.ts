// A full garbage collection in a server under test, through its inspector (node --inspect), so that
// an RSS reading counts what the process holds and not the garbage its last burst left: held sessions,
// not how long ago V8 last collected. Servers measured this way get --inspect=127.0.0.1:0 (a port only
// loopback reaches); nothing attaches to it but this.
import WebSocket from 'ws';

export const INSPECT_ARG = '--inspect=127.0.0.1:0';
const DEBUGGER_URL = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/;
const ANSWER_TIMEOUT_MS = 30_000;

/** The inspector's WebSocket address in what the process printed, or undefined before it printed it. */
export function debuggerUrl(output: string): string | undefined {
  return DEBUGGER_URL.exec(output)?.[1];
}

/** Runs one forced full collection (HeapProfiler.collectGarbage) in the process behind `url`. */
export async function collectGarbage(url: string): Promise<void> {
  const socket = new WebSocket(url);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the inspector at ${url} did not answer within ${ANSWER_TIMEOUT_MS} ms`)), ANSWER_TIMEOUT_MS);
      socket.once('error', reject);
      socket.once('open', () => socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })));
      socket.on('message', (data) => {
        if ((JSON.parse(String(data)) as { id?: number }).id !== 1) return;
        clearTimeout(timer);
        resolve();
      });
    });
  } finally {
    socket.close();
  }
}
