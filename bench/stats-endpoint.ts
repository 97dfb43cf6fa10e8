// Figure 5: requests/s of GET /api/sites/demo/stats (autocannon), against Express's hello-world
// on the same Node and Express. Rounds alternate between the two so drifting load on this shared
// machine hits both alike.
import autocannon from 'autocannon';
import type { BenchContext, Measurement } from './lib/context.js';
import { startBaseline, startHeadcountServer, withServer } from './lib/processes.js';
import { figure } from './lib/report.js';

const CONNECTIONS = 50;
const ROUNDS = 2;
const ROUND_SECONDS = 5;
const WARM_UP_SECONDS = 1;

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

export const statsEndpoint: Measurement = {
  id: 'stats',
  title: 'stats endpoint requests/s',
  async run(ctx: BenchContext) {
    return withServer(startBaseline('express-hello.ts'), (hello) => withServer(startHeadcountServer({ redisUrl: ctx.redisUrl, keyPrefix: 'bench-stats' }), async (headcount) => {
      const targets = { hello: `${hello.url}/`, stats: `${headcount.url}/api/sites/demo/stats` };
      for (const url of Object.values(targets)) await load(url, WARM_UP_SECONDS);
      const zero: Load = { requests: 0, seconds: 0, non2xx: 0, errors: 0 };
      const totals = { hello: zero, stats: zero };
      for (let round = 0; round < ROUNDS; round++) {
        totals.hello = add(totals.hello, await load(targets.hello, ROUND_SECONDS));
        totals.stats = add(totals.stats, await load(targets.stats, ROUND_SECONDS));
      }
      const rate = (l: Load) => l.requests / l.seconds;
      ctx.log(`stats endpoint ${rate(totals.stats).toFixed(0)}/s (${totals.stats.non2xx} non-2xx, ${totals.stats.errors} errors), Express hello ${rate(totals.hello).toFixed(0)}/s`);
      const broken = totals.stats.non2xx + totals.stats.errors;
      return {
        figures: [
          figure({
            name: 'stats endpoint (2xx requests/s)',
            value: rate(totals.stats),
            baseline: rate(totals.hello),
            baselineName: 'Express hello-world',
            target: { on: 'ratio', op: '>=', limit: 0.8 },
            note: `autocannon, ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${ROUND_SECONDS} s${broken > 0 ? `; ${totals.stats.non2xx} non-2xx and ${totals.stats.errors} errors not counted` : ''}`,
          }),
        ],
        details: totals,
      };
    }));
  },
};
