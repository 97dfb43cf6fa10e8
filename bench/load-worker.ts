// One load-generator process (forked by bench/lib/load-pool.ts): holds a few thousand sockets to a
// server under test, speaking just enough of docs/protocol.md, and answers the runner over IPC.
// A process may hold at most 20,000 open files here, hence several of these.
//
// Source addresses: this worker owns 127.BLOCK.0.0/16 and moves to the next address every
// ATTEMPTS_PER_ADDRESS connection attempts. Closed client sockets sit in TIME_WAIT for 60 s, and
// bind(address, 0) crawls through an address crowded with them (measured: ~2.5 ms per connect
// with 10,000 on one address during a reconnect storm, stalling the event loop for seconds).
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import WebSocket from 'ws';
import type { ServerMessage } from '../src/protocol.js';
import { articleFields, articleOf, PAGE_ORIGIN, type ArticleFields } from './lib/articles.js';
import { now, type LoadEvent, type OpenResult, type OpenSpec, type Reply, type Request, type Status } from './lib/messages.js';

const OPEN_TIMEOUT_MS = 15_000;
const CLOSE_TIMEOUT_MS = 10_000;
const ATTEMPTS_PER_ADDRESS = 1_000;
/** Recorded events go to the runner in batches: one IPC message per page event would cost more than the page. */
const EVENT_FLUSH_MS = 100;
const BLOCK = Number(process.env.LOAD_ADDRESS_BLOCK);
if (!(BLOCK >= 1 && BLOCK <= 254)) throw new Error('LOAD_ADDRESS_BLOCK: expected the second octet of this worker\'s 127.x.0.0/16');
let attempts = 0;

/** 127.BLOCK.0.1, ... one address per ATTEMPTS_PER_ADDRESS attempts, never a .0 or .255. */
function localAddress(): string {
  const n = Math.floor(attempts++ / ATTEMPTS_PER_ADDRESS);
  return `127.${BLOCK}.${Math.floor(n / 250) % 256}.${1 + (n % 250)}`;
}

interface Client {
  readonly spec: OpenSpec;
  readonly vid: string;
  readonly psid: string;
  /** The page's hello without vid and psid: the same article and referrer again on every reconnect. */
  readonly page: ArticleFields;
  ws: WebSocket | undefined;
  everReady: boolean;
  /** online.total of the last counts this widget saw. */
  lastTotal: number | undefined;
  attempt: number;
  timer: NodeJS.Timeout | undefined;
  /** Closed on purpose by churn: it does not reconnect. */
  leaving: boolean;
}

const clients = new Set<Client>();
/** Widgets: total k -> arrival time of each widget's first counts with online.total >= k. */
const arrivals = new Map<number, number[]>();
const awaiting = new Map<number, number>();
let widgets = 0;
let readyTimes: number[] = [];
let notResumed = 0;
let closeCodes: Record<number, number> = {};
/** Articles (and referrers) each batch of pages has handed out so far, so churned-in pages read the next ones. */
const handedOut = new Map<OpenSpec, number>();
let events: LoadEvent[] = [];
let flushTimer: NodeJS.Timeout | undefined;

function flushEvents(): void {
  clearTimeout(flushTimer);
  flushTimer = undefined;
  if (events.length === 0) return;
  process.send!({ id: 0, op: 'events', events } satisfies Reply);
  events = [];
}

function record(client: Client, event: LoadEvent): void {
  if (!client.spec.record) return;
  events.push(event);
  flushTimer ??= setTimeout(flushEvents, EVENT_FLUSH_MS);
}

/** Every reply goes after the events before it, so a runner that has the reply has every event too. */
function reply(message: Reply): void {
  flushEvents();
  process.send!(message);
}

function checkAwaiting(total: number): void {
  const id = awaiting.get(total);
  if (id !== undefined && (arrivals.get(total)?.length ?? 0) >= widgets) {
    awaiting.delete(total);
    reply({ id, op: 'await' });
  }
}

function sawTotal(client: Client, total: number): void {
  if (client.lastTotal === undefined || total <= client.lastTotal) {
    client.lastTotal = Math.max(total, client.lastTotal ?? total);
    return;
  }
  const at = now();
  // Joins merged into one push still count as delivered for each total they cover.
  for (let k = client.lastTotal + 1; k <= total; k++) {
    let list = arrivals.get(k);
    if (!list) arrivals.set(k, (list = []));
    list.push(at);
    checkAwaiting(k);
  }
  client.lastTotal = total;
}

/** docs/protocol.md: min(30 s, 0.5 s * 2^attempt) * random(0.5..1). */
function backoffMs(attempt: number): number {
  return Math.min(30_000, 500 * 2 ** attempt) * (0.5 + Math.random() * 0.5);
}

/** Opens the client's socket; resolves once it is ready for its mode, with welcome.resumed for pages. */
function connect(client: Client): Promise<boolean> {
  const { spec } = client;
  const ws = new WebSocket(spec.url, { localAddress: localAddress(), headers: { origin: PAGE_ORIGIN }, perMessageDeflate: false });
  client.ws = ws;
  return new Promise((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => ws.terminate(), OPEN_TIMEOUT_MS);
    const done = (resumed: boolean) => {
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      client.everReady = true;
      resolve(resumed);
    };
    ws.on('open', () => {
      if (spec.mode === 'bare') return done(false);
      if (spec.mode === 'widget') return ws.send('{"t":"sub","on":true}');
      record(client, { kind: 'hello', psid: client.psid, vid: client.vid });
      ws.send(JSON.stringify({ t: 'hello', site: 'demo', vid: client.vid, psid: client.psid, ...client.page }));
    });
    ws.on('message', (data) => {
      if (spec.mode === 'bare') return;
      const message = JSON.parse(data.toString()) as ServerMessage;
      if (message.t === 'welcome') {
        record(client, { kind: 'welcome', welcome: message });
        done(message.resumed);
      }
      else if (message.t === 'counts' && spec.mode === 'widget') {
        sawTotal(client, message.online.total);
        done(false);
      }
    });
    ws.on('error', () => {}); // 'close' follows and decides
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      closeCodes[code] = (closeCodes[code] ?? 0) + 1;
      if (!ready) reject(new Error(`closed before ready: ${code} ${reason.toString() || ''}`.trim()));
      if (client.everReady && spec.reconnect && !client.leaving) scheduleReconnect(client);
    });
  });
}

function scheduleReconnect(client: Client): void {
  client.timer = setTimeout(() => {
    client.timer = undefined;
    connect(client).then((resumed) => {
      client.attempt = 0;
      readyTimes.push(now());
      if (!resumed && client.spec.mode === 'page') notResumed++;
    }, () => {}); // its close handler schedules the next attempt
  }, backoffMs(client.attempt++));
}

/** Opens `count` more sockets of `spec` (spec.count for a new batch). */
async function open(spec: OpenSpec, count = spec.count): Promise<OpenResult> {
  const result: OpenResult = { ok: 0, failed: 0, errors: [], startedAt: now(), endedAt: 0 };
  let started = 0;
  const lane = async () => {
    while (started < count) {
      started++;
      const k = handedOut.get(spec) ?? 0;
      handedOut.set(spec, k + 1);
      const page = articleFields(articleOf(spec, k), k);
      const client: Client = { spec, vid: randomUUID(), psid: randomUUID(), page, ws: undefined, everReady: false, lastTotal: undefined, attempt: 0, timer: undefined, leaving: false };
      clients.add(client);
      try {
        await connect(client);
        result.ok++;
        result.endedAt = now();
        if (spec.mode === 'widget') widgets++;
      } catch (error) {
        clients.delete(client);
        result.failed++;
        if (result.errors.length < 5) result.errors.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(spec.concurrency, count) }, lane));
  return result;
}

/** Closes sockets with 1000 and waits for them, cutting off the ones that do not answer in time. */
async function closeCleanly(sockets: WebSocket[]): Promise<void> {
  const closing = sockets.map((ws) => once(ws, 'close'));
  for (const ws of sockets) ws.close(1000);
  const cutOff = setTimeout(() => sockets.forEach((ws) => ws.terminate()), CLOSE_TIMEOUT_MS);
  await Promise.all(closing);
  clearTimeout(cutOff);
}

/**
 * `count` pages leave, then every batch is topped up to its size with new pages (its server, its next
 * articles): as many arrive as left, and those that could not open before (their server was down) too.
 */
async function churn(count: number): Promise<{ closed: number; result: OpenResult }> {
  const leaving: Client[] = [];
  for (const client of clients) {
    if (leaving.length === count) break;
    if (client.spec.mode === 'page' && client.everReady && client.ws?.readyState === WebSocket.OPEN) leaving.push(client);
  }
  for (const client of leaving) {
    client.leaving = true;
    clients.delete(client);
    record(client, { kind: 'left', psid: client.psid });
  }
  await closeCleanly(leaving.map((client) => client.ws!));
  const held = new Map<OpenSpec, number>();
  for (const { spec } of clients) held.set(spec, (held.get(spec) ?? 0) + 1);
  const batches = [...handedOut.keys()].filter((spec) => spec.mode === 'page' && spec.reconnect);
  const results = await Promise.all(batches.map((spec) => open(spec, Math.max(0, spec.count - (held.get(spec) ?? 0)))));
  const result = results.reduce<OpenResult>((sum, r) => ({
    ok: sum.ok + r.ok,
    failed: sum.failed + r.failed,
    errors: [...sum.errors, ...r.errors].slice(0, 5),
    startedAt: Math.min(sum.startedAt, r.startedAt),
    endedAt: Math.max(sum.endedAt, r.endedAt),
  }), { ok: 0, failed: 0, errors: [], startedAt: now(), endedAt: 0 });
  return { closed: leaving.length, result };
}

async function closeAll(): Promise<number> {
  const sockets: WebSocket[] = [];
  for (const client of clients) {
    clearTimeout(client.timer);
    const ws = client.ws;
    client.spec.reconnect = false;
    // Waiting for a reconnect or open: either way it never comes back.
    if (client.everReady) record(client, { kind: 'left', psid: client.psid });
    if (!ws || ws.readyState === WebSocket.CLOSED) continue;
    sockets.push(ws);
  }
  await closeCleanly(sockets);
  clients.clear();
  handedOut.clear();
  arrivals.clear();
  awaiting.clear();
  widgets = 0;
  return sockets.length;
}

function latencies(marks: Record<number, number>): { latencies: number[]; missed: number } {
  const out: number[] = [];
  let missed = 0;
  for (const [k, t0] of Object.entries(marks)) {
    const list = arrivals.get(Number(k)) ?? [];
    for (const at of list) out.push(at - t0);
    missed += Math.max(0, widgets - list.length);
  }
  return { latencies: out, missed };
}

async function handle(request: Request): Promise<Reply | undefined> {
  const { id } = request;
  switch (request.op) {
    case 'open':
      // Each batch has its own spec object: closeAll turns its reconnects off.
      return { id, op: 'open', result: await open({ ...request.spec }) };
    case 'closeAll':
      return { id, op: 'closeAll', closed: await closeAll() };
    case 'mark':
      readyTimes = [];
      notResumed = 0;
      closeCodes = {};
      return { id, op: 'mark' };
    case 'status': {
      let openCount = 0;
      let reconnecting = 0;
      for (const client of clients) {
        if (client.ws?.readyState === WebSocket.OPEN) openCount++;
        else if (client.everReady) reconnecting++;
      }
      const status: Status = { open: openCount, readied: readyTimes.length, notResumed, lastReadyAt: readyTimes.reduce((a, b) => Math.max(a, b), 0), reconnecting, closeCodes };
      return { id, op: 'status', status: request.times ? { ...status, readyTimes } : status };
    }
    case 'await':
      awaiting.set(request.total, id);
      checkAwaiting(request.total);
      return undefined; // answered by checkAwaiting when the last widget sees the total
    case 'latencies':
      return { id, op: 'latencies', ...latencies(request.marks) };
    case 'churn':
      return { id, op: 'churn', ...(await churn(request.count)) };
  }
}

process.on('message', (request: Request) => {
  handle(request).then(
    (answer) => answer && reply(answer),
    (error: unknown) => reply({ id: request.id, op: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
});
reply({ id: 0, op: 'ready' });
// The runner went away (finished or crashed): never outlive it.
process.on('disconnect', () => process.exit(0));
