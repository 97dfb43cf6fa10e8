// Figures 1 and 4a: page sessions held in one Headcount process and its RSS per session, against a
// bare ws server holding as many idle sockets; then, while they are held, Redis commands per held
// session per minute (presence is refreshed per instance, not per session).
import type { BenchContext, Measurement } from './lib/context.js';
import type { SocketMode } from './lib/messages.js';
import { now } from './lib/messages.js';
import { settledRss, warmUp } from './lib/phases.js';
import { readStats, startBaseline, startHeadcountServer, withServer, type ServerProcess } from './lib/processes.js';
import { bySender, commandsBetween, total } from './lib/redis-info.js';
import { figure } from './lib/report.js';
import { sleep } from './lib/numbers.js';

/** The server may hold 20,000 open files: 19,000 sockets leave room for Redis, the listener and stdio. */
const SESSIONS = 19_000;
const PRESENCE_TTL_MS = 30_000; // the shipped default, stated so the computed reference below matches

interface Held {
  opened: number;
  failed: number;
  errors: string[];
  rssIdle: number;
  rssHeld: number;
  bytesPerSession: number;
  openPerSecond: number;
}

async function hold(ctx: BenchContext, server: ServerProcess, mode: SocketMode, sessions: number, label: string): Promise<Held> {
  await warmUp(ctx, server, mode);
  const rssIdle = await settledRss(server);
  const opened = await ctx.pool.open(server.wsUrl, mode, sessions);
  const rssHeld = await settledRss(server);
  const held: Held = {
    opened: opened.ok,
    failed: opened.failed,
    errors: opened.errors,
    rssIdle,
    rssHeld,
    bytesPerSession: (rssHeld - rssIdle) / opened.ok,
    openPerSecond: opened.perSecond,
  };
  ctx.log(`${label}: ${opened.ok} held (${opened.failed} failed), RSS ${(rssIdle / 2 ** 20).toFixed(1)} -> ${(rssHeld / 2 ** 20).toFixed(1)} MiB, ${(held.bytesPerSession / 1024).toFixed(2)} KiB each`);
  return held;
}

export const sessionsHeld: Measurement = {
  id: 'held',
  title: 'sessions held / RSS per session / Redis commands per held session',
  async run(ctx) {
    const sessions = ctx.count(SESSIONS);

    const bare = await withServer(startBaseline('bare-ws-server', {}, { inspect: true }), async (server) => {
      const held = await hold(ctx, server, 'bare', sessions, 'bare ws');
      await ctx.pool.closeAll();
      return held;
    });

    const options = { redisUrl: ctx.redisUrl, keyPrefix: 'bench-held', env: { PRESENCE_TTL_MS: String(PRESENCE_TTL_MS) }, inspect: true };
    return withServer(startHeadcountServer(options), async (server) => {
      const headcount = await hold(ctx, server, 'page', sessions, 'Headcount');
      const online = (await readStats(server)).online.total;
      // Steady state: nothing joins or leaves; only the per-instance presence heartbeat should reach Redis.
      const before = await ctx.redis.commandStats();
      const from = now();
      await sleep(ctx.steadySeconds * 1_000);
      const commands = commandsBetween(before, await ctx.redis.commandStats());
      const minutes = (now() - from) / 60_000;
      const perSessionMinute = total(commands) / online / minutes;
      ctx.log(`steady state: ${total(commands)} Redis commands in ${(minutes * 60).toFixed(1)} s for ${online} sessions ${JSON.stringify(commands)}`);
      await ctx.pool.closeAll();

      return {
        figures: [
          figure({
            name: 'sessions held in one process',
            value: online,
            baseline: bare.opened,
            baselineName: 'bare ws sockets',
            target: { on: 'value', op: '>=', limit: sessions },
            note: `online total from the stats API with ${sessions} pages open; the process may hold 20,000 open files`,
          }),
          figure({
            name: 'RSS per held session (KiB)',
            value: headcount.bytesPerSession / 1024,
            baseline: bare.bytesPerSession / 1024,
            baselineName: 'bare ws idle socket',
            target: { on: 'ratio', op: '<=', limit: 1.3 },
            note: '(RSS with N held - RSS idle after a warm-up) / N, VmRSS from /proc, each read after a full garbage collection in the server (its inspector); both servers compiled, no loader',
          }),
          figure({
            name: 'Redis commands per held session per minute',
            value: perSessionMinute,
            // What refreshing presence per session every TTL/3 would cost: the design this avoids.
            baseline: 60_000 / (PRESENCE_TTL_MS / 3),
            baselineName: 'per-session refresh, computed',
            target: { on: 'value', op: '<=', limit: 0.01 },
            note: `INFO commandstats delta over a ${ctx.steadySeconds} s steady window with ${online} sessions, PRESENCE_TTL_MS=${PRESENCE_TTL_MS}: ${total(commands)} commands run, counting those inside scripts (${total(bySender(commands).sent)} sent)`,
          }),
        ],
        details: { sessions, bare, headcount, online, steady: { seconds: minutes * 60, commands } },
      };
    });
  },
};
