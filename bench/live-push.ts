// Issue 11: push latency of the live view. Two Headcount processes on one Redis; 15,000 readers
// spread over 1,000 articles on A, and a probe article read by PROBE_READERS more (always the top
// page). Dashboards subscribe with {"t":"live","on":true,"n":10} on A and on B. One reader at a
// time joins the probe article on A, then leaves; each dashboard's arrival of the first live push
// showing the probe's new readers is recorded, from just before the hello (join) or the close (leave).
import type { BenchContext, Measurement } from './lib/context.js';
import { articleFields } from './lib/articles.js';
import { LiveDashboard, openReader, type Reader } from './lib/live-clients.js';
import { now } from './lib/messages.js';
import { sleep, summarize, until, type Summary } from './lib/numbers.js';
import { startHeadcountServer, withServer, type ServerProcess } from './lib/processes.js';
import { figure, format } from './lib/report.js';

const READERS = 15_000;
const ARTICLES = 1_000;
/** The probe article is one past the articles the load reads. */
const PROBE_READERS = 50;
const CHANGES = 20;
const DASHBOARDS_PER_INSTANCE = 2;
const LIVE_LIMIT = 10;
const DELIVERY_TIMEOUT_MS = 5_000;

interface LiveLatency extends Summary {
  missed: number;
  sameInstance: Summary;
  otherInstance: Summary;
}

async function measure(ctx: BenchContext, a: ServerProcess, b: ServerProcess): Promise<LiveLatency> {
  const readers = ctx.count(READERS);
  const articles = ctx.count(ARTICLES);
  const opened = await ctx.pool.open(a.wsUrl, 'page', readers, { articles });
  if (opened.failed > 0) throw new Error(`${opened.failed} of ${readers} readers failed: ${opened.errors.join('; ')}`);
  const probe = articleFields(articles, 0);
  const wsBase = (server: ServerProcess) => `ws://127.0.0.1:${server.port}/ws`;
  const probeReaders: Reader[] = [];
  const dashboards: LiveDashboard[] = [];
  try {
    for (let i = 0; i < PROBE_READERS; i++) probeReaders.push(await openReader(wsBase(a), probe));
    for (const server of [a, b]) {
      for (let i = 0; i < DASHBOARDS_PER_INSTANCE; i++) dashboards.push(await LiveDashboard.open(wsBase(server), probe.url, LIVE_LIMIT, server === a ? 'same' : 'other'));
    }
    let expected = PROBE_READERS;
    const seen = () => Promise.resolve(dashboards.every((d) => d.readers === expected));
    if (!(await until(seen, DELIVERY_TIMEOUT_MS, 10))) throw new Error(`dashboards did not show the probe's ${expected} readers within ${DELIVERY_TIMEOUT_MS} ms: ${dashboards.map((d) => d.readers).join(', ')}`);

    const samples: { same: number[]; other: number[] } = { same: [], other: [] };
    let missed = 0;
    const change = async (act: () => Promise<void>, readersAfter: number) => {
      const t0 = now();
      await act();
      expected = readersAfter;
      if (!(await until(seen, DELIVERY_TIMEOUT_MS, 5))) ctx.log(`live: ${readersAfter} probe readers did not reach every dashboard within ${DELIVERY_TIMEOUT_MS} ms`);
      for (const dashboard of dashboards) {
        const at = dashboard.arrivalOf(readersAfter, t0);
        if (at === undefined) missed++;
        else samples[dashboard.instance].push(at - t0);
      }
      await sleep(50 + Math.random() * 100); // changes apart, so each is its own push
    };
    for (let i = 0; i < CHANGES; i++) {
      let reader: Reader | undefined;
      await change(async () => void (reader = await openReader(wsBase(a), probe)), PROBE_READERS + 1);
      await change(() => reader!.close(), PROBE_READERS);
    }
    const all = summarize([...samples.same, ...samples.other]);
    const result = { ...all, missed, sameInstance: summarize(samples.same), otherInstance: summarize(samples.other) };
    ctx.log(`live push, ${opened.ok} readers over ${articles} articles, ${dashboards.length} dashboards x ${2 * CHANGES} changes: p50 ${all.p50.toFixed(1)} ms, p99 ${all.p99.toFixed(1)} ms (same instance ${result.sameInstance.p99.toFixed(1)}, other ${result.otherInstance.p99.toFixed(1)}), max ${all.max.toFixed(1)} ms, ${missed} missed`);
    return result;
  } finally {
    await Promise.all([...probeReaders, ...dashboards].map((client) => client.close()));
    await ctx.pool.closeAll();
  }
}

export const livePush: Measurement = {
  id: 'live',
  title: 'live view push latency',
  async run(ctx) {
    const options = { redisUrl: ctx.redisUrl, keyPrefix: 'bench-live' };
    const latency = await withServer(startHeadcountServer(options), (a) => withServer(startHeadcountServer(options), (b) => measure(ctx, a, b)));
    const setting = `${format(ctx.count(READERS))} readers over ${format(ctx.count(ARTICLES))} articles`;
    const note = `a reader joins or leaves the top article on A; ${DASHBOARDS_PER_INSTANCE} dashboards {"t":"live","n":${LIVE_LIMIT}} on A and ${DASHBOARDS_PER_INSTANCE} on B, PUSH_COALESCE_MS default; p99 on A ${latency.sameInstance.p99.toFixed(0)} ms, on B ${latency.otherInstance.p99.toFixed(0)} ms${latency.missed > 0 ? `; ${latency.missed} deliveries missing` : ''}`;
    return {
      figures: (['p50', 'p99'] as const).map((q) => {
        const row = figure({
          name: `live view push latency ${q} (ms), ${setting}`,
          value: latency[q],
          target: { on: 'value', op: '<=', limit: 1_000 },
          ...(q === 'p99' ? { note } : {}),
        });
        // A push that never came is not within a second, whatever the others did.
        return { ...row, pass: row.pass === true && latency.missed === 0 };
      }),
      details: { readers: ctx.count(READERS), articles: ctx.count(ARTICLES), changes: 2 * CHANGES, latency },
    };
  },
};
