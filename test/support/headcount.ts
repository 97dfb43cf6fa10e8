// Runs the real service (src/main.ts, or what `entry` names) as a child process, as `npm start` does, on a free port.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface HeadcountProcess {
  url: string;
  wsUrl: string;
  port: number;
  dataDir: string;
  child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Stops (SIGTERM by default) and starts again on the same port and data directory. */
  restart(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the process and removes the data directory the helper made. */
  dispose(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** What node runs: the sources through tsx unless told, e.g. the compiled dist/main.js the bench measures. */
  entry?: readonly string[];
  port?: number;
  dataDir?: string;
}

const SOURCES = ['--import', 'tsx', 'src/main.ts'];

function launch(entry: readonly string[], env: Record<string, string>, port: number, dataDir: string): Promise<{ child: ChildProcess; port: number; log: string[] }> {
  const child = spawn(process.execPath, entry, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', LOG_LEVEL: 'warn', PORT: String(port), DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`headcount did not start within 20 s:\n${log.join('')}`));
    }, 20_000);
    const onData = (chunk: Buffer) => {
      log.push(chunk.toString());
      const match = /Headcount listening on http:\/\/[^:]+:(\d+)/.exec(log.join(''));
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]), log });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`headcount exited with ${code} before listening:\n${log.join('')}`));
    });
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

export async function startHeadcount(options: StartOptions = {}): Promise<HeadcountProcess> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'headcount-data-'));
  const env = options.env ?? {};
  const entry = options.entry ?? SOURCES;
  let running = await launch(entry, env, options.port ?? 0, dataDir);
  const port = running.port;
  const handle: HeadcountProcess = {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    port,
    dataDir,
    get child() {
      return running.child;
    },
    output: () => running.log.join(''),
    async stop(signal = 'SIGTERM') {
      running.child.kill(signal);
      return exited(running.child);
    },
    async restart(signal = 'SIGTERM') {
      await handle.stop(signal);
      running = await launch(entry, env, port, dataDir);
    },
    async dispose() {
      running.child.kill('SIGKILL');
      await exited(running.child);
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return handle;
}
