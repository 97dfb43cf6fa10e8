// npm run bench: every figure of issue 6 against its baseline, measured in one run on loopback,
// so noise from other work on this shared machine hits figure and baseline alike.
//   npm run bench                           full scale (about 5 minutes)
//   npm run bench -- --scale=0.03           small, while developing
//   npm run bench -- --only=held,push       some measurements (ids: startup held admission growth pages push live storm stats metrics history)
//   npm run bench -- --update-docs          also rewrite the results block of docs/performance.md
// Exits 1 when a measurement broke or the time limit was hit; missed targets are FAIL rows, not errors.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startRedisServer } from '../test/support/redis-server.js';
import { admission } from './admission.js';
import { growth } from './growth.js';
import { historyImport } from './history-import.js';
import type { BenchContext, Measurement } from './lib/context.js';
import { LoadPool } from './lib/load-pool.js';
import { livePush } from './live-push.js';
import { describeMachine, machineLine } from './lib/machine.js';
import { killOnExit } from './lib/processes.js';
import { BenchRedis } from './lib/redis-info.js';
import { failed, markdownTable, textTable, writeResults, type Figure } from './lib/report.js';
import { metricsRender } from './metrics-render-row.js';
import { pageCosts } from './page-costs.js';
import { pushLatency } from './push-latency.js';
import { reconnectStorm } from './reconnect-storm.js';
import { sessionsHeld } from './sessions-held.js';
import { startUp } from './start-up.js';
import { statsEndpoint } from './stats-endpoint.js';

const MEASUREMENTS: Measurement[] = [startUp, sessionsHeld, admission, growth, pageCosts, pushLatency, livePush, reconnectStorm, statsEndpoint, metricsRender, historyImport];
/** 19,000 sockets over three workers: about 6,300 each, well under a process's 20,000 open files. */
const WORKERS = 3;
/** A measurement is not started with less than this left of the time limit: the table still prints. */
const MIN_TIME_LEFT_MS = 40_000;
const DOC = fileURLToPath(new URL('../docs/performance.md', import.meta.url));
const DOC_START = '<!-- bench:results:start -->';
const DOC_END = '<!-- bench:results:end -->';

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    only: { type: 'string' },
    'steady-seconds': { type: 'string', default: '30' },
    'time-limit-seconds': { type: 'string', default: '900' },
    'update-docs': { type: 'boolean', default: false },
  },
});
const scale = Number(args.scale);
const steadySeconds = Number(args['steady-seconds']);
const timeLimitMs = Number(args['time-limit-seconds']) * 1_000;
if (!(scale > 0 && scale <= 1) || !(steadySeconds > 0) || !(timeLimitMs > 0)) throw new Error('--scale must be in (0, 1]; --steady-seconds and --time-limit-seconds > 0');
const only = args.only?.split(',');
const unknownIds = only?.filter((id) => !MEASUREMENTS.some((m) => m.id === id)) ?? [];
if (unknownIds.length > 0) throw new Error(`--only: unknown ${unknownIds.join(', ')}; ids are ${MEASUREMENTS.map((m) => m.id).join(' ')}`);
const selected = MEASUREMENTS.filter((m) => !only || only.includes(m.id));

const startedAt = new Date();
const elapsed = () => ((Date.now() - startedAt.getTime()) / 1_000).toFixed(1).padStart(6);
const log = (line: string) => console.log(`[${elapsed()} s] ${line}`);

let cleanup = async () => {};
// Every loop below has its own timeout; this is the backstop that keeps the whole run bounded.
const limit = setTimeout(() => {
  console.error(`bench: time limit of ${timeLimitMs / 1_000} s reached, stopping`);
  void Promise.race([cleanup(), new Promise((r) => setTimeout(r, 5_000))]).finally(() => process.exit(1));
}, timeLimitMs);
limit.unref();
process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));

const redisServer = await startRedisServer();
killOnExit(() => void redisServer.kill());
const redis = new BenchRedis(redisServer.url);
const pool = await LoadPool.start(WORKERS);
cleanup = async () => {
  pool.stop();
  redis.close();
  await redisServer.stop();
};

const machine = describeMachine(await redis.version());
console.log(`Headcount bench, scale ${scale}: ${machineLine(machine)}`);
const ctx: BenchContext = {
  redisUrl: redisServer.url,
  redis,
  pool,
  count: (full) => Math.max(10, Math.round(full * scale)),
  steadySeconds,
  log,
};

const figures: Figure[] = [];
const details: Record<string, unknown> = {};
let broken = false;
for (const measurement of selected) {
  if (Date.now() - startedAt.getTime() > timeLimitMs - MIN_TIME_LEFT_MS) {
    broken = true;
    figures.push(failed(measurement.title, '—', new Error('skipped: too close to the time limit')));
    continue;
  }
  log(`-- ${measurement.title}`);
  try {
    const outcome = await measurement.run(ctx);
    figures.push(...outcome.figures);
    details[measurement.id] = outcome.details;
  } catch (error) {
    broken = true;
    log(`${measurement.id} failed: ${error instanceof Error ? error.stack : String(error)}`);
    figures.push(failed(measurement.title, '—', error));
  } finally {
    await pool.closeAll().catch(() => {}); // leave nothing open for the next measurement
  }
}
await cleanup();

const seconds = (Date.now() - startedAt.getTime()) / 1_000;
const table = textTable(figures);
console.log(`\n${table}\n\n${machineLine(machine)}\n${figures.filter((f) => f.pass === false).length} of ${figures.length} figures missed their target; run took ${seconds.toFixed(0)} s`);
const path = writeResults({ startedAt, seconds, scale, steadySeconds, machine, figures, details }, startedAt);
console.log(`results: ${path}`);

if (args['update-docs']) {
  const doc = readFileSync(DOC, 'utf8');
  const start = doc.indexOf(DOC_START);
  const end = doc.indexOf(DOC_END);
  if (start < 0 || end < start) throw new Error(`${DOC} lacks the ${DOC_START} ... ${DOC_END} markers`);
  const block = [
    DOC_START,
    `Run of ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, scale ${scale}, ${seconds.toFixed(0)} s in all, on ${machineLine(machine)}.`,
    '',
    markdownTable(figures),
    '',
  ].join('\n');
  writeFileSync(DOC, doc.slice(0, start) + block + doc.slice(end));
  console.log(`updated ${DOC}`);
}
process.exit(broken ? 1 : 0);
