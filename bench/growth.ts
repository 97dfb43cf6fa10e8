// How cost grows with the sessions one process holds (issue 15 item 5): one Headcount process grows
// to 2,000, then 10,000, then 19,000 page sessions. At each size, RSS per held session and the
// admission rate of a burst of the same size that brought it there. Each larger size is compared with
// the smallest: flat within 15 % is the target.
//
// What a busy process costs once, whatever it holds (the young generation grown to its working size,
// JIT-compiled code, pools), would show as a per-session cost falling with size. So the process is
// first warmed by a burst as large as the measured ones, and then holds BASE sessions: the RSS per
// session at N counts the sessions above BASE, (RSS(N) - RSS(BASE)) / (N - BASE). The other
// growth rows live with their measurements: join cost at 100 and 10,000 live pages and Redis memory
// per session in bench/page-costs.ts, the live view's push latency over 1,000 articles in
// bench/live-push.ts.
import type { BenchContext, Measurement } from './lib/context.js';
import type { OpenSummary } from './lib/load-pool.js';
import { settledRss } from './lib/phases.js';
import { startHeadcountServer, withServer } from './lib/processes.js';
import { figure, reported, type Figure } from './lib/report.js';

const SIZES = [2_000, 10_000, 19_000];
/** Sessions held before the first size: the reference point of RSS per session. */
const BASE = 1_000;
/** Each size is reached by a measured burst of this many new sessions (the process grows unmeasured before it). */
const BURST = 1_000;
/** Flat: each size within 15 % of the smallest, either way. */
const FLAT = 0.15;

interface Step {
  sessions: number;
  burst: OpenSummary;
  rss: number;
  bytesPerSession: number;
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
      await grow(burstSize, burstSize);
      await ctx.pool.closeAll();
      await grow(base, base);
      const baseRss = await settledRss(server);
      const steps: Step[] = [];
      let held = base;
      for (const sessions of sizes) {
        if (sessions - burstSize > held) await grow(sessions - burstSize - held, sessions - burstSize);
        const burst = await grow(burstSize, sessions);
        held = sessions;
        const rss = await settledRss(server);
        const step = { sessions, burst, rss, bytesPerSession: (rss - baseRss) / (sessions - base) };
        steps.push(step);
        ctx.log(`${sessions} held: burst of ${burst.ok} at ${burst.perSecond.toFixed(0)}/s, RSS ${(baseRss / 2 ** 20).toFixed(1)} at ${base} -> ${(rss / 2 ** 20).toFixed(1)} MiB, ${kib(step.bytesPerSession).toFixed(2)} KiB each above ${base}`);
      }
      await ctx.pool.closeAll();
      const [first] = steps;
      return {
        figures: [
          reported({
            name: `RSS per held session at ${first!.sessions.toLocaleString('en-US')} sessions (KiB)`,
            value: kib(first!.bytesPerSession),
            note: `(RSS with N held - RSS with ${base} held) / (N - ${base}), one process growing to each size in turn after a warm-up burst of ${burstSize}; the reference for the two rows below`,
          }),
          ...flatRows(steps, (n) => `RSS per held session at ${n.toLocaleString('en-US')} sessions (KiB)`, (s) => kib(s.bytesPerSession), 'the same process, grown further'),
          reported({
            name: `admission rate growing to ${first!.sessions.toLocaleString('en-US')} sessions (sessions/s)`,
            value: first!.burst.perSecond,
            note: `the last ${burstSize} new page sessions (hello -> welcome, ${ctx.pool.inFlight} in flight) that grew the process to the size`,
          }),
          ...flatRows(steps, (n) => `admission rate growing to ${n.toLocaleString('en-US')} sessions (sessions/s)`, (s) => s.burst.perSecond, `the same process: its last ${burstSize} new sessions before holding this many`),
        ],
        details: { base, baseRss, burstSize, steps },
      };
    });
  },
};
