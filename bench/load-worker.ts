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
import { now, type OpenResult, type OpenSpec, type Reply, type Request, type Status } from './lib/messages.js';

const OPEN_TIMEOUT_MS = 15_000;
const CLOSE_TIMEOUT_MS = 10_000;
const ATTEMPTS_PER_ADDRESS = 1_000;
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
}

const clients = new Set<Client>();
/** Widgets: total k -> arrival time of each widget's first counts with online.total >= k. */
const arrivals = new Map<number, number[]>();
const awaiting = new Map<number, number>();
let widgets = 0;
let readyTimes: number[] = [];
let notResumed = 0;
let closeCodes: Record<number, number> = {};

function reply(message: Reply): void {
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
      ws.send(JSON.stringify({ t: 'hello', site: 'demo', vid: client.vid, psid: client.psid, ...client.page }));
    });
    ws.on('message', (data) => {
      if (spec.mode === 'bare') return;
      const message = JSON.parse(data.toString()) as ServerMessage;
      if (message.t === 'welcome') done(message.resumed);
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
      if (client.everReady && spec.reconnect) scheduleReconnect(client);
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

async function open(spec: OpenSpec): Promise<OpenResult> {
  const result: OpenResult = { ok: 0, failed: 0, errors: [], startedAt: now(), endedAt: 0 };
  let started = 0;
  const lane = async () => {
    while (started < spec.count) {
      const k = started++;
      const page = articleFields(articleOf(spec, k), k);
      const client: Client = { spec, vid: randomUUID(), psid: randomUUID(), page, ws: undefined, everReady: false, lastTotal: undefined, attempt: 0, timer: undefined };
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
  await Promise.all(Array.from({ length: Math.min(spec.concurrency, spec.count) }, lane));
  return result;
}

async function closeAll(): Promise<number> {
  const closing: Promise<unknown>[] = [];
  for (const client of clients) {
    clearTimeout(client.timer);
    const ws = client.ws;
    client.spec.reconnect = false;
    if (!ws || ws.readyState === WebSocket.CLOSED) continue;
    closing.push(once(ws, 'close'));
    ws.close(1000);
  }
  const cutOff = setTimeout(() => clients.forEach((c) => c.ws?.terminate()), CLOSE_TIMEOUT_MS);
  await Promise.all(closing);
  clearTimeout(cutOff);
  clients.clear();
  arrivals.clear();
  awaiting.clear();
  widgets = 0;
  return closing.length;
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
      for (const client of clients) if (client.ws?.readyState === WebSocket.OPEN) openCount++;
      const status: Status = { open: openCount, readied: readyTimes.length, notResumed, lastReadyAt: readyTimes.reduce((a, b) => Math.max(a, b), 0), closeCodes };
      return { id, op: 'status', status: request.times ? { ...status, readyTimes } : status };
    }
    case 'await':
      awaiting.set(request.total, id);
      checkAwaiting(request.total);
      return undefined; // answered by checkAwaiting when the last widget sees the total
    case 'latencies':
      return { id, op: 'latencies', ...latencies(request.marks) };
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
