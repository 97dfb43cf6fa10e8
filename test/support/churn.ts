// Page churn for fault tests: pages arrive on the given instances in turn, read for a while and leave,
// continuously, each hello and welcome recorded in a GroundTruth. A page whose hello fails (its socket
// closed, e.g. with 1013, or no welcome in time) reconnects, to the next instance, and says hello again
// with the same psid, as t.js does. Every attempt is kept with its times, to measure a fault's effect.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Counts, WelcomeMessage } from '../../src/protocol.js';
import type { GroundTruth, Reading, Verdict } from './ground-truth.js';
import { isWelcome, PageClient } from './page-client.js';

export interface ChurnOptions {
  /** Pages open at once (each loop is one page after another). */
  readonly pages: number;
  /** How long a welcomed page stays, ms: uniformly in [min, max]. */
  readonly holdMs: readonly [number, number];
  /** How long a page waits for its welcome before it reconnects (default 10,000 ms). */
  readonly welcomeWaitMs?: number;
}

/** One hello: sent at `sentAt`, welcomed (ok) or given up on at `doneAt` (Date.now() ms). */
export interface Attempt {
  readonly psid: string;
  readonly sentAt: number;
  readonly doneAt: number;
  readonly ok: boolean;
}

/** How joins went in a stretch of the churn. */
export interface JoinFlow {
  /** Hellos sent in the stretch that got no welcome (the page retried). */
  readonly failed: number;
  /** The longest time no page was welcomed, and when it ended: joins flowing again. */
  readonly stallMs: number;
  readonly stallEnd: number;
  /** The longest a page session sent in the stretch waited, first hello to welcome, retries included. */
  readonly longestWaitMs: number;
  /** Page sessions sent in the stretch and never welcomed. */
  readonly unwelcomed: number;
}

const ARTICLES = 4;

export class Churn {
  readonly attempts: Attempt[] = [];
  /** Page sessions never welcomed before the churn stopped. */
  unwelcomed = 0;
  private running = false;
  private loops: Promise<void>[] = [];
  private next = 0;

  constructor(private readonly truth: GroundTruth, private readonly wsUrls: readonly string[], private readonly options: ChurnOptions) {}

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.options.pages }, (_, i) => this.page(i));
  }

  /** Stops new pages; resolves once every page has left cleanly. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Welcomed page sessions, the number to wait for between phases. */
  get welcomed(): number {
    return this.attempts.filter((a) => a.ok).length;
  }

  /** Resolves once `more` pages beyond now were welcomed (joins are flowing); throws after timeoutMs. */
  async flowing(more: number, timeoutMs: number): Promise<void> {
    const target = this.welcomed + more;
    const deadline = Date.now() + timeoutMs;
    while (this.welcomed < target) {
      if (Date.now() > deadline) throw new Error(`only ${this.welcomed - target + more} of ${more} more pages welcomed within ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  /** The joins of the page sessions whose first hello was sent in [from, to], and the welcomes in it. */
  flow(from: number, to: number): JoinFlow {
    const firstSent = new Map<string, number>();
    const welcomed = new Map<string, number>();
    for (const a of this.attempts) {
      if (!firstSent.has(a.psid)) firstSent.set(a.psid, a.sentAt);
      if (a.ok) welcomed.set(a.psid, a.doneAt);
    }
    const pages = [...firstSent].filter(([, sent]) => sent >= from && sent <= to).map(([psid]) => psid);
    const welcomes = [from, ...[...welcomed.values()].filter((at) => at > from && at <= to).sort((x, y) => x - y), to];
    let stallMs = 0;
    let stallEnd = from;
    for (let i = 1; i < welcomes.length; i++) {
      if (welcomes[i]! - welcomes[i - 1]! > stallMs) [stallMs, stallEnd] = [welcomes[i]! - welcomes[i - 1]!, welcomes[i]!];
    }
    const waits = pages.filter((psid) => welcomed.has(psid)).map((psid) => welcomed.get(psid)! - firstSent.get(psid)!);
    return {
      failed: this.attempts.filter((a) => !a.ok && a.sentAt >= from && a.sentAt <= to).length,
      stallMs,
      stallEnd,
      longestWaitMs: Math.max(0, ...waits),
      unwelcomed: pages.length - waits.length,
    };
  }

  private async page(loop: number): Promise<void> {
    for (let n = 0; this.running; n++) {
      const psid = randomUUID();
      const vid = randomUUID();
      const url = `http://localhost:3000/bai-viet-${(loop + n) % ARTICLES}.html`;
      let client: PageClient | undefined;
      // Until welcomed: a page that says hello keeps trying, even once the churn stops.
      while (client === undefined) {
        const attempt = await this.hello(psid, vid, url);
        if (attempt.client !== undefined) client = attempt.client;
        else if (!this.running) {
          this.unwelcomed++;
          break;
        } else await sleep(100 + Math.random() * 200);
      }
      if (client === undefined) return;
      const [min, max] = this.options.holdMs;
      await sleep(min + Math.random() * (max - min));
      await client.close();
      this.truth.left(psid);
    }
  }

  /** Says hello on a new socket and waits for the welcome or the socket's end; the socket is kept only when welcomed. */
  private async hello(psid: string, vid: string, url: string): Promise<{ client?: PageClient }> {
    const wsUrl = this.wsUrls[this.next++ % this.wsUrls.length]!;
    const sentAt = Date.now();
    let welcome: WelcomeMessage | undefined;
    let client: PageClient | undefined;
    try {
      client = await PageClient.open(wsUrl);
      this.truth.hello(psid, vid);
      client.send({ t: 'hello', site: 'demo', vid, psid, url });
      welcome = await Promise.race([
        client.next(isWelcome, this.options.welcomeWaitMs ?? 10_000),
        client.closed.then(() => undefined),
      ]);
    } catch {
      welcome = undefined;
    }
    if (welcome !== undefined) this.truth.welcome(welcome);
    this.attempts.push({ psid, sentAt, doneAt: Date.now(), ok: welcome !== undefined });
    if (welcome === undefined) client?.socket.terminate();
    return welcome === undefined ? {} : { client };
  }
}

/**
 * After the churn stopped: waits out the presence TTL (4/3 of it, when a reap is due at the latest),
 * then checks the ground truth until it holds or 10 s passed; returns the last verdict.
 */
export async function settledVerdict(truth: GroundTruth, read: () => Promise<Reading[]>, before: Counts, presenceTtlMs: number, allowedLoss = 0): Promise<Verdict> {
  await sleep((presenceTtlMs * 4) / 3);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const verdict = truth.check(await read(), { before, settled: true, allowedLoss });
    if (verdict.violations.length === 0 || Date.now() > deadline) return verdict;
    await sleep(250);
  }
}
