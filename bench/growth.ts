// How cost grows with the sessions one process holds (issue 15 item 5): one Headcount process grows
// to 2,000, then 10,000, then 19,000 page sessions, twice. At each size, RSS per held session (first
// growth) and the admission rate of a burst of the same size that brought it there (second growth).
// Each larger size is compared with the smallest.
//
// What a busy process costs once, whatever it holds (JIT-compiled code, pools, the first heap growth),
// would show as a per-session cost falling with size. So the first growth starts from BASE sessions
// held (opened, never closed: memory of closed sessions would be reused by the next ones), and the RSS
// per session at N counts the sessions above BASE, (RSS(N) - RSS(BASE)) / (N - BASE). At 2,000 that
// rests on 1,000 sessions, about 3.7 MiB: the V8 heap grows by 3.2-3.3 MiB each time, but malloc's
// arena by 0 to 1.8 MiB (its own steps), so one reading ranged from 2.8 to 5.0 KiB per session over
// twelve processes. So the 2,000 reference is the median of REFERENCES processes grown the same way.
// Target: flat within 15 % either way.
//
// Admission keeps speeding up over the first ten thousand sessions a process serves (JIT tiers): the
// second growth, after every session of the first closed, measures the warm process. What would be
// wrong is admission slowing as the process holds more, so its target is one-sided: at 10,000 and
// 19,000, at least 85 % of the rate at 2,000. The other growth rows live with their measurements:
// join cost at 100 and 10,000 live pages and Redis memory per session in bench/page-costs.ts, the
// live view's push latency over 1,000 articles in bench/live-push.ts.
import type { BenchContext, Measurement } from './lib/context.js';
import type { OpenSummary } from './lib/load-pool.js';
import { settledMemory, type SettledMemory } from './lib/phases.js';
import { percentile, until } from './lib/numbers.js';
import { readStats, startHeadcountServer, withServer, type ServerProcess } from './lib/processes.js';
import { figure, reported, type Figure, type Target } from './lib/report.js';

const SIZES = [2_000, 10_000, 19_000];
/** Sessions held before the first size: the reference point of RSS per session. */
const BASE = 1_000;
/** Each size is reached by a measured burst of this many new sessions (the process grows unmeasured before it). */
const BURST = 2_000;
const SETTLE_TIMEOUT_MS = 30_000;
/** Flat: each size within 15 % of the smallest, either way. */
const FLAT = 0.15;
/** Admission at a larger size may not fall below this share of the rate at the smallest. */
const KEPT_PACE = 0.85;
/** Processes whose growth from BASE to the smallest size gives the RSS reference (their median). */
const REFERENCES = 7;

interface Step {
  sessions: number;
  rss: number;
  /** V8's heap at the same reading. */
  heap: number | undefined;
  bytesPerSession: number;
  /** The measured burst that brought the second growth to this size. */
  burst: OpenSummary;
}

const kib = (bytes: number) => bytes / 1024;
const mib = (bytes: number | undefined) => (bytes === undefined ? '?' : (bytes / 2 ** 20).toFixed(1));
/** What RSS holds besides V8's heap: native memory (malloc's, the sockets'), code and stacks. */
const rest = (memory: SettledMemory) => (memory.heap === undefined ? undefined : memory.rss - memory.heap);

/** Each size after the first compared with `reference`, the figure at the first size. */
function comparedRows(steps: readonly Step[], reference: number, row: { name: (sessions: number) => string; value: (step: Step) => number; target: Target; note: string }): Figure[] {
  return steps.slice(1).map((step) =>
    figure({
      name: row.name(step.sessions),
      value: row.value(step),
      baseline: reference,
      baselineName: `at ${steps[0]!.sessions.toLocaleString('en-US')}`,
      target: row.target,
      note: row.note,
    }),
  );
}

function grower(ctx: BenchContext, server: ServerProcess) {
  return async (count: number, to: number) => {
    const opened = await ctx.pool.open(server.wsUrl, 'page', count);
    if (opened.failed > 0) throw new Error(`${opened.failed} of ${count} sessions failed growing to ${to}: ${opened.errors.join('; ')}`);
    return opened;
  };
}

/** A fresh process grown from `base` held sessions to each size in turn: RSS per session above `base` at each. */
async function firstGrowth(ctx: BenchContext, server: ServerProcess, base: number, sizes: readonly number[]): Promise<Omit<Step, 'burst'>[]> {
  const grow = grower(ctx, server);
  await grow(base, base);
  const baseMemory = await settledMemory(server);
  const sized: Omit<Step, 'burst'>[] = [];
  let held = base;
  for (const sessions of sizes) {
    await grow(sessions - held, sessions);
    held = sessions;
    const memory = await settledMemory(server);
    sized.push({ sessions, rss: memory.rss, heap: memory.heap, bytesPerSession: (memory.rss - baseMemory.rss) / (sessions - base) });
    ctx.log(`${sessions} held: RSS ${mib(baseMemory.rss)} at ${base} -> ${mib(memory.rss)} MiB, ${kib(sized.at(-1)!.bytesPerSession).toFixed(2)} KiB each above ${base}; V8 heap ${mib(baseMemory.heap)} -> ${mib(memory.heap)} MiB, the rest ${mib(rest(baseMemory))} -> ${mib(rest(memory))} MiB`);
  }
  return sized;
}

const startGrowing = (ctx: BenchContext, n: number) => startHeadcountServer({ redisUrl: ctx.redisUrl, keyPrefix: `bench-growth-${n}`, inspect: true });

export const growth: Measurement = {
  id: 'growth',
  title: 'how cost grows: RSS per session and admission at 2,000, 10,000 and 19,000 sessions',
  async run(ctx: BenchContext) {
    const sizes = SIZES.map((n) => ctx.count(n));
    const [base, burstSize] = [ctx.count(BASE), ctx.count(BURST)];
    const references: number[] = [];
    for (let n = 1; n < REFERENCES; n++) {
      references.push(await withServer(startGrowing(ctx, n), async (server) => {
        const [first] = await firstGrowth(ctx, server, base, sizes.slice(0, 1));
        await ctx.pool.closeAll();
        return first!.bytesPerSession;
      }));
    }
    return withServer(startGrowing(ctx, 0), async (server) => {
      const grow = grower(ctx, server);
      const sized = await firstGrowth(ctx, server, base, sizes);
      references.push(sized[0]!.bytesPerSession);
      const rssReference = percentile([...references].sort((a, b) => a - b), 0.5);
      await ctx.pool.closeAll();
      // The first growth's leaves reach Redis after the closes: the second starts once they all ran.
      await until(async () => (await readStats(server)).online.total === 0, SETTLE_TIMEOUT_MS, 250);
      // The 19,000 closed sessions are garbage now: collected before, not during, the first measured burst.
      await server.collectGarbage?.();
      const steps: Step[] = [];
      let held = 0;
      for (const [i, sessions] of sizes.entries()) {
        if (sessions - burstSize > held) await grow(sessions - burstSize - held, sessions - burstSize);
        const burst = await grow(burstSize, sessions);
        held = sessions;
        steps.push({ ...sized[i]!, burst });
        ctx.log(`growing again to ${sessions}: the last ${burst.ok} at ${burst.perSecond.toFixed(0)}/s`);
      }
      await ctx.pool.closeAll();
      const [first] = steps;
      const at = (n: number) => n.toLocaleString('en-US');
      return {
        figures: [
          reported({
            name: `RSS per held session at ${at(first!.sessions)} sessions (KiB)`,
            value: kib(rssReference),
            note: `(RSS with N held - RSS with ${base} held) / (N - ${base}), each reading after a full garbage collection; at ${at(first!.sessions)} the median of ${REFERENCES} processes grown alike (${references.map((b) => kib(b).toFixed(2)).join(', ')} KiB), the reference for the two rows below`,
          }),
          ...comparedRows(steps, kib(rssReference), {
            name: (n) => `RSS per held session at ${at(n)} sessions (KiB)`,
            value: (step) => kib(step.bytesPerSession),
            target: { on: 'ratio', op: 'within', limit: FLAT },
            note: 'one process growing to each size in turn, the last of the reference processes',
          }),
          reported({
            name: `admission rate growing to ${at(first!.sessions)} sessions (sessions/s)`,
            value: first!.burst.perSecond,
            note: `the last ${burstSize} new page sessions (hello -> welcome, ${ctx.pool.inFlight} in flight) that grew the process to the size, growing a second time after all ${sizes.at(-1)} of the first growth closed`,
          }),
          ...comparedRows(steps, first!.burst.perSecond, {
            name: (n) => `admission rate growing to ${at(n)} sessions (sessions/s)`,
            value: (step) => step.burst.perSecond,
            target: { on: 'ratio', op: '>=', limit: KEPT_PACE },
            note: `the same process: its last ${burstSize} new sessions before holding this many; admission may not slow as the process holds more (faster is fine: the process is still warming up at ${at(first!.sessions)})`,
          }),
        ],
        details: { base, references, rssReference, burstSize, steps },
      };
    });
  },
};
