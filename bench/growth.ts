// How cost grows with the sessions one process holds (issue 15 item 5): one Headcount process grows
// to 2,000, then 10,000, then 19,000 page sessions. At each size, RSS per held session (as the held
// row computes it, from the same idle RSS) and the admission rate of the burst that brought it
// there. Each larger size is compared with the smallest: flat within 15 % is the target. The other
// growth rows live with their measurements: join cost at 100 and 10,000 live pages and Redis memory
// per session in bench/page-costs.ts, the live view's push latency over 1,000 articles in
// bench/live-push.ts.
import type { BenchContext, Measurement } from './lib/context.js';
import type { OpenSummary } from './lib/load-pool.js';
import { settledRss, warmUp } from './lib/phases.js';
import { startHeadcountServer, withServer } from './lib/processes.js';
import { figure, reported, type Figure } from './lib/report.js';

const SIZES = [2_000, 10_000, 19_000];
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
    return withServer(startHeadcountServer({ redisUrl: ctx.redisUrl, keyPrefix: 'bench-growth' }), async (server) => {
      await warmUp(ctx, server, 'page');
      const idle = await settledRss(server);
      const steps: Step[] = [];
      let held = 0;
      for (const sessions of sizes) {
        const burst = await ctx.pool.open(server.wsUrl, 'page', sessions - held);
        if (burst.failed > 0) throw new Error(`${burst.failed} of ${sessions - held} sessions failed growing to ${sessions}: ${burst.errors.join('; ')}`);
        held = sessions;
        const rss = await settledRss(server);
        const step = { sessions, burst, rss, bytesPerSession: (rss - idle) / sessions };
        steps.push(step);
        ctx.log(`${sessions} held: burst of ${burst.ok} at ${burst.perSecond.toFixed(0)}/s, RSS ${(idle / 2 ** 20).toFixed(1)} -> ${(rss / 2 ** 20).toFixed(1)} MiB, ${kib(step.bytesPerSession).toFixed(2)} KiB each`);
      }
      await ctx.pool.closeAll();
      const bursts = steps.map((s, i) => `${i === 0 ? 0 : steps[i - 1]!.sessions}->${s.sessions}`).join(', ');
      const [first] = steps;
      return {
        figures: [
          reported({
            name: `RSS per held session at ${first!.sessions.toLocaleString('en-US')} sessions (KiB)`,
            value: kib(first!.bytesPerSession),
            note: '(RSS with N held - RSS idle after a warm-up) / N in one process growing to each size in turn; the reference for the two rows below',
          }),
          ...flatRows(steps, (n) => `RSS per held session at ${n.toLocaleString('en-US')} sessions (KiB)`, (s) => kib(s.bytesPerSession), 'the same process, grown further'),
          reported({
            name: `admission rate growing to ${first!.sessions.toLocaleString('en-US')} sessions (sessions/s)`,
            value: first!.burst.perSecond,
            note: `the burst of new page sessions (hello -> welcome, ${ctx.pool.inFlight} in flight) that grew the process to the size; bursts ${bursts}`,
          }),
          ...flatRows(steps, (n) => `admission rate growing to ${n.toLocaleString('en-US')} sessions (sessions/s)`, (s) => s.burst.perSecond, 'the burst that took the same process from the size before to this one'),
        ],
        details: { idle, steps },
      };
    });
  },
};
