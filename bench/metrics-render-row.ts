// bench/metrics-render.ts (the metrics work's own benchmark) run as a child process and turned into
// a row of this table: it prints "median X ms" and "PASS|FAIL: ... N ms budget".
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Measurement } from './lib/context.js';
import { killOnExit } from './lib/processes.js';
import { figure } from './lib/report.js';

export const METRICS_RENDER_SCRIPT = fileURLToPath(new URL('./metrics-render.ts', import.meta.url));
const TIMEOUT_MS = 120_000;

function runScript(path: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  const forget = killOnExit(() => child.kill('SIGKILL'));
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
  return new Promise((resolve) => child.once('exit', (code) => {
    clearTimeout(timer);
    forget();
    resolve({ code, output });
  }));
}

export const metricsRender: Measurement = {
  id: 'metrics',
  title: 'metrics render (bench/metrics-render.ts)',
  async run(ctx) {
    if (!existsSync(METRICS_RENDER_SCRIPT)) throw new Error('bench/metrics-render.ts is missing');
    const { code, output } = await runScript(METRICS_RENDER_SCRIPT);
    const median = /median ([\d.]+) ms/.exec(output)?.[1];
    const budget = /([\d.]+) ms budget/.exec(output)?.[1];
    const verdict = /^(PASS|FAIL):/m.exec(output)?.[1];
    if (median === undefined || budget === undefined || verdict === undefined) throw new Error(`unexpected output (exit ${code}): ${output.trim().slice(-300)}`);
    ctx.log(output.trim().split('\n')[0]!);
    return {
      figures: [{
        ...figure({ name: 'GET /metrics render, 100 sites, median (ms)', value: Number(median), target: { on: 'value', op: '<=', limit: Number(budget) }, note: 'bench/metrics-render.ts (in-process, embedded store); its own verdict' }),
        target: `< ${budget}`,
        pass: verdict === 'PASS',
      }],
      details: { exitCode: code, output },
    };
  },
};
