// The soak (issue 14 item 8): two Headcount instances (child processes) on one redis-server the soak
// starts, thousands of pages from forked load workers (bench/lib/load-pool.ts) coming and going over
// many articles and both instances, one instance restarted with SIGTERM and the other killed with -9
// along the way. Every hello, welcome and clean leave goes to the ground-truth checker; at the end every
// page has left, and the checker's verdict, each process's figures and Redis's memory against their
// start decide. Run by test/soak/instances.soak.ts (`npm run soak`) and, short, by test/scale/soak.test.ts.
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { LoadPool } from '../../bench/lib/load-pool.js';
import type { LoadEvent } from '../../bench/lib/messages.js';
import { BenchRedis } from '../../bench/lib/redis-info.js';
import { Keys } from '../../src/store/redis/keys.js';
import { GroundTruth, readInstance, type Verdict } from './ground-truth.js';
import { startHeadcount, type HeadcountProcess } from './headcount.js';
import { INSPECT_ENV, readProcessFigures, type ProcessFigures } from './process-figures.js';
import { startRedisServer, type RedisServer } from './redis-server.js';
import { startAll } from './start-all.js';

export interface SoakOptions {
  /** Pages open at once, half on each instance. */
  pages: number;
  /** How long pages come and go; the restart is at 1/3, the kill at 2/3. */
  seconds: number;
  /** Also kill -9 instance B (the short variant in npm test only restarts A, to stay within its time). */
  kill: boolean;
  presenceTtlMs: number;
  /** Mean time a page stays open: pages / this many leave and arrive every second. */
  pageLifetimeSeconds: number;
  /** Wait at the end until Redis dropped the closed sessions (visit window, 1 minute here) before reading its memory. */
  awaitVisitWindow: boolean;
  log: (line: string) => void;
}

export interface SoakRow {
  process: string;
  start: ProcessFigures;
  end?: ProcessFigures;
}

export interface SoakResult {
  verdict: Verdict;
  rows: SoakRow[];
  redis: { startBytes: number; endBytes: number };
  pageviews: { churned: number; failedOpens: number; openAtEnd: number };
  /** Restart: SIGTERM to listening again, and until its pages were back; kill: until its pages left the counts, and were back. */
  faults: { restartMs: number; restartResumedMs: number; restartReconnected: number; kill?: { reapedMs: number; resumedMs: number; reconnected: number } };
  /** Every broken rule and missed margin; empty when the soak passed. */
  failures: string[];
}

const SITE = 'demo';
const KEY_PREFIX = 'soak';
const VISIT_WINDOW_MINUTES = 1;
/** Opened pages that may fail (a server busy accepting a reconnect storm) before the soak calls the load broken. */
const OPEN_FAILURE_SHARE = 0.01;
const RESUME_TIMEOUT_MS = 90_000;
/** Slack over 4/3 TTL for the reap on a machine shared with other work. */
const REAP_SLACK_MS = 3_000;

/**
 * Growth allowed from a process's start to its end, both idle after a full GC: heap and RSS get a fixed
 * part (what the first load leaves: compiled code, pools, allocator arenas) plus a share of the start.
 */
export const MARGINS = {
  heapBytes: (start: number) => 8 * 2 ** 20 + start * 0.25,
  rssBytes: (start: number) => 64 * 2 ** 20 + start * 0.25,
  handles: 5,
  openFiles: 5,
  /** Redis: today's pages of every article (title, section, author, pageviews), history, totals. */
  redisBytes: 4 * 2 ** 20,
} as const;

function describeMargin(row: SoakRow): string[] {
  const { start, end } = row;
  if (!end) return [];
  const failures: string[] = [];
  const check = (what: string, from: number, to: number, allowed: number) => {
    if (to - from > allowed) failures.push(`${row.process}: ${what} grew ${from} -> ${to}, more than the ${Math.round(allowed)} allowed`);
  };
  check('heap used after GC (bytes)', start.heapUsedBytes, end.heapUsedBytes, MARGINS.heapBytes(start.heapUsedBytes));
  check('RSS (bytes)', start.rssBytes, end.rssBytes, MARGINS.rssBytes(start.rssBytes));
  check('active handles', start.activeHandles, end.activeHandles, MARGINS.handles);
  check('open files', start.openFiles, end.openFiles, MARGINS.openFiles);
  if (end.openSockets !== 0) failures.push(`${row.process}: ${end.openSockets} sockets still open after every page left`);
  return failures;
}

/** Polls `test` until it holds; a read that fails meanwhile (a 503 while an instance's store is busy) counts as not yet. */
async function until(what: string, timeoutMs: number, test: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  let lastError = '';
  for (;;) {
    try {
      if (await test()) return Date.now() - started;
    } catch (error) {
      lastError = `; last read failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms${lastError}`);
    await sleep(100);
  }
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const { pages, seconds, presenceTtlMs, log } = options;
  if (!(Number.isInteger(pages) && pages >= 10)) throw new Error(`soak pages: expected an integer of at least 10, got ${pages}`);
  if (!(seconds >= 9)) throw new Error(`soak seconds: expected at least 9, got ${seconds}`);
  const truth = new GroundTruth();
  const failures: string[] = [];
  const onEvents = (events: LoadEvent[]) => {
    for (const event of events) {
      try {
        if (event.kind === 'hello') truth.hello(event.psid, event.vid);
        else if (event.kind === 'welcome') truth.welcome(event.welcome);
        else truth.left(event.psid);
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  const env = (redis: RedisServer) => ({
    REDIS_URL: redis.url,
    KEY_PREFIX,
    PRESENCE_TTL_MS: String(presenceTtlMs),
    HEARTBEAT_INTERVAL_MS: '5000',
    VISIT_WINDOW_MINUTES: String(VISIT_WINDOW_MINUTES),
    MAX_SOCKETS_PER_IP: '1000000',
    HTTP_REQUESTS_PER_MINUTE: '10000000',
    LOG_LEVEL: 'error',
    ...INSPECT_ENV,
  });

  const redis = await startRedisServer();
  let pool: LoadPool | undefined;
  let a: HeadcountProcess | undefined;
  let b: HeadcountProcess | undefined;
  const info = new BenchRedis(redis.url);
  const raw = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  let churning = false;
  let churnLoop: Promise<void> = Promise.resolve();
  try {
    [a, b] = await startAll(startHeadcount({ env: env(redis) }), startHeadcount({ env: env(redis) }));
    const rows: SoakRow[] = [
      { process: 'A, first run', start: await readProcessFigures(a) },
      { process: 'B, first run', start: await readProcessFigures(b) },
    ];
    /** Each instance's current process: its row gets the end reading. */
    const current = { a: rows[0]!, b: rows[1]! };
    const redisStart = await info.usedMemory();
    const before = (await readInstance('A', a.url, SITE)).counts;

    pool = await LoadPool.start(Math.max(2, Math.ceil(pages / 4_000)), onEvents);
    const half = Math.ceil(pages / 2);
    const opened = await Promise.all([a, b].map((hc, i) => pool!.open(`${hc.wsUrl}?site=${SITE}`, 'page', i === 0 ? half : pages - half, { reconnect: true, record: true })));
    const openedOk = opened.reduce((sum, o) => sum + o.ok, 0);
    log(`${openedOk} pages open (${opened.map((o) => o.ok).join(' on A, ')} on B), ${opened.reduce((sum, o) => sum + o.failed, 0)} failed`);
    if (openedOk < pages * (1 - OPEN_FAILURE_SHARE)) throw new Error(`only ${openedOk} of ${pages} pages opened: ${opened.flatMap((o) => o.errors).join('; ')}`);

    const startedAt = Date.now();
    const perSecond = Math.max(1, Math.round(pages / options.pageLifetimeSeconds));
    const churned = { closed: 0, failed: 0 };
    churning = true;
    churnLoop = (async () => {
      while (churning) {
        const tick = Date.now();
        try {
          const result = await pool!.churn(perSecond);
          churned.closed += result.closed;
          churned.failed += result.failed;
        } catch (error) {
          failures.push(`churn: ${error instanceof Error ? error.message : String(error)}`);
        }
        await sleep(Math.max(0, 1_000 - (Date.now() - tick)));
      }
    })();
    const at = (share: number) => sleep(Math.max(0, startedAt + seconds * 1_000 * share - Date.now()));
    /** Waits until every page a fault closed is back (welcomed again), and says when the last came back. */
    const resumed = async (what: string, since: number) => {
      let lastReadyAt = 0;
      let back = 0;
      await until(`pages reconnected after the ${what}`, RESUME_TIMEOUT_MS, async () => {
        const status = await pool!.status();
        lastReadyAt = status.lastReadyAt;
        back = status.readied;
        return status.reconnecting === 0;
      });
      return { ms: Math.round(lastReadyAt - since), back };
    };

    await at(1 / 3);
    await pool.mark();
    const sigtermAt = Date.now();
    await a.restart('SIGTERM');
    const restartMs = Date.now() - sigtermAt;
    current.a = { process: 'A, after SIGTERM and start', start: await readProcessFigures(a) };
    rows.push(current.a);
    const restartBack = await resumed('restart', sigtermAt);
    log(`A restarted in ${restartMs} ms; its ${restartBack.back} pages were back ${restartBack.ms} ms after SIGTERM`);

    let kill: SoakResult['faults']['kill'];
    if (options.kill) {
      await at(2 / 3);
      await pool.mark();
      const killedAt = Date.now();
      await b.stop('SIGKILL');
      // Its pages leave the counts once its presence expired: online falls to what A holds.
      await until('the killed instance\'s pages left the counts', (presenceTtlMs * 4) / 3 + REAP_SLACK_MS + 10_000, async () => {
        const [{ counts }, status] = await Promise.all([readInstance('A', a!.url, SITE), pool!.status()]);
        return counts.online.total + counts.online.bots <= status.open + perSecond;
      });
      const reapMs = Date.now() - killedAt;
      if (reapMs > (presenceTtlMs * 4) / 3 + REAP_SLACK_MS) failures.push(`the killed instance's pages left the counts after ${reapMs} ms, bound ${(presenceTtlMs * 4) / 3 + REAP_SLACK_MS} ms`);
      await b.restart();
      current.b = { process: 'B, after kill -9 and start', start: await readProcessFigures(b) };
      rows.push(current.b);
      const killBack = await resumed('kill', killedAt);
      log(`B killed: its pages left the counts ${reapMs} ms after kill -9; ${killBack.back} were back ${killBack.ms} ms after it`);
      kill = { reapedMs: reapMs, resumedMs: killBack.ms, reconnected: killBack.back };
    }

    await at(1);
    churning = false;
    await churnLoop;
    const openAtEnd = (await pool.status()).open;
    log(`pages came and went for ${Math.round((Date.now() - startedAt) / 1_000)} s: ${churned.closed} left and were replaced, ${churned.failed} opens failed, ${openAtEnd} open at the end`);

    await pool.closeAll();
    const keys = new Keys(KEY_PREFIX).site(SITE);
    await until('every instance shows nobody online', (presenceTtlMs * 4) / 3 + 20_000, async () => {
      const readings = await Promise.all([readInstance('A', a!.url, SITE), readInstance('B', b!.url, SITE)]);
      return readings.every((r) => r.counts.online.total + r.counts.online.bots === 0 && (r.live?.pages ?? []).every((p) => p.readers === 0));
    });
    if (options.awaitVisitWindow) {
      const waited = await until('Redis dropped the closed sessions', VISIT_WINDOW_MINUTES * 60_000 + 30_000, async () => (await raw.zcard(keys.recent)) === 0);
      log(`Redis dropped the closed sessions ${waited} ms after the last page left`);
    }
    current.a.end = await readProcessFigures(a);
    current.b.end = await readProcessFigures(b);
    const redisEnd = await info.usedMemory();
    const verdict = truth.check(await Promise.all([readInstance('A', a.url, SITE), readInstance('B', b.url, SITE)]), { before, settled: true });

    failures.push(...verdict.violations, ...rows.flatMap(describeMargin));
    if (redisEnd - redisStart > MARGINS.redisBytes) failures.push(`Redis used_memory grew ${redisStart} -> ${redisEnd}, more than the ${MARGINS.redisBytes} allowed`);
    if (restartBack.back === 0 || kill?.reconnected === 0) failures.push(`pages reconnected after the restart: ${restartBack.back}, after the kill: ${kill?.reconnected}`);
    return {
      verdict,
      rows,
      redis: { startBytes: redisStart, endBytes: redisEnd },
      pageviews: { churned: churned.closed, failedOpens: churned.failed, openAtEnd },
      faults: { restartMs, restartResumedMs: restartBack.ms, restartReconnected: restartBack.back, ...(kill ? { kill } : {}) },
      failures,
    };
  } finally {
    churning = false;
    await churnLoop;
    pool?.stop();
    raw.disconnect();
    info.close();
    await Promise.allSettled([a?.dispose(), b?.dispose()]);
    await redis.stop();
  }
}

const MIB = 2 ** 20;
const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;

/** The summary table: every process's start and end, Redis's memory, the faults and the verdict. */
export function soakTable(result: SoakResult): string {
  const lines = ['| process | read | RSS | JS heap used (after GC) | active handles | open files | sockets |', '|---|---|---|---|---|---|---|'];
  for (const row of result.rows) {
    for (const [read, f] of [['start', row.start], ['end', row.end]] as const) {
      if (f) lines.push(`| ${row.process} | ${read} | ${mib(f.rssBytes)} | ${mib(f.heapUsedBytes)} | ${f.activeHandles} | ${f.openFiles} | ${f.openSockets} |`);
    }
  }
  const { verdict, redis, faults, pageviews } = result;
  lines.push(
    '',
    `Redis used_memory: ${mib(redis.startBytes)} at start, ${mib(redis.endBytes)} at end`,
    `restart (SIGTERM): listening again after ${faults.restartMs} ms, ${faults.restartReconnected} pages back within ${faults.restartResumedMs} ms`,
    faults.kill ? `kill -9: its pages left the counts after ${faults.kill.reapedMs} ms, ${faults.kill.reconnected} back within ${faults.kill.resumedMs} ms of the kill` : 'kill -9: not in this run',
    `pages churned: ${pageviews.churned} left and replaced (${pageviews.failedOpens} opens failed while an instance was down), ${pageviews.openAtEnd} open at the end`,
    `checker: ${verdict.attempted} page sessions said hello, ${verdict.acknowledged} welcomed, ${verdict.stored} pageviews stored, ${verdict.lost} lost; violations: ${verdict.violations.length === 0 ? 'none' : verdict.violations.join('; ')}`,
    result.failures.length === 0 ? 'SOAK PASSED' : `SOAK FAILED:\n  ${result.failures.join('\n  ')}`,
  );
  return lines.join('\n');
}
