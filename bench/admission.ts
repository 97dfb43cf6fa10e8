// Figures 2 and 4b: a burst of new page sessions through hello -> welcome (the welcome is sent
// after the pageview is stored in Redis), against the bare ws connect+open rate; and Redis
// commands per new pageview during that burst, from INFO commandstats.
//
// Load generator, server and Redis share the machine's cores, so each burst also reads the CPU time
// each process spent on it (/proc/PID/stat): what a session costs where, and what the target leaves
// for the server and Redis once the load generator's part is paid. The welcome echo (bare ws that
// answers each hello with a welcome, nothing behind it) is the floor of the exchange itself.
import type { BenchContext, Measurement } from './lib/context.js';
import type { OpenSummary } from './lib/load-pool.js';
import type { SocketMode } from './lib/messages.js';
import { warmUp } from './lib/phases.js';
import { cpuMicros, startBaseline, startHeadcountServer, withServer, type ServerProcess } from './lib/processes.js';
import { bySender, commandsBetween, total, type CommandCounts } from './lib/redis-info.js';
import { figure, reported } from './lib/report.js';

const BURST = 10_000;
/** Rounds alternate bare ws, the welcome echo and Headcount; each side's faster round counts, since other work on the machine only slows a round down. */
const ROUNDS = 2;
const TARGET = 0.6;

/** CPU time per session opened (µs) of each process taking part. */
interface SessionCpu {
  server: number;
  redis: number;
  /** All load-generator workers together. */
  load: number;
}

interface Burst {
  opened: OpenSummary;
  /** Redis commands during the burst alone: after the warm-up's leaves, before the burst's. */
  commands: CommandCounts;
  cpu: SessionCpu;
}

interface Side {
  label: string;
  start: (ctx: BenchContext, round: number) => Promise<ServerProcess>;
  mode: SocketMode;
}

const SIDES = {
  bare: { label: 'bare ws connect+open', start: () => startBaseline('bare-ws-server'), mode: 'bare' },
  echo: { label: 'welcome echo hello -> welcome', start: () => startBaseline('bare-ws-server', { WELCOME_ECHO: '1' }), mode: 'page' },
  pages: { label: 'Headcount hello -> welcome', start: (ctx, round) => startHeadcountServer({ redisUrl: ctx.redisUrl, keyPrefix: `bench-admission-${round}` }), mode: 'page' },
} satisfies Record<string, Side>;

function burst(ctx: BenchContext, side: Side, round: number, sessions: number, redisPid: number): Promise<Burst> {
  return withServer(side.start(ctx, round), async (server) => {
    await warmUp(ctx, server, side.mode);
    const before = await ctx.redis.commandStats();
    const cpuNow = () => ({ server: cpuMicros(server.pid()), redis: cpuMicros(redisPid), load: ctx.pool.pids().reduce((sum, pid) => sum + cpuMicros(pid), 0) });
    const cpuBefore = cpuNow();
    const opened = await ctx.pool.open(server.wsUrl, side.mode, sessions);
    const cpuAfter = cpuNow();
    const commands = commandsBetween(before, await ctx.redis.commandStats());
    const per = (key: keyof SessionCpu) => (cpuAfter[key] - cpuBefore[key]) / opened.ok;
    const cpu = { server: per('server'), redis: per('redis'), load: per('load') };
    ctx.log(`${side.label}: ${opened.ok} in ${opened.seconds.toFixed(2)} s = ${opened.perSecond.toFixed(0)}/s (${opened.failed} failed), CPU µs/session ${describeCpu(cpu)}, Redis ${JSON.stringify(commands)}`);
    await ctx.pool.closeAll();
    return { opened, commands, cpu };
  });
}

const cpuTotal = ({ server, redis, load }: SessionCpu) => server + redis + load;

function describeCpu(cpu: SessionCpu): string {
  return `server ${cpu.server.toFixed(0)} + Redis ${cpu.redis.toFixed(0)} + load ${cpu.load.toFixed(0)} = ${cpuTotal(cpu).toFixed(0)}`;
}

function describe(counts: CommandCounts, pageviews: number): string {
  return Object.entries(counts).map(([name, calls]) => `${name.toUpperCase()} ${(calls / pageviews).toFixed(3)}`).join(' + ');
}

export const admission: Measurement = {
  id: 'admission',
  title: 'admission rate / Redis round trips per pageview',
  async run(ctx) {
    const sessions = ctx.count(BURST);
    const redisPid = await ctx.redis.processId();
    const rounds: Record<keyof typeof SIDES, Burst>[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      rounds.push({
        bare: await burst(ctx, SIDES.bare, round, sessions, redisPid),
        echo: await burst(ctx, SIDES.echo, round, sessions, redisPid),
        pages: await burst(ctx, SIDES.pages, round, sessions, redisPid),
      });
    }
    const fastest = (side: keyof typeof SIDES) => rounds.map((r) => r[side]).reduce((a, b) => (b.opened.perSecond > a.opened.perSecond ? b : a));
    const [bare, echo, pages] = [fastest('bare'), fastest('echo'), fastest('pages')];
    const rates = (side: keyof typeof SIDES) => `${rounds.map((r) => r[side].opened.perSecond.toFixed(0)).join(', ')}/s`;
    const { sent, inScripts } = bySender(pages.commands);
    const perPageview = (counts: CommandCounts) => total(counts) / pages.opened.ok;
    // The cores are busy during a burst, so CPU per session x rate is about the same on each side:
    // a rate of TARGET x bare's allows bare's CPU per session / TARGET in all.
    const budget = cpuTotal(bare.cpu) / TARGET;
    const coresBusy = (b: Burst) => ((cpuTotal(b.cpu) * b.opened.perSecond) / 1e6).toFixed(2);
    return {
      figures: [
        figure({
          name: 'admission rate (new page sessions/s)',
          value: pages.opened.perSecond,
          baseline: bare.opened.perSecond,
          baselineName: 'bare ws connect+open/s',
          target: { on: 'ratio', op: '>=', limit: TARGET },
          note: `a burst of ${sessions} new sessions, ${ctx.pool.inFlight} opens in flight; the faster of ${ROUNDS} rounds each, alternating (Headcount ${rates('pages')}; bare ws ${rates('bare')}; welcome echo ${rates('echo')})`,
        }),
        reported({
          name: 'welcome echo: hello -> welcome with nothing behind it (sessions/s)',
          value: echo.opened.perSecond,
          baseline: bare.opened.perSecond,
          baselineName: 'bare ws connect+open/s',
          note: 'bench/baselines/bare-ws-server.ts with WELCOME_ECHO: it parses each hello and sends a welcome, with no checks and no store; the floor under any server of this protocol on this machine',
        }),
        reported({
          name: 'CPU per new page session, server + Redis + load generator (µs)',
          value: cpuTotal(pages.cpu),
          baseline: cpuTotal(bare.cpu),
          baselineName: 'bare ws connect+open',
          note: `from /proc/PID/stat over the counted bursts: Headcount ${describeCpu(pages.cpu)}; welcome echo ${describeCpu(echo.cpu)}; bare ws ${describeCpu(bare.cpu)}; cores busy (CPU per session x rate) ${coresBusy(pages)}, ${coresBusy(echo)}, ${coresBusy(bare)}. At ${TARGET}x bare's rate a session may cost about ${budget.toFixed(0)} µs in all; the load generator's ${pages.cpu.load.toFixed(0)} leaves ${(budget - pages.cpu.load).toFixed(0)} µs for server and Redis, against ${(pages.cpu.server + pages.cpu.redis).toFixed(0)} now and ${echo.cpu.server.toFixed(0)} for the echo's server alone`,
        }),
        figure({
          name: 'Redis round trips per new pageview',
          value: perPageview(sent),
          target: { on: 'value', op: '<=', limit: 3 },
          note: `commands sent to Redis during the burst / pageviews, from INFO commandstats: ${describe(sent, pages.opened.ok)}; auto-pipelining may share one write among several, so this bounds round trips from above; the join script runs ${perPageview(inScripts).toFixed(1)} commands inside Redis per pageview`,
        }),
      ],
      details: { sessions, rounds, bare, echo, pages: { ...pages, sent, inScripts }, budget },
    };
  },
};
