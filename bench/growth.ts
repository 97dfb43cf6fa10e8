// How cost grows with the sessions one process holds (issue 15 item 5): one Headcount process grows
// to 2,000, then 10,000, then 19,000 page sessions, twice. At each size, RSS per held session (first
// growth) and the admission rate of a burst of the same size that brought it there (second growth).
// Each larger size is compared with the smallest: flat within 15 % is the target.
//
// What a busy process costs once, whatever it holds (JIT-compiled code, pools, the first heap growth),
// would show as a per-session cost falling with size. So the first growth starts from BASE sessions
// held (opened, never closed: memory of closed sessions would be reused by the next ones), and the RSS
// per session at N counts the sessions above BASE, (RSS(N) - RSS(BASE)) / (N - BASE). Admission keeps
// speeding up over the first ten thousand sessions a process serves (JIT tiers): the second growth,
// after every session of the first closed, measures the warm process. The other
// growth rows live with their measurements: join cost at 100 and 10,000 live pages and Redis memory
// per session in bench/page-costs.ts, the live view's push latency over 1,000 articles in
// bench/live-push.ts.
import type { BenchContext, Measurement } from './lib/context.js';
import type { OpenSummary } from './lib/load-pool.js';
import { settledRss } from './lib/phases.js';
import { until } from './lib/numbers.js';
import { readStats, startHeadcountServer, withServer } from './lib/processes.js';
import { figure, reported, type Figure } from './lib/report.js';

const SIZES = [2_000, 10_000, 19_000];
/** Sessions held before the first size: the reference point of RSS per session. */
const BASE = 1_000;
/** Each size is reached by a measured burst of this many new sessions (the process grows unmeasured before it). */
const BURST = 2_000;
const SETTLE_TIMEOUT_MS = 30_000;
/** Flat: each size within 15 % of the smallest, either way. */
const FLAT = 0.15;

interface Step {
  sessions: number;
  rss: number;
  bytesPerSession: number;
  /** The measured burst that brought the second growth to this size. */
  burst: OpenSummary;
}

const kib = (bytes: number) => bytes / 1024;

function flatRows(steps: readonly Step[], name: (sessions: number) => string, value: (step: Step) => number, note: string): Figure[] {
  const [first] = steps;
  return steps.slice(1).map((step) =>
    figure({
      name: name(step.sessions),
      value: value(step),
      baseline: value(first!),
      baselineName: `at ${first!.sessions.toLocaleString('en-US')}`,
      target: { on: 'ratio', op: 'within', limit: FLAT },
      note,
    }),
  );
}

export const growth: Measurement = {
  id: 'growth',
  title: 'how cost grows: RSS per session and admission at 2,000, 10,000 and 19,000 sessions',
  async run(ctx: BenchContext) {
    const sizes = SIZES.map((n) => ctx.count(n));
    const [base, burstSize] = [ctx.count(BASE), ctx.count(BURST)];
    return withServer(startHeadcountServer({ redisUrl: ctx.redisUrl, keyPrefix: 'bench-growth', inspect: true }), async (server) => {
      const grow = async (count: number, to: number) => {
        const opened = await ctx.pool.open(server.wsUrl, 'page', count);
        if (opened.failed > 0) throw new Error(`${opened.failed} of ${count} sessions failed growing to ${to}: ${opened.errors.join('; ')}`);
        return opened;
      };
      await grow(base, base);
      const baseRss = await settledRss(server);
      const sized: Omit<Step, 'burst'>[] = [];
      let held = base;
      for (const sessions of sizes) {
        await grow(sessions - held, sessions);
        held = sessions;
        const rss = await settledRss(server);
        sized.push({ sessions, rss, bytesPerSession: (rss - baseRss) / (sessions - base) });
        ctx.log(`${sessions} held: RSS ${(baseRss / 2 ** 20).toFixed(1)} at ${base} -> ${(rss / 2 ** 20).toFixed(1)} MiB, ${kib(sized.at(-1)!.bytesPerSession).toFixed(2)} KiB each above ${base}`);
      }
      await ctx.pool.closeAll();
      // The first growth's leaves reach Redis after the closes: the second starts once they all ran.
      await until(async () => (await readStats(server)).online.total === 0, SETTLE_TIMEOUT_MS, 250);
      // The 19,000 closed sessions are garbage now: collected before, not during, the first measured burst.
      await server.collectGarbage?.();
      const steps: Step[] = [];
      held = 0;
      for (const [i, sessions] of sizes.entries()) {
        if (sessions - burstSize > held) await grow(sessions - burstSize - held, sessions - burstSize);
        const burst = await grow(burstSize, sessions);
        held = sessions;
        steps.push({ ...sized[i]!, burst });
        ctx.log(`growing again to ${sessions}: the last ${burst.ok} at ${burst.perSecond.toFixed(0)}/s`);
      }
      await ctx.pool.closeAll();
      const [first] = steps;
      return {
        figures: [
          reported({
            name: `RSS per held session at ${first!.sessions.toLocaleString('en-US')} sessions (KiB)`,
            value: kib(first!.bytesPerSession),
            note: `(RSS with N held - RSS with ${base} held) / (N - ${base}), one process growing to each size in turn, each reading after a full garbage collection; the reference for the two rows below`,
          }),
          ...flatRows(steps, (n) => `RSS per held session at ${n.toLocaleString('en-US')} sessions (KiB)`, (s) => kib(s.bytesPerSession), 'the same process, grown further'),
          reported({
            name: `admission rate growing to ${first!.sessions.toLocaleString('en-US')} sessions (sessions/s)`,
            value: first!.burst.perSecond,
            note: `the last ${burstSize} new page sessions (hello -> welcome, ${ctx.pool.inFlight} in flight) that grew the process to the size, growing a second time after all ${sizes.at(-1)} of the first growth closed`,
          }),
          ...flatRows(steps, (n) => `admission rate growing to ${n.toLocaleString('en-US')} sessions (sessions/s)`, (s) => s.burst.perSecond, `the same process: its last ${burstSize} new sessions before holding this many`),
        ],
        details: { base, baseRss, burstSize, steps },
      };
    });
  },
};
