// Figure 5: requests/s of GET /api/sites/demo/stats and /live (autocannon), against Express's
// hello-world on the same Node and Express, with the per-address rate limit on (raised, not off).
// Pages are open first, so the live view lists articles as a newsroom's does. Rounds alternate
// between the three so drifting load on this shared machine hits all alike.
import autocannon from 'autocannon';
import type { BenchContext, Measurement } from './lib/context.js';
import { startBaseline, startHeadcountServer, withServer } from './lib/processes.js';
import { figure } from './lib/report.js';

const CONNECTIONS = 50;
const ROUNDS = 2;
const ROUND_SECONDS = 5;
const WARM_UP_SECONDS = 1;
/** Readers held while the endpoints are loaded: the live view's 10 pages (its default) come from them. */
const READERS = 1_000;
const ARTICLES = 100;

interface Load {
  requests: number;
  seconds: number;
  non2xx: number;
  errors: number;
}

async function load(url: string, seconds: number): Promise<Load> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, timeout: 10 });
  return { requests: result['2xx'], seconds: result.duration, non2xx: result.non2xx, errors: result.errors };
}

function add(a: Load, b: Load): Load {
  return { requests: a.requests + b.requests, seconds: a.seconds + b.seconds, non2xx: a.non2xx + b.non2xx, errors: a.errors + b.errors };
}

const rate = (l: Load) => l.requests / l.seconds;
const broken = (l: Load) => (l.non2xx + l.errors > 0 ? `; ${l.non2xx} non-2xx and ${l.errors} errors not counted` : '');

export const statsEndpoint: Measurement = {
  id: 'stats',
  title: 'stats and live endpoint requests/s',
  async run(ctx: BenchContext) {
    return withServer(startBaseline('express-hello'), (hello) => withServer(startHeadcountServer({ redisUrl: ctx.redisUrl, keyPrefix: 'bench-stats' }), async (headcount) => {
      const readers = await ctx.pool.open(headcount.wsUrl, 'page', ctx.count(READERS), { articles: ARTICLES });
      const targets = { hello: `${hello.url}/`, stats: `${headcount.url}/api/sites/demo/stats`, live: `${headcount.url}/api/sites/demo/live` };
      for (const url of Object.values(targets)) await load(url, WARM_UP_SECONDS);
      const pages = ((await (await fetch(targets.live)).json()) as { pages: unknown[] }).pages.length;
      const zero: Load = { requests: 0, seconds: 0, non2xx: 0, errors: 0 };
      const totals = { hello: zero, stats: zero, live: zero };
      for (let round = 0; round < ROUNDS; round++) {
        for (const name of ['hello', 'stats', 'live'] as const) totals[name] = add(totals[name], await load(targets[name], ROUND_SECONDS));
      }
      ctx.log(`stats endpoint ${rate(totals.stats).toFixed(0)}/s, live endpoint ${rate(totals.live).toFixed(0)}/s (${pages} pages), Express hello ${rate(totals.hello).toFixed(0)}/s; non-2xx+errors: stats ${totals.stats.non2xx + totals.stats.errors}, live ${totals.live.non2xx + totals.live.errors}`);
      const how = `autocannon, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${ROUND_SECONDS} s alternating with the baseline, HTTP_REQUESTS_PER_MINUTE=10000000`;
      return {
        figures: [
          figure({
            name: 'stats endpoint (2xx requests/s)',
            value: rate(totals.stats),
            baseline: rate(totals.hello),
            baselineName: 'Express hello-world',
            target: { on: 'ratio', op: '>=', limit: 0.9 },
            note: `${how}${broken(totals.stats)}`,
          }),
          figure({
            name: 'live endpoint (2xx requests/s)',
            value: rate(totals.live),
            baseline: rate(totals.hello),
            baselineName: 'Express hello-world',
            target: { on: 'ratio', op: '>=', limit: 0.8 },
            note: `GET /api/sites/demo/live with ${readers.ok} readers over ${ARTICLES} articles open (${pages} pages in the view); ${how}${broken(totals.live)}`,
          }),
        ],
        details: { ...totals, readers, pages },
      };
    }));
  },
};
