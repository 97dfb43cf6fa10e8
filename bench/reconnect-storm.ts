// Figure 6: restart (SIGTERM, start again on the same port) an instance holding 15,000 page
// sessions; every page reconnects with its psid after the jittered backoff of docs/protocol.md.
// Time until all are re-admitted, against a bare ws server restarted under the same clients, and
// pageviews/visits the restart added (the stats API before and after: should be none).
import type { Counts } from '../src/protocol.js';
import type { BenchContext, Measurement } from './lib/context.js';
import type { SocketMode } from './lib/messages.js';
import { now } from './lib/messages.js';
import { sleep, summarize, until, type Summary } from './lib/numbers.js';
import { readStats, startBaseline, startHeadcountServer, withServer, type ServerProcess } from './lib/processes.js';
import { figure } from './lib/report.js';

const SESSIONS = 15_000;
/** Backoff caps at 30 s: past this, clients that never came back are reported, not waited for. */
const READMIT_LIMIT_MS = 45_000;

interface Storm {
  sessions: number;
  readmitted: number;
  /** From SIGTERM to the last re-admission. */
  seconds: number;
  /** From SIGTERM until the new process listens (graceful stop + start). */
  downSeconds: number;
  /** Welcomes during the storm that said resumed: false. */
  notResumed: number;
  /** Seconds from SIGTERM to re-admission, over all sessions. */
  back: Summary;
  /** Close codes the clients saw during the storm, failed attempts included. */
  closeCodes: Record<number, number>;
}

async function storm(ctx: BenchContext, server: ServerProcess, mode: SocketMode, label: string, between?: () => Promise<void>): Promise<Storm> {
  const sessions = ctx.count(SESSIONS);
  const opened = await ctx.pool.open(server.wsUrl, mode, sessions, { reconnect: true });
  if (opened.failed > 0) throw new Error(`${opened.failed} of ${sessions} sessions failed to open: ${opened.errors.join('; ')}`);
  await between?.();
  await ctx.pool.mark();
  const t0 = now();
  await server.restart();
  const downSeconds = (now() - t0) / 1_000;
  await until(async () => (await ctx.pool.status()).readied >= opened.ok, READMIT_LIMIT_MS, 250);
  const status = await ctx.pool.status(true);
  const back = summarize((status.readyTimes ?? []).map((at) => (at - t0) / 1_000));
  const result = { sessions: opened.ok, readmitted: status.readied, seconds: (status.lastReadyAt - t0) / 1_000, downSeconds, notResumed: status.notResumed, back, closeCodes: status.closeCodes };
  ctx.log(`${label}: listening again ${downSeconds.toFixed(2)} s after SIGTERM; ${result.readmitted} of ${result.sessions} back after p50 ${back.p50.toFixed(2)} s, p99 ${back.p99.toFixed(2)} s, last ${result.seconds.toFixed(2)} s (${result.notResumed} not resumed); close codes seen ${JSON.stringify(status.closeCodes)}`);
  return result;
}

export const reconnectStorm: Measurement = {
  id: 'storm',
  title: 'reconnect storm',
  async run(ctx) {
    const bare = await withServer(startBaseline('bare-ws-server'), async (server) => {
      const result = await storm(ctx, server, 'bare', 'bare ws restart');
      await ctx.pool.closeAll();
      return result;
    });

    return withServer(startHeadcountServer({ redisUrl: ctx.redisUrl, keyPrefix: 'bench-storm' }), async (server) => {
      let before: Counts | undefined;
      const headcount = await storm(ctx, server, 'page', 'Headcount restart', async () => {
        await sleep(1_100); // past the stats cache's 1 s
        before = await readStats(server);
      });
      if (!before) throw new Error('no stats before the restart');
      await sleep(1_100);
      const after = await readStats(server);
      await ctx.pool.closeAll();
      const extra = {
        pageviews: after.pageviews.total - before.pageviews.total,
        visits: after.visits.total - before.visits.total,
      };
      ctx.log(`stats API: online ${before.online.total} -> ${after.online.total}, pageviews +${extra.pageviews}, visits +${extra.visits}`);
      const complete = headcount.readmitted >= headcount.sessions;
      return {
        figures: [
          figure({
            name: `re-admission after restart, ${headcount.sessions} sessions (s)`,
            value: complete ? headcount.seconds : Number.NaN,
            baseline: bare.seconds,
            baselineName: 'bare ws restart, same clients',
            target: { on: 'value', op: '<=', limit: 15 },
            note: complete ? `SIGTERM to the last welcome; the new process listened after ${headcount.downSeconds.toFixed(1)} s (bare ws ${bare.downSeconds.toFixed(1)} s); clients back off min(30 s, 0.5 s * 2^attempt) * random(0.5..1)` : `only ${headcount.readmitted} of ${headcount.sessions} re-admitted within ${READMIT_LIMIT_MS / 1000} s`,
          }),
          figure({ name: 'extra pageviews counted by the restart', value: extra.pageviews, target: { on: 'value', op: '<=', limit: 0 }, note: `stats API before/after; ${headcount.notResumed} welcomes said resumed: false; online ${before.online.total} -> ${after.online.total}` }),
          figure({ name: 'extra visits counted by the restart', value: extra.visits, target: { on: 'value', op: '<=', limit: 0 } }),
        ],
        details: { bare, headcount, before, after, extra },
      };
    });
  },
};
