// Servers under test, each its own process so its RSS is its own: the real Headcount and the baselines
// in bench/baselines/, both compiled and run as production runs them (compiled.ts; build.ts RUN_ENV,
// the baselines too, so they differ from Headcount in their code only). Every process started
// here is killed when the runner exits, whatever way it exits.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { RUN_ENV } from '../../build.js';
import type { Counts } from '../../src/protocol.js';
import { startHeadcount } from '../../test/support/headcount.js';
import { compiled, compiledBaseline, COMPILED_MAIN, type Baseline } from './compiled.js';
import { collectGarbage, debuggerUrl, INSPECT_ARG } from './inspector.js';

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 15_000;

export interface ServerProcess {
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** ws://127.0.0.1:PORT/ws?site=demo */
  readonly wsUrl: string;
  pid(): number;
  /** A full garbage collection in the process, when it was started with `inspect` (inspector.ts); resolves with V8's heap size after it. */
  collectGarbage?(): Promise<number>;
  /** SIGTERM, wait for the exit, start again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const running = new Set<() => void>();
process.on('exit', () => running.forEach((kill) => kill()));

/** Registers a synchronous kill to run if the runner exits while the process still runs. */
export function killOnExit(kill: () => void): () => void {
  running.add(kill);
  return () => running.delete(kill);
}

/** Resident set size of a process, from /proc/PID/status (VmRSS). */
export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1_024;
}

/** Clock ticks per second of /proc/PID/stat's times: 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time a process has used so far, user and system (µs, to the 10 ms tick), from /proc/PID/stat. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces; the fields after it are numbered from "state" (field 3).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime] = [Number(fields[11]), Number(fields[12])];
  return ((utime + stime) * 1e6) / CLOCK_TICKS_PER_SECOND;
}

function urls(port: number) {
  return { port, url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws?site=demo` };
}

async function exited(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exit = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exit;
  clearTimeout(timer);
}

export interface HeadcountOptions {
  redisUrl: string;
  /** Its own key prefix per measurement, so measurements sharing one Redis never see each other. */
  keyPrefix: string;
  env?: Record<string, string>;
  /** Started with the inspector on, so collectGarbage() works: for measurements that read RSS. */
  inspect?: boolean;
}

function garbageCollector(inspect: boolean | undefined, output: () => string): Pick<ServerProcess, 'collectGarbage'> {
  if (!inspect) return {};
  return {
    collectGarbage() {
      const url = debuggerUrl(output());
      return url === undefined ? Promise.reject(new Error('the server printed no inspector address')) : collectGarbage(url);
    },
  };
}

/** The real service as `npm start` runs it, with the per-address limits raised for one-address load. */
export async function startHeadcountServer(options: HeadcountOptions): Promise<ServerProcess> {
  await compiled();
  const handle = await startHeadcount({
    entry: options.inspect ? [INSPECT_ARG, COMPILED_MAIN] : [COMPILED_MAIN],
    env: {
      ...RUN_ENV,
      REDIS_URL: options.redisUrl,
      KEY_PREFIX: options.keyPrefix,
      MAX_SOCKETS_PER_IP: '1000000',
      HTTP_REQUESTS_PER_MINUTE: '10000000',
      LOG_LEVEL: 'error',
      ...options.env,
    },
  });
  const forget = killOnExit(() => handle.child.kill('SIGKILL'));
  return {
    ...urls(handle.port),
    pid: () => handle.child.pid!,
    ...garbageCollector(options.inspect, () => handle.output()),
    restart: () => handle.restart('SIGTERM'),
    async stop() {
      await handle.stop('SIGTERM');
      await handle.dispose();
      forget();
    },
  };
}

/** A compiled baseline from bench/baselines/ (it sends {port} over IPC once listening), on PORT or a free port. */
export async function startBaseline(script: Baseline, env: Record<string, string> = {}, options: { inspect?: boolean } = {}): Promise<ServerProcess> {
  await compiled();
  const path = compiledBaseline(script);
  let stderr = '';
  const launch = async (port: number) => {
    stderr = '';
    const execArgv = options.inspect ? [INSPECT_ARG] : [];
    const child = fork(path, [], { execArgv, env: { PATH: process.env.PATH ?? '', ...RUN_ENV, PORT: String(port), ...env }, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk;
      // The inspector's banner is read here, not shown.
      const shown = String(chunk).replace(/^(Debugger listening on|For help, see:).*\n/gm, '');
      if (shown !== '') process.stderr.write(shown);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
    const [message] = (await Promise.race([once(child, 'message'), once(child, 'exit').then(() => [undefined])])) as [{ port: number } | undefined];
    clearTimeout(timer);
    if (!message) throw new Error(`${script} exited before listening`);
    return { child, port: message.port };
  };
  let current = await launch(0);
  const forget = killOnExit(() => current.child.kill('SIGKILL'));
  return {
    ...urls(current.port),
    pid: () => current.child.pid!,
    ...garbageCollector(options.inspect, () => stderr),
    async restart() {
      await exited(current.child, 'SIGTERM');
      current = await launch(current.port);
    },
    async stop() {
      await exited(current.child, 'SIGTERM');
      forget();
    },
  };
}

/** GET /api/sites/demo/stats of a Headcount process. */
export async function readStats(server: ServerProcess): Promise<Counts> {
  const response = await fetch(`${server.url}/api/sites/demo/stats`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`stats API answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Counts;
}

/** Runs `use` against a server once it has started, and stops the server whatever happens. */
export async function withServer<T>(starting: Promise<ServerProcess>, use: (server: ServerProcess) => Promise<T>): Promise<T> {
  const server = await starting;
  try {
    return await use(server);
  } finally {
    await server.stop();
  }
}
