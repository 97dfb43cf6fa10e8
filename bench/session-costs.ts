// Per-session costs for docs/scaling.md, measured on loopback against the real service (src/main.ts,
// shipped defaults) on a private redis-server:
//   - RSS per held page session, and Redis memory per open and per closed (resumable) page session;
//   - Redis commands per held page session per minute (steady state) and per pageview (join + leave);
//   - WebSocket bytes per page session per minute (steady state: ping/pong) and per count push;
//   - Redis time per pageview when busy: the store's own scripts, pipelined, as a loaded Redis runs them;
//   - heap per join waiting for an unreachable Redis (what REDIS_PENDING_JOINS bounds).
// Every page says hello with `sub: true`, as a page with the footer widget does, reading one of
// 1,000 articles with its title, section and author and a referrer (bench/lib/articles.ts).
//   npm run bench:session-costs [-- --sessions=2000 --steady-seconds=30 --churn=500]
// Bounded: a few thousand sockets, all held by this process (a process may hold 20,000 open files).
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { periodsAt } from '../src/calendar.js';
import type { ServerMessage } from '../src/protocol.js';
import { historyTarget } from '../src/store/redis/history.js';
import { Keys } from '../src/store/redis/keys.js';
import { createRedisStore } from '../src/store/redis/redis-store.js';
import { Scripts } from '../src/store/redis/scripts.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { articleFields, DEFAULT_ARTICLES } from './lib/articles.js';
import { sleep } from './lib/numbers.js';
import { settledRss } from './lib/phases.js';
import { killOnExit, startHeadcountServer, withServer, type ServerProcess } from './lib/processes.js';
import { bySender, commandsBetween, total, type CommandCounts } from './lib/redis-info.js';

const { values: args } = parseArgs({
  options: {
    sessions: { type: 'string', default: '2000' },
    'steady-seconds': { type: 'string', default: '30' },
    churn: { type: 'string', default: '500' },
  },
});
const SESSIONS = Number(args.sessions);
const STEADY_MS = Number(args['steady-seconds']) * 1_000;
const CHURN = Number(args.churn);
if (!(SESSIONS >= 100 && SESSIONS <= 5_000)) throw new Error('--sessions: 100 to 5000 (this process holds them all)');
if (!(STEADY_MS >= 15_000)) throw new Error('--steady-seconds: at least 15, one ping interval');
if (!(CHURN >= 50 && CHURN <= SESSIONS)) throw new Error('--churn: 50 to --sessions');
const CHURN_PER_SECOND = 50;
/** The whole run, whatever the arguments: at most a few minutes. */
const TIME_LIMIT_MS = 5 * 60_000;
const OPENING_AT_ONCE = 100;
const PAGE_ORIGIN = 'http://localhost:3000';

interface Page {
  readonly ws: WebSocket;
  /** Counts messages received, and their bytes on the wire (payload and frame header). */
  pushes: number;
  pushBytes: number;
}

/** Server frames are unmasked: a 2-byte header up to 125 payload bytes, 4 bytes up to 65,535. */
const frameBytes = (payload: number) => payload + (payload < 126 ? 2 : 4);

const log = (line: string) => console.error(`[session-costs] ${line}`);

let pagesOpened = 0;

async function openPage(server: ServerProcess): Promise<Page> {
  const n = pagesOpened++;
  const ws = new WebSocket(server.wsUrl, { headers: { origin: PAGE_ORIGIN }, perMessageDeflate: false });
  const page: Page = { ws, pushes: 0, pushBytes: 0 };
  const welcomed = new Promise<void>((resolve, reject) => {
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as ServerMessage;
      if (message.t === 'welcome') resolve();
      else if (message.t === 'counts') {
        page.pushes++;
        page.pushBytes += frameBytes((data as Buffer).length);
      }
    });
    ws.once('close', (code) => reject(new Error(`closed with ${code} before welcome`)));
    ws.once('error', reject);
  });
  await once(ws, 'open');
  ws.send(JSON.stringify({ t: 'hello', site: 'demo', vid: randomUUID(), psid: randomUUID(), ...articleFields(n % DEFAULT_ARTICLES, n), sub: true }));
  await welcomed;
  return page;
}

async function openPages(server: ServerProcess, n: number): Promise<Page[]> {
  const pages: Page[] = [];
  for (let i = 0; i < n; i += OPENING_AT_ONCE) {
    pages.push(...(await Promise.all(Array.from({ length: Math.min(OPENING_AT_ONCE, n - i) }, () => openPage(server)))));
  }
  return pages;
}

async function closePages(pages: readonly Page[]): Promise<void> {
  await Promise.all(pages.filter(({ ws }) => ws.readyState !== ws.CLOSED).map((page) => {
    page.ws.close(1000);
    return once(page.ws, 'close');
  }));
}

/** WebSocket bytes both ways on the pages' TCP sockets (frames and handshake; no TCP/IP headers). */
function wireBytes(pages: readonly Page[]): number {
  let sum = 0;
  // ws keeps its net.Socket private; its byte counters are the plainest measure of the wire.
  for (const { ws } of pages) {
    const socket = (ws as unknown as { _socket: Socket | null })._socket;
    if (socket) sum += socket.bytesRead + socket.bytesWritten;
  }
  return sum;
}

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))![1]);
}

/** INFO commandstats: calls per command, and the microseconds Redis spent in each. */
async function commandStats(redis: Redis): Promise<{ calls: CommandCounts; usec: CommandCounts }> {
  const calls: CommandCounts = {};
  const usec: CommandCounts = {};
  for (const match of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    calls[match[1]!] = Number(match[2]);
    usec[match[1]!] = Number(match[3]);
  }
  return { calls, usec };
}

const perEach = (value: number, n: number) => Number((value / n).toFixed(2));

async function measure(server: ServerProcess, redis: Redis) {
  await closePages(await openPages(server, 200)); // warm-up: JIT, pools, lazy modules
  await sleep(1_000);
  const rssIdle = await settledRss(server);
  const memIdle = await usedMemory(redis);

  let pages = await openPages(server, SESSIONS);
  const rssHeld = await settledRss(server);
  const memHeld = await usedMemory(redis);
  log(`${SESSIONS} pages held`);

  // Steady state: pages stay, nobody joins or leaves; only pings and presence heartbeats.
  const bytes = wireBytes(pages);
  let commands = await commandStats(redis);
  let started = performance.now();
  await sleep(STEADY_MS);
  const steadyMinutes = (performance.now() - started) / 60_000;
  const steadyCommands = commandsBetween(commands.calls, (await commandStats(redis)).calls);
  const steadyBytes = wireBytes(pages) - bytes;
  log(`steady: ${JSON.stringify(steadyCommands)} over ${(steadyMinutes * 60).toFixed(1)} s`);

  // Churn: one page closes and another opens, CHURN_PER_SECOND times a second, as readers come and go.
  for (const page of pages) page.pushes = page.pushBytes = 0;
  commands = await commandStats(redis);
  started = performance.now();
  const replaced: Page[] = [];
  for (let i = 0; i < CHURN; i++) {
    const leaving = pages[i]!;
    leaving.ws.close(1000);
    replaced.push(await openPage(server));
    await sleep(1_000 / CHURN_PER_SECOND);
  }
  await sleep(1_000); // the last coalesced pushes
  const churnSeconds = (performance.now() - started) / 1_000;
  const after = await commandStats(redis);
  const churnCommands = commandsBetween(commands.calls, after.calls);
  // A script's time includes the commands it runs: count the time of what clients sent only.
  const sent = bySender(churnCommands).sent;
  const usecOf = (name: string) => after.usec[name]! - (commands.usec[name] ?? 0);
  const churnUsec = Object.keys(sent).reduce((sum, name) => sum + usecOf(name), 0);
  const usecPerCall = Object.fromEntries(Object.entries(sent).map(([name, calls]) => [name, perEach(usecOf(name), calls)]));
  const stayed = pages.slice(CHURN);
  const pushes = stayed.reduce((sum, page) => sum + page.pushes, 0);
  const pushBytes = stayed.reduce((sum, page) => sum + page.pushBytes, 0);
  log(`churn: ${CHURN} pageviews in ${churnSeconds.toFixed(1)} s, ${JSON.stringify(churnCommands)}`);
  pages = [...stayed, ...replaced];

  await closePages(pages);
  await sleep(1_000);
  const memClosed = await usedMemory(redis);

  return {
    sessions: SESSIONS,
    rssIdleBytes: rssIdle,
    rssPerHeldSessionBytes: perEach(rssHeld - rssIdle, SESSIONS),
    redisBytesPerOpenSession: perEach(memHeld - memIdle, SESSIONS),
    redisBytesPerClosedSession: perEach(memClosed - memIdle, SESSIONS + CHURN),
    steady: {
      seconds: Number((steadyMinutes * 60).toFixed(1)),
      redisCommands: steadyCommands,
      redisCommandsPerSessionPerMinute: Number((total(steadyCommands) / SESSIONS / steadyMinutes).toFixed(4)),
      wsBytesPerSessionPerMinute: perEach(steadyBytes / steadyMinutes, SESSIONS),
    },
    churn: {
      pageviews: CHURN,
      seconds: Number(churnSeconds.toFixed(1)),
      redisCommands: churnCommands,
      // Joins and leaves dominate; pushes' store reads and change notices come along.
      redisCommandsSentPerPageview: perEach(total(sent), CHURN),
      redisCommandsRunPerPageview: perEach(total(churnCommands), CHURN),
      redisMicrosecondsPerPageview: perEach(churnUsec, CHURN),
      redisMicrosecondsPerCall: usecPerCall,
      pushesPerSubscriberPerSecond: Number((pushes / stayed.length / churnSeconds).toFixed(2)),
      wsBytesPerPush: perEach(pushBytes, pushes),
    },
  };
}

/**
 * Joins, leaves and reads of SATURATION_BATCH distinct page sessions, all in flight at once, on a
 * fresh redis-server: Redis's own time per pageview (join + leave + one read), best of three rounds.
 * Each reads one of 1,000 articles, arrived from search, engaged, with 1 s of engaged time at its leave.
 */
const SATURATION_BATCH = 5_000;
async function busyRedisMicrosecondsPerPageview(url: string): Promise<number> {
  const client = new Redis(url, { enableAutoPipelining: true });
  const scripts = new Scripts(client);
  const keys = new Keys('bench-busy').site('demo');
  const periods = periodsAt(Date.UTC(2026, 10, 26, 3), 'UTC');
  const history = historyTarget(keys, periods);
  const rounds: number[] = [];
  for (let round = 0; round < 3; round++) {
    const before = await commandStats(client);
    const now = Date.now();
    const ids = Array.from({ length: SATURATION_BATCH }, (_, i) => `${round}-${i}`);
    await Promise.all(ids.map((id, i) => {
      const { url, title, section, author } = articleFields(i % DEFAULT_ARTICLES, i);
      const page = { url, title, section, author, source: 'search' as const, host: 'www.google.com', engaged: true };
      return scripts.join({ keys, replacedChannel: 'bench-busy:replaced', site: 'demo', instanceId: 'bench', psid: `p${id}`, tag: `g:v${id}`, visitor: `v${id}`, claim: 1, now, presenceTtlMs: 30_000, visitWindowMs: 1_800_000, periods, resume: false, page, history });
    }));
    await Promise.all(ids.map((id) => scripts.leave(keys, 'bench', `p${id}`, now, history, { day: periods.day, ms: 1_000 })));
    await Promise.all(ids.map(() => scripts.read(keys, periods)));
    const after = await commandStats(client);
    rounds.push((after.usec.evalsha! - (before.usec.evalsha ?? 0)) / SATURATION_BATCH);
  }
  client.disconnect();
  return Number(Math.min(...rounds).toFixed(1));
}

/** Joins issued while Redis is down wait in the store; the JS heap they take, per join. */
const WAITING_JOINS = 10_000;
async function heapPerWaitingJoin(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench:session-costs does)');
  const down = await startRedisServer();
  const store = await createRedisStore({
    redis: { kind: 'url', url: down.url }, keyPrefix: 'bench-waiting', sites: ['demo'], presenceTtlMs: 30_000,
    visitWindowMs: 1_800_000, clock: Date.now, maxPendingJoins: WAITING_JOINS, logger: { warn() {} },
  });
  await down.kill();
  await sleep(200);
  gc();
  const before = process.memoryUsage().heapUsed;
  const periods = periodsAt(Date.UTC(2026, 10, 26, 3), 'UTC');
  const waiting = Array.from({ length: WAITING_JOINS }, () => {
    const visitor = randomUUID();
    const page = { url: `${PAGE_ORIGIN}/thoi-su/bai-viet.html`, title: 'Bài viết' };
    return store.join({ site: 'demo', psid: randomUUID(), identity: visitor, visitor, kind: 'guest', now: Date.now(), periods, page, source: 'direct', engaged: true }).catch(() => undefined);
  });
  await sleep(200);
  gc();
  const perJoin = (process.memoryUsage().heapUsed - before) / WAITING_JOINS;
  await store.close(); // fails the waiting joins
  await Promise.all(waiting);
  await down.stop();
  return Math.round(perJoin);
}

setTimeout(() => {
  log(`no result within ${TIME_LIMIT_MS / 60_000} minutes: giving up`);
  process.exit(1); // killOnExit stops the processes started here
}, TIME_LIMIT_MS).unref();
const server = await startRedisServer();
const forget = killOnExit(() => process.kill(server.pid, 'SIGKILL'));
const redis = new Redis(server.url);
try {
  const result = await withServer(startHeadcountServer({ redisUrl: server.url, keyPrefix: 'bench-costs' }), (headcount) => measure(headcount, redis));
  const busy = await busyRedisMicrosecondsPerPageview(server.url);
  const waiting = await heapPerWaitingJoin();
  console.log(JSON.stringify({ ...result, busyRedisMicrosecondsPerPageview: busy, heapBytesPerWaitingJoin: waiting }, null, 2));
} finally {
  redis.disconnect();
  await server.stop();
  forget();
}
