// The Redis store: shared presence and totals for any number of Headcount instances.
// Presence is refreshed per instance (one heartbeat per site every presenceTtlMs/3), not per
// page session, so steady-state Redis load does not grow with the number of open pages. An
// instance that stops heartbeating is reaped by the others; one that finds it was reaped (e.g.
// after a long pause) re-joins its sessions as resumes.
import { Redis } from 'ioredis';
import { v4 as uuidv4 } from 'uuid';
import type { JoinInput, JoinResult, Kind, Periods, StartingTotals, Store, StoreCounts, StoreOptions } from '../store.js';
import { Keys } from './keys.js';
import { Scripts } from './scripts.js';

export interface RedisStoreOptions extends StoreOptions {
  /** redis:// or rediss:// URL. */
  readonly url: string;
  readonly keyPrefix: string;
  /** Configured site ids: this instance keeps its presence in them and reaps dead instances there. */
  readonly sites: readonly string[];
  /** An instance silent this long is presumed dead and its page sessions are ended. */
  readonly presenceTtlMs: number;
  /** Gets connection and background errors, which never throw into callers; without it they become process warnings. */
  readonly logger?: StoreLogger | undefined;
}

/** The part of a pino logger the store uses. */
export interface StoreLogger {
  warn(obj: object, msg: string): void;
}

const KIND_CODE: Record<Kind, string> = { guest: 'g', member: 'm', bot: 'b' };
const PUBLISH_COALESCE_MS = 50;
const PING_TIMEOUT_MS = 1_000;

interface Held {
  readonly tag: string;
  /** Only names the day/month keys of a resume; resumes count no pageview. */
  readonly periods: Periods;
}

interface ChangeMessage {
  readonly site: string;
  readonly from: string;
}

function count(value: string | null | undefined): number {
  return value == null ? 0 : Number(value);
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new TypeError(message);
}

export class RedisStore implements Store {
  /** Identifies this process's presence entries and its `sess:<id>` hashes. */
  readonly instanceId = uuidv4();
  private readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly keys: Keys;
  private readonly scripts: Scripts;
  private readonly logger: StoreLogger;
  /** The page sessions this instance holds, per site: what it re-joins if it was reaped. */
  private readonly held = new Map<string, Map<string, Held>>();
  private readonly listeners: ((site: string) => void)[] = [];
  private readonly publishTimers = new Map<string, NodeJS.Timeout>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private beating: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: RedisStoreOptions) {
    this.keys = new Keys(options.keyPrefix);
    this.logger = options.logger ?? { warn: ({ err }: { err?: unknown }, msg) => process.emitWarning(`${msg}: ${String(err)}`) };
    // Auto-pipelining batches the commands of one event-loop turn (heartbeats of all sites,
    // concurrent joins) into one write.
    this.client = new Redis(options.url, { lazyConnect: true, enableAutoPipelining: true, connectionName: `headcount:${this.instanceId}` });
    // A subscribed connection can run nothing but (un)subscribe commands, hence a second one.
    this.subscriber = this.client.duplicate({ enableAutoPipelining: false, connectionName: `headcount:sub:${this.instanceId}` });
    for (const connection of [this.client, this.subscriber]) connection.on('error', this.warn('redis connection error'));
    this.subscriber.on('message', (_channel: string, message: string) => this.received(message));
    this.scripts = new Scripts(this.client);
  }

  /** Connects, registers presence in the configured sites and starts the heartbeat. */
  async start(): Promise<void> {
    await Promise.all([this.client.connect(), this.subscriber.connect()]);
    await this.subscriber.subscribe(this.keys.changes);
    await this.heartbeat();
    this.scheduleHeartbeat();
  }

  async join(input: JoinInput): Promise<JoinResult> {
    check(typeof input.psid === 'string' && input.psid !== '', 'psid: expected a non-empty string');
    check(typeof input.identity === 'string' && input.identity !== '', 'identity: expected a non-empty string');
    check(Object.hasOwn(KIND_CODE, input.kind), 'kind: expected guest, member or bot');
    check(Number.isFinite(input.now), 'now: expected a time in ms');
    const keys = this.keys.site(input.site);
    const tag = `${KIND_CODE[input.kind]}:${input.identity}`;
    const reply = await this.scripts.join({
      keys, instanceId: this.instanceId, psid: input.psid, tag, now: input.now,
      expiry: input.now + this.options.presenceTtlMs, visitWindowMs: this.options.visitWindowMs,
      periods: input.periods, resume: false,
    });
    // Recorded only after Redis counted it, so a resync never races the original join.
    const sessions = this.sessions(input.site);
    if (reply.missing && sessions.size > 0) this.resync(input.site, input.now).catch(this.warn('resync after being reaped failed'));
    sessions.set(input.psid, { tag, periods: input.periods });
    this.changed(input.site);
    return { pageview: reply.pageview, visit: reply.visit };
  }

  async leave(site: string, psid: string, now: number): Promise<void> {
    check(Number.isFinite(now), 'now: expected a time in ms');
    const keys = this.keys.site(site);
    // Forgotten before the command is sent, so a resync started meanwhile cannot revive it.
    this.held.get(site)?.delete(psid);
    if (await this.scripts.leave(keys, this.instanceId, psid, now)) this.changed(site);
  }

  async read(site: string, periods: Periods): Promise<StoreCounts> {
    const v = await this.scripts.read(this.keys.site(site), periods);
    const peakAt = v[10];
    return {
      online: { guest: count(v[0]), member: count(v[1]), bot: count(v[2]) },
      visits: { total: count(v[3]), today: count(v[5]), month: count(v[7]) },
      pageviews: { total: count(v[4]), today: count(v[6]), month: count(v[8]) },
      peak: { online: count(v[9]), at: peakAt == null ? null : Number(peakAt) },
    };
  }

  async setTotals(site: string, totals: StartingTotals): Promise<void> {
    const fields: Record<string, number> = {};
    for (const name of ['visits', 'pageviews'] as const) {
      const value = totals[name];
      if (value === undefined) continue;
      check(Number.isSafeInteger(value) && value >= 0, `${name}: expected a whole number >= 0`);
      fields[name] = value;
    }
    const keys = this.keys.site(site);
    if (Object.keys(fields).length === 0) return;
    await this.client.hset(keys.tot, fields);
    this.changed(site);
  }

  async ping(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer PING within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.client.ping(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  onChange(listener: (site: string) => void): void {
    this.listeners.push(listener);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    clearTimeout(this.heartbeatTimer);
    await this.beating; // a heartbeat's resync must not re-join sessions after the reap below
    for (const timer of this.publishTimers.values()) clearTimeout(timer);
    this.publishTimers.clear();
    // While Redis is unreachable, skip the reap: other instances do it once our presence expires.
    if (this.client.status === 'ready') {
      const now = this.options.clock();
      const sites = this.activeSites();
      this.held.clear();
      try {
        const ended = await Promise.all(sites.map((site) => this.scripts.reap(this.keys.site(site), this.instanceId, now)));
        await Promise.all(sites.filter((_, i) => ended[i]! > 0).map((site) => this.publish(site)));
      } catch (error) {
        this.warn('ending own sessions on close failed')(error);
      }
    }
    await Promise.all([this.client, this.subscriber].map((connection) =>
      connection.status === 'ready' ? connection.quit().catch(() => connection.disconnect()) : connection.disconnect(),
    ));
  }

  private sessions(site: string): Map<string, Held> {
    let sessions = this.held.get(site);
    if (sessions === undefined) this.held.set(site, (sessions = new Map()));
    return sessions;
  }

  /** Configured sites plus any other site this instance holds sessions in. */
  private activeSites(): string[] {
    return [...new Set([...this.options.sites, ...this.held.keys()])];
  }

  private scheduleHeartbeat(): void {
    this.heartbeatTimer = setTimeout(() => {
      this.beating = this.heartbeat()
        .catch(this.warn('heartbeat failed'))
        .finally(() => {
          if (this.closing === undefined) this.scheduleHeartbeat();
        });
    }, this.options.presenceTtlMs / 3);
    this.heartbeatTimer.unref();
  }

  private async heartbeat(): Promise<void> {
    const now = this.options.clock();
    const expiry = now + this.options.presenceTtlMs;
    await Promise.all(this.activeSites().map(async (site) => {
      const keys = this.keys.site(site);
      const { missing, dead } = await this.scripts.heartbeat(keys, this.instanceId, expiry, now);
      if (missing && (this.held.get(site)?.size ?? 0) > 0) await this.resync(site, now);
      for (const id of dead) await this.scripts.reap(keys, id, now);
      if (dead.length > 0) this.changed(site);
    }));
  }

  /** Re-joins every session held in a site after this instance was reaped; they resume, uncounted. */
  private async resync(site: string, now: number): Promise<void> {
    const keys = this.keys.site(site);
    const expiry = now + this.options.presenceTtlMs;
    // All commands are issued in this turn, before any later leave, so Redis sees them in order.
    await Promise.all([...this.sessions(site)].map(([psid, { tag, periods }]) =>
      this.scripts.join({ keys, instanceId: this.instanceId, psid, tag, now, expiry, visitWindowMs: this.options.visitWindowMs, periods, resume: true }),
    ));
    this.changed(site);
  }

  /** Tells local listeners now and other instances (coalesced per site) soon. */
  private changed(site: string): void {
    this.notify(site);
    if (this.publishTimers.has(site) || this.closing !== undefined) return;
    const timer = setTimeout(() => {
      this.publishTimers.delete(site);
      this.publish(site).catch(this.warn('publishing a change failed'));
    }, PUBLISH_COALESCE_MS);
    timer.unref();
    this.publishTimers.set(site, timer);
  }

  private async publish(site: string): Promise<void> {
    await this.client.publish(this.keys.changes, JSON.stringify({ site, from: this.instanceId } satisfies ChangeMessage));
  }

  private received(message: string): void {
    let change: unknown;
    try {
      change = JSON.parse(message);
    } catch {
      return; // not ours: another program on the same channel
    }
    const { site, from } = (change ?? {}) as Partial<ChangeMessage>;
    if (typeof site === 'string' && from !== this.instanceId) this.notify(site);
  }

  private warn(msg: string): (err: unknown) => void {
    return (err) => this.logger.warn({ err }, msg);
  }

  private notify(site: string): void {
    queueMicrotask(() => {
      for (const listener of this.listeners) {
        try {
          listener(site);
        } catch (error) {
          this.warn('change listener failed')(error);
        }
      }
    });
  }
}

/** Connects and resolves once the store is ready to serve; rejects (and disconnects) otherwise. */
export async function createRedisStore(options: RedisStoreOptions): Promise<RedisStore> {
  const store = new RedisStore(options);
  try {
    await store.start();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
