// Figures 2 and 4b: a burst of new page sessions through hello -> welcome (the welcome is sent
// after the pageview is stored in Redis), against the bare ws connect+open rate; and Redis
// commands per new pageview during that burst, from INFO commandstats.
import type { BenchContext, Measurement } from './lib/context.js';
import type { OpenSummary } from './lib/load-pool.js';
import type { SocketMode } from './lib/messages.js';
import { warmUp } from './lib/phases.js';
import { startBaseline, startHeadcountServer, withServer, type ServerProcess } from './lib/processes.js';
import { bySender, commandsBetween, total, type CommandCounts } from './lib/redis-info.js';
import { figure } from './lib/report.js';

const BURST = 10_000;
/** Rounds alternate bare ws and Headcount; each side's faster round counts, since other work on the machine only slows a round down. */
const ROUNDS = 2;

interface Burst {
  opened: OpenSummary;
  /** Redis commands during the burst alone: after the warm-up's leaves, before the burst's. */
  commands: CommandCounts;
}

function burst(ctx: BenchContext, starting: Promise<ServerProcess>, mode: SocketMode, sessions: number, label: string): Promise<Burst> {
  return withServer(starting, async (server) => {
    await warmUp(ctx, server, mode);
    const before = await ctx.redis.commandStats();
    const opened = await ctx.pool.open(server.wsUrl, mode, sessions);
    const commands = commandsBetween(before, await ctx.redis.commandStats());
    ctx.log(`${label}: ${opened.ok} in ${opened.seconds.toFixed(2)} s = ${opened.perSecond.toFixed(0)}/s (${opened.failed} failed), Redis ${JSON.stringify(commands)}`);
    await ctx.pool.closeAll();
    return { opened, commands };
  });
}

function describe(counts: CommandCounts, pageviews: number): string {
  return Object.entries(counts).map(([name, calls]) => `${name.toUpperCase()} ${(calls / pageviews).toFixed(3)}`).join(' + ');
}

export const admission: Measurement = {
  id: 'admission',
  title: 'admission rate / Redis round trips per pageview',
  async run(ctx) {
    const sessions = ctx.count(BURST);
    const rounds: { bare: Burst; pages: Burst }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const bare = await burst(ctx, startBaseline('bare-ws-server'), 'bare', sessions, 'bare ws connect+open');
      const pages = await burst(ctx, startHeadcountServer({ redisUrl: ctx.redisUrl, keyPrefix: `bench-admission-${round}` }), 'page', sessions, 'Headcount hello -> welcome');
      rounds.push({ bare, pages });
    }
    const faster = (a: Burst, b: Burst) => (b.opened.perSecond > a.opened.perSecond ? b : a);
    const bare = rounds.map((r) => r.bare).reduce(faster);
    const pages = rounds.map((r) => r.pages).reduce(faster);
    const { sent, inScripts } = bySender(pages.commands);
    const perPageview = (counts: CommandCounts) => total(counts) / pages.opened.ok;
    return {
      figures: [
        figure({
          name: 'admission rate (new page sessions/s)',
          value: pages.opened.perSecond,
          baseline: bare.opened.perSecond,
          baselineName: 'bare ws connect+open/s',
          target: { on: 'ratio', op: '>=', limit: 0.6 },
          note: `a burst of ${sessions} new sessions, ${ctx.pool.inFlight} opens in flight; the faster of ${ROUNDS} rounds each, alternating (Headcount ${rounds.map((r) => r.pages.opened.perSecond.toFixed(0)).join(', ')}/s; bare ws ${rounds.map((r) => r.bare.opened.perSecond.toFixed(0)).join(', ')}/s)`,
        }),
        figure({
          name: 'Redis round trips per new pageview',
          value: perPageview(sent),
          target: { on: 'value', op: '<=', limit: 3 },
          note: `commands sent to Redis during the burst / pageviews, from INFO commandstats: ${describe(sent, pages.opened.ok)}; auto-pipelining may share one write among several, so this bounds round trips from above; the join script runs ${perPageview(inScripts).toFixed(1)} commands inside Redis per pageview`,
        }),
      ],
      details: { sessions, rounds, bare, pages: { ...pages, sent, inScripts } },
    };
  },
};
