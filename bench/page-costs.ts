// Issues 11 and 15: what pages cost in Redis. One site holds 10,000 page sessions spread over first
// 100 and then 10,000 live pages (a fresh Headcount and key prefix each); two bursts of new page
// sessions join on top, spread over the same pages, and then every session leaves. From INFO:
//   - Redis commands run per pageview, join + leave, counting those inside the scripts;
//   - Redis memory per open and per closed page session (used_memory deltas);
//   - join cost (commands and Redis microseconds per join) with 10,000 live pages against 100.
import type { BenchContext, Measurement } from './lib/context.js';
import { sleep, until } from './lib/numbers.js';
import { warmUp } from './lib/phases.js';
import { readStats, startHeadcountServer, withServer } from './lib/processes.js';
import { bySender, commandsBetween, total, type CommandCounts } from './lib/redis-info.js';
import { figure, format, reported } from './lib/report.js';

const HELD = 10_000;
const JOINS = 2_000;
/** Bursts of JOINS each; the fastest gives the Redis time per join (other work on the machine only adds). */
const BURSTS = 2;
const FEW_PAGES = 100;
const MANY_PAGES = 10_000;
/** Leaves reach Redis after the close handshake the load generator waits for: wait until Redis is quiet. */
const QUIET_MS = 500;
const SETTLE_TIMEOUT_MS = 20_000;

interface PagesRun {
  pages: number;
  held: number;
  joins: number;
  /** Sessions that left: the held ones and the bursts'. */
  left: number;
  joinsPerSecond: number;
  joinCommands: CommandCounts;
  leaveCommands: CommandCounts;
  /** Redis microseconds in what the server sent (EVALSHA, PUBLISH) per join, in the fastest burst. */
  redisMicrosecondsPerJoin: number;
  redisBytesPerOpenSession: number;
  redisBytesPerClosedSession: number;
}

const per = (counts: CommandCounts, n: number) => total(counts) / n;

/** Commandstats once no command ran for QUIET_MS (INFO aside), or at the timeout. */
async function quietStats(ctx: BenchContext): Promise<CommandCounts> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let last = await ctx.redis.commandStats();
  for (;;) {
    await sleep(QUIET_MS);
    const now = await ctx.redis.commandStats();
    if (total(commandsBetween(last, now)) === 0 || Date.now() > deadline) return now;
    last = now;
  }
}

async function run(ctx: BenchContext, pages: number): Promise<PagesRun> {
  const held = ctx.count(HELD);
  const joins = ctx.count(JOINS);
  return withServer(startHeadcountServer({ redisUrl: ctx.redisUrl, keyPrefix: `bench-pages-${pages}` }), async (server) => {
    await warmUp(ctx, server, 'page');
    const memIdle = await ctx.redis.usedMemory();
    const opened = await ctx.pool.open(server.wsUrl, 'page', held, { articles: pages });
    if (opened.failed > 0) throw new Error(`${opened.failed} of ${held} pages failed: ${opened.errors.join('; ')}`);
    await sleep(1_000);
    const memHeld = await ctx.redis.usedMemory();

    const beforeJoins = await ctx.redis.commandCallsAndTime();
    let joined = 0;
    let joinSeconds = 0;
    let usecPerJoin = Number.POSITIVE_INFINITY;
    let afterJoins = beforeJoins;
    for (let i = 0; i < BURSTS; i++) {
      const before = afterJoins;
      const burst = await ctx.pool.open(server.wsUrl, 'page', joins, { articles: pages });
      if (burst.failed > 0) throw new Error(`${burst.failed} of ${joins} joins failed: ${burst.errors.join('; ')}`);
      afterJoins = await ctx.redis.commandCallsAndTime();
      const sent = bySender(commandsBetween(before.calls, afterJoins.calls)).sent;
      const usec = Object.keys(sent).reduce((sum, name) => sum + (afterJoins.usec[name] ?? 0) - (before.usec[name] ?? 0), 0);
      usecPerJoin = Math.min(usecPerJoin, usec / burst.ok);
      joined += burst.ok;
      joinSeconds += burst.seconds;
    }
    const joinCommands = commandsBetween(beforeJoins.calls, afterJoins.calls);

    await ctx.pool.closeAll();
    // Under load the server sends the leaves well after the closes: wait until nobody is online. A poll
    // the busy server did not answer in time is asked again; the last answer is in the error.
    let last = 'no answer';
    const nobodyOnline = () => readStats(server).then(
      (counts) => ((last = `${counts.online.total} online`), counts.online.total === 0),
      (error: unknown) => ((last = String(error)), false),
    );
    if (!(await until(nobodyOnline, SETTLE_TIMEOUT_MS, 250))) throw new Error(`sessions still online ${SETTLE_TIMEOUT_MS} ms after they closed (last poll: ${last})`);
    const leaveCommands = commandsBetween(afterJoins.calls, await quietStats(ctx));
    const memClosed = await ctx.redis.usedMemory();
    const left = opened.ok + joined;
    const result: PagesRun = {
      pages,
      held: opened.ok,
      joins: joined,
      left,
      joinsPerSecond: joined / joinSeconds,
      joinCommands,
      leaveCommands,
      redisMicrosecondsPerJoin: usecPerJoin,
      redisBytesPerOpenSession: (memHeld - memIdle) / opened.ok,
      redisBytesPerClosedSession: (memClosed - memIdle) / left,
    };
    ctx.log(`${pages} live pages: ${joined} joins at ${result.joinsPerSecond.toFixed(0)}/s, ${per(joinCommands, joined).toFixed(1)} commands and ${result.redisMicrosecondsPerJoin.toFixed(1)} µs each in Redis ${JSON.stringify(joinCommands)}; leave ${per(leaveCommands, left).toFixed(1)} commands ${JSON.stringify(leaveCommands)}; Redis ${result.redisBytesPerOpenSession.toFixed(0)} B per open, ${result.redisBytesPerClosedSession.toFixed(0)} B per closed session`);
    return result;
  });
}

export const pageCosts: Measurement = {
  id: 'pages',
  title: 'Redis cost of pages (commands, memory, join cost by live pages)',
  async run(ctx) {
    const few = await run(ctx, Math.min(FEW_PAGES, ctx.count(MANY_PAGES)));
    const many = await run(ctx, ctx.count(MANY_PAGES));
    const joinPlusLeave = (r: PagesRun) => per(r.joinCommands, r.joins) + per(r.leaveCommands, r.left);
    const setting = `${many.held} sessions held on one site, then ${BURSTS} bursts of ${many.joins / BURSTS} joins, then every session leaves`;
    return {
      figures: [
        figure({
          name: 'Redis commands per pageview with pages, join + leave',
          value: joinPlusLeave(many),
          target: { on: 'value', op: '<=', limit: 40 },
          note: `INFO commandstats, commands run inside Redis (scripts' inner calls included) over ${setting}, ${many.pages} live pages: join ${per(many.joinCommands, many.joins).toFixed(1)} + leave ${per(many.leaveCommands, many.left).toFixed(1)}; with ${few.pages} live pages ${joinPlusLeave(few).toFixed(1)}`,
        }),
        reported({
          name: 'Redis memory per open page session with pages (B)',
          value: few.redisBytesPerOpenSession,
          note: `used_memory with ${few.held} sessions over ${few.pages} pages held minus before, per session; over ${many.pages} pages (a live entry each) ${many.redisBytesPerOpenSession.toFixed(0)} B`,
        }),
        reported({
          name: 'Redis memory per closed page session with pages (B)',
          value: few.redisBytesPerClosedSession,
          note: `used_memory after all ${few.left} sessions left minus before they came, per session (resumable sessions and today's pages kept); over ${many.pages} pages ${many.redisBytesPerClosedSession.toFixed(0)} B`,
        }),
        figure({
          name: `join cost with ${format(many.pages)} live pages: Redis commands per join`,
          value: per(many.joinCommands, many.joins),
          baseline: per(few.joinCommands, few.joins),
          baselineName: `${format(few.pages)} live pages`,
          target: { on: 'ratio', op: '<=', limit: 1.15 },
          note: `${setting}; commands run inside Redis during the bursts / joins`,
        }),
        figure({
          name: `join cost with ${format(many.pages)} live pages: Redis µs per join`,
          value: many.redisMicrosecondsPerJoin,
          baseline: few.redisMicrosecondsPerJoin,
          baselineName: `${format(few.pages)} live pages`,
          target: { on: 'ratio', op: '<=', limit: 1.15 },
          note: `commandstats usec of what the server sent (EVALSHA, PUBLISH) during a burst / its joins, the faster of ${BURSTS} bursts; hello -> welcome ${many.joinsPerSecond.toFixed(0)} joins/s against ${few.joinsPerSecond.toFixed(0)}`,
        }),
      ],
      details: { few, many },
    };
  },
};
