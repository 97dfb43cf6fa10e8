// Start-up: from exec to listening, of the compiled server (`node dist/main.js`, as `npm start` runs
// it) against the bare ws baseline compiled the same way (bench/lib/compiled.ts). Rounds alternate
// between the two; the server restarts on one DATA_DIR (and one Redis key prefix), as after a SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_ENV } from '../build.js';
import { compiled, compiledBaseline, COMPILED_MAIN } from './lib/compiled.js';
import type { Measurement } from './lib/context.js';
import { summarize } from './lib/numbers.js';
import { killOnExit } from './lib/processes.js';
import { figure } from './lib/report.js';

const ROUNDS = 7;
const START_TIMEOUT_MS = 20_000;
const TARGET_RATIO = 2.5;

/** Milliseconds from spawn to `ready(output)`, then a SIGTERM and the exit. */
async function timeToListen(args: string[], env: Record<string, string>, ready: (output: string) => boolean): Promise<number> {
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...RUN_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const forget = killOnExit(() => child.kill('SIGKILL'));
  let output = '';
  try {
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not listen within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
      const check = () => {
        if (!ready(output)) return;
        clearTimeout(timer);
        resolve(performance.now() - started);
      };
      child.stdout!.on('data', (chunk: Buffer) => ((output += chunk), check()));
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
      child.on('message', (message) => ((output += `${JSON.stringify(message)}\n`), check()));
      child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before listening:\n${output}`)));
    });
  } finally {
    const exit = once(child, 'exit');
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(timer);
    forget();
  }
}

export const startUp: Measurement = {
  id: 'startup',
  title: 'start-up: exec to listening',
  async run(ctx) {
    await compiled();
    const dataDir = mkdtempSync(join(tmpdir(), 'headcount-bench-startup-'));
    const server = { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'error' };
    const listening = (output: string) => output.includes('Headcount listening on');
    const samples = { bare: [] as number[], embedded: [] as number[], redis: [] as number[] };
    try {
      for (let round = 0; round < ROUNDS; round++) {
        samples.bare.push(await timeToListen([compiledBaseline('bare-ws-server')], { PORT: '0' }, (output) => output.includes('"port"')));
        samples.embedded.push(await timeToListen([COMPILED_MAIN], { ...server, DATA_DIR: dataDir }, listening));
        samples.redis.push(await timeToListen([COMPILED_MAIN], { ...server, REDIS_URL: ctx.redisUrl, KEY_PREFIX: 'bench-startup' }, listening));
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    const [bare, embedded, redis] = [summarize(samples.bare), summarize(samples.embedded), summarize(samples.redis)];
    ctx.log(`exec to listening, median of ${ROUNDS}: node dist/main.js ${embedded.p50.toFixed(0)} ms embedded, ${redis.p50.toFixed(0)} ms on Redis; bare ws ${bare.p50.toFixed(0)} ms`);
    const note = `median of ${ROUNDS} alternating starts, spawn to the listening line (the baseline: to its port over IPC); compiled by build.ts, no loader`;
    return {
      figures: [
        figure({ name: 'start-up: exec to listening, embedded store (ms)', value: embedded.p50, baseline: bare.p50, baselineName: 'bare ws, compiled', target: { on: 'ratio', op: '<=', limit: TARGET_RATIO }, note }),
        figure({ name: 'start-up: exec to listening, Redis (ms)', value: redis.p50, baseline: bare.p50, baselineName: 'bare ws, compiled', target: { on: 'ratio', op: '<=', limit: TARGET_RATIO } }),
      ],
      details: { samples, bare, embedded, redis },
    };
  },
};
