// Ground truth for fault tests, kept by the test's own clients (Jepsen's rule for counters:
// acknowledged adds <= every read <= attempted adds). Clients record every hello sent, every welcome
// (new or resumed) and every clean leave; `check` compares that with what each instance reports.
import { randomUUID } from 'node:crypto';
import type { Counts, HelloMessage, LiveView, WelcomeMessage } from '../../src/protocol.js';
import type { PageClient } from './page-client.js';

/** What one instance reports for a site: its stats and its live view. */
export interface Reading {
  instance: string;
  counts: Counts;
  live?: LiveView;
}

export interface CheckOptions {
  /** Figures before the run (from any instance): the stored figures are compared as deltas from them. */
  before: Counts;
  /**
   * Every client has left and the presence TTL has passed: online must be 0 for every kind and no page
   * of the live view may have a reader.
   */
  settled: boolean;
  /**
   * Acknowledged pageviews the fault may lose (Redis's asynchronous replication window, `everysec`):
   * the loss is measured and returned; more than this is a violation. Default 0.
   */
  allowedLoss?: number;
}

export interface Verdict {
  /** Page sessions that said hello at least once. */
  attempted: number;
  /** Page sessions that got a welcome (new or resumed) at least once. */
  acknowledged: number;
  /** Stored pageviews since `before` (from the first reading). */
  stored: number;
  /** Acknowledged pageviews missing from the store: max(0, acknowledged - stored). */
  lost: number;
  /** Every rule that broke, in words; empty when the count held. */
  violations: string[];
}

interface PageSession {
  vid: string;
  hellos: number;
  welcomedNew: number;
  welcomedResumed: number;
  left: boolean;
}

export class GroundTruth {
  private readonly sessions = new Map<string, PageSession>();

  /** A hello was sent for this page session (again, for a resume). */
  hello(psid: string, vid: string): void {
    const session = this.sessions.get(psid);
    if (session) session.hellos++;
    else this.sessions.set(psid, { vid, hellos: 1, welcomedNew: 0, welcomedResumed: 0, left: false });
  }

  /** A welcome arrived; a welcome for a page session that never said hello is itself a violation. */
  welcome(welcome: WelcomeMessage): void {
    const session = this.sessions.get(welcome.psid);
    if (!session) throw new Error(`welcome for ${welcome.psid}, which never said hello`);
    if (welcome.resumed) session.welcomedResumed++;
    else session.welcomedNew++;
  }

  /** The page closed its socket cleanly (code 1000 or 1001) and will not come back. */
  left(psid: string): void {
    const session = this.sessions.get(psid);
    if (session) session.left = true;
  }

  get attempted(): number {
    return this.sessions.size;
  }

  get acknowledged(): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.welcomedNew + s.welcomedResumed > 0) n++;
    return n;
  }

  /** Page sessions not known to have left: what online may at most hold. */
  get open(): number {
    let n = 0;
    for (const s of this.sessions.values()) if (!s.left) n++;
    return n;
  }

  check(readings: readonly Reading[], options: CheckOptions): Verdict {
    if (readings.length === 0) throw new Error('check needs at least one reading');
    const violations: string[] = [];
    const [first] = readings as [Reading, ...Reading[]];
    const stored = first.counts.pageviews.total - options.before.pageviews.total;
    const visits = first.counts.visits.total - options.before.visits.total;
    const attempted = this.attempted;
    const acknowledged = this.acknowledged;
    const lost = Math.max(0, acknowledged - stored);
    const allowedLoss = options.allowedLoss ?? 0;

    if (lost > allowedLoss) violations.push(`acknowledged pageviews ${acknowledged} > stored ${stored}: ${lost} lost, ${allowedLoss} allowed`);
    if (stored > attempted) violations.push(`stored pageviews ${stored} > page sessions that said hello ${attempted}: counted twice`);
    const twice = [...this.sessions].filter(([, s]) => s.welcomedNew > 1).map(([psid]) => psid);
    if (twice.length > 0) violations.push(`${twice.length} page sessions welcomed as new more than once, e.g. ${twice.slice(0, 3).join(', ')}`);
    if (visits > stored) violations.push(`visits ${visits} > pageviews ${stored}`);
    const visitors = new Set([...this.sessions.values()].map((s) => s.vid)).size;
    if (visits > visitors) violations.push(`visits ${visits} > visitors that said hello ${visitors}`);

    for (const reading of readings) {
      const { online } = reading.counts;
      const where = `instance ${reading.instance}`;
      if (online.total !== online.guests + online.members) violations.push(`${where}: online total ${online.total} != guests ${online.guests} + members ${online.members}`);
      if (options.settled) {
        if (online.guests !== 0 || online.members !== 0 || online.bots !== 0) violations.push(`${where}: online ${JSON.stringify(online)} after every page left and the TTL passed`);
        const ghosts = (reading.live?.pages ?? []).filter((page) => page.readers !== 0);
        if (ghosts.length > 0) violations.push(`${where}: ${ghosts.length} pages still have readers, e.g. ${ghosts[0]!.url} with ${ghosts[0]!.readers}`);
      } else if (online.total + online.bots > this.open) {
        violations.push(`${where}: online ${online.total + online.bots} > ${this.open} page sessions still open`);
      }
      if (reading !== first) {
        const same = (a: Counts, b: Counts) => a.pageviews.total === b.pageviews.total && a.visits.total === b.visits.total && JSON.stringify(a.online) === JSON.stringify(b.online);
        if (!same(reading.counts, first.counts)) {
          violations.push(`instances disagree: ${first.instance} ${summary(first.counts)}, ${reading.instance} ${summary(reading.counts)}`);
        }
      }
    }
    return { attempted, acknowledged, stored, lost, violations };
  }
}

function summary(counts: Counts): string {
  return `pageviews ${counts.pageviews.total}, visits ${counts.visits.total}, online ${JSON.stringify(counts.online)}`;
}

/** Reads one instance's stats and live view (the live view needs a public live site, such as demo, or `token`). */
export async function readInstance(instance: string, baseUrl: string, site = 'demo', token?: string): Promise<Reading> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${baseUrl}/api/sites/${site}/${path}`, { headers });
    if (!response.ok) throw new Error(`${instance} ${path}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const [counts, live] = await Promise.all([get<Counts>('stats'), get<LiveView>('live')]);
  return { instance, counts, live };
}

/** As readInstance, but undefined while the instance cannot answer (a 503 while a fault lasts): for polling. */
export async function tryReadInstance(instance: string, baseUrl: string, site = 'demo', token?: string): Promise<Reading | undefined> {
  return readInstance(instance, baseUrl, site, token).catch(() => undefined);
}

/**
 * Says hello through `client` with both ends recorded: pass the psid (and vid) of an earlier hello to
 * resume it. Resolves undefined when no welcome came in time, as under a fault.
 */
export async function recordedHello(truth: GroundTruth, client: PageClient, fields: Partial<HelloMessage> = {}): Promise<WelcomeMessage | undefined> {
  const psid = fields.psid ?? randomUUID();
  const vid = fields.vid ?? randomUUID();
  truth.hello(psid, vid);
  try {
    const welcome = await client.hello({ ...fields, psid, vid });
    truth.welcome(welcome);
    return welcome;
  } catch {
    return undefined;
  }
}
