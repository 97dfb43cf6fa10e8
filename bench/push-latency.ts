// Figure 3: a page joins on instance A; how long until the new count reaches every widget
// subscribed on instance B (two Headcount processes, one Redis), with 15,000 widgets on B.
// Baseline: the floor under it, a Redis PUBLISH relayed by a bare ws server to as many sockets.
// Latency samples are per widget and join, so the fan-out to all 15,000 is inside p99.
import type { BenchContext, Measurement } from './lib/context.js';
import { now } from './lib/messages.js';
import { sleep, summarize, type Summary } from './lib/numbers.js';
import { startBaseline, startHeadcountServer, withServer, type ServerProcess } from './lib/processes.js';
import { figure, type Figure } from './lib/report.js';
import type { CountsMessage } from '../src/protocol.js';
import { toCounts } from '../src/stats.js';
import { PageClient } from '../test/support/page-client.js';

const WIDGETS = 15_000;
const JOINS = 20;
const DELIVERY_TIMEOUT_MS = 5_000;
const SHIPPED_COALESCE_MS = 250;
/** A lower PUSH_COALESCE_MS an operator may choose (documented in docs/performance.md). */
const LOW_COALESCE_MS = 50;
const CHANNEL = 'bench:push';

interface Latency extends Summary {
  missed: number;
}

/** A counts message as Headcount pushes it, with `total` readers online. */
function countsMessage(total: number): string {
  const at = Date.now();
  const counts = toCounts('demo', {
    online: { guest: total, member: 0, bot: 0 },
    visits: { total: 52_015_394, today: 18_234, month: 401_223, yesterday: 21_005 },
    pageviews: { total: 90_110_233, today: 30_122, month: 700_410, yesterday: 35_870 },
    peak: { online: 2_310, at },
  }, at);
  return JSON.stringify({ t: 'counts', ...counts } satisfies CountsMessage);
}

/** Opens the widgets on `server`, makes JOINS changes one at a time, returns every delivery's latency. */
async function measure(ctx: BenchContext, server: ServerProcess, change: (total: number) => Promise<number>, label: string): Promise<Latency> {
  const widgets = ctx.count(WIDGETS);
  const opened = await ctx.pool.open(server.wsUrl, 'widget', widgets);
  if (opened.failed > 0) throw new Error(`${opened.failed} of ${widgets} widgets failed to subscribe: ${opened.errors.join('; ')}`);
  const marks: Record<number, number> = {};
  for (let total = 1; total <= JOINS; total++) {
    marks[total] = await change(total);
    if (!(await ctx.pool.awaitTotal(total, DELIVERY_TIMEOUT_MS))) ctx.log(`${label}: total ${total} did not reach every widget within ${DELIVERY_TIMEOUT_MS} ms`);
    await sleep(50 + Math.random() * 100); // changes apart, so each is its own push
  }
  const { latencies, missed } = await ctx.pool.latencies(marks);
  await ctx.pool.closeAll();
  const result = { ...summarize(latencies), missed };
  ctx.log(`${label}: ${widgets} widgets x ${JOINS} changes: p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, max ${result.max.toFixed(1)} ms, ${missed} missed`);
  return result;
}

function bareRelay(ctx: BenchContext): Promise<Latency> {
  const starting = startBaseline('bare-ws-server', { BROADCAST_REDIS_URL: ctx.redisUrl, BROADCAST_CHANNEL: CHANNEL, BROADCAST_INITIAL: countsMessage(0) });
  return withServer(starting, (server) => measure(ctx, server, async (total) => {
    const t0 = now();
    await ctx.redis.publish(CHANNEL, countsMessage(total));
    return t0;
  }, 'bare ws relay of a Redis PUBLISH'));
}

async function twoInstances(ctx: BenchContext, coalesceMs: number): Promise<Latency> {
  const options = { redisUrl: ctx.redisUrl, keyPrefix: `bench-push-${coalesceMs}`, env: { PUSH_COALESCE_MS: String(coalesceMs) } };
  const pages: PageClient[] = [];
  return withServer(startHeadcountServer(options), (a) => withServer(startHeadcountServer(options), async (b) => {
    try {
      return await measure(ctx, b, async () => {
        const page = await PageClient.open(`ws://127.0.0.1:${a.port}/ws`);
        pages.push(page);
        const t0 = now();
        await page.hello();
        return t0;
      }, `Headcount join on A -> widgets on B, PUSH_COALESCE_MS=${coalesceMs}`);
    } finally {
      await Promise.all(pages.map((page) => page.close()));
    }
  }));
}

function rows(latency: Latency, bare: Latency, coalesceMs: number): Figure[] {
  const setting = coalesceMs === SHIPPED_COALESCE_MS ? `PUSH_COALESCE_MS=${coalesceMs}, shipped default` : `PUSH_COALESCE_MS=${coalesceMs}`;
  const note = latency.missed > 0 ? `${latency.missed} deliveries missing` : undefined;
  return (['p50', 'p99'] as const).map((q) => figure({
    name: `push latency ${q} (ms), ${setting}`,
    value: latency[q],
    baseline: bare[q],
    baselineName: 'Redis PUBLISH -> bare ws relay',
    target: { on: 'value', op: '<=', limit: q === 'p50' ? 200 : 500 },
    ...(note ? { note } : {}),
  }));
}

export const pushLatency: Measurement = {
  id: 'push',
  title: 'push latency',
  async run(ctx) {
    const bare = await bareRelay(ctx);
    const shipped = await twoInstances(ctx, SHIPPED_COALESCE_MS);
    const low = await twoInstances(ctx, LOW_COALESCE_MS);
    return {
      figures: [...rows(shipped, bare, SHIPPED_COALESCE_MS), ...rows(low, bare, LOW_COALESCE_MS)],
      details: { widgets: ctx.count(WIDGETS), joins: JOINS, bare, [`coalesce${SHIPPED_COALESCE_MS}`]: shipped, [`coalesce${LOW_COALESCE_MS}`]: low },
    };
  },
};
