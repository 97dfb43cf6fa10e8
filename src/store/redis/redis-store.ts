// The Redis store: shared presence and totals for any number of Headcount instances.
// Presence is refreshed per instance (one heartbeat per site every presenceTtlMs/3), not per
// page session, so steady-state Redis load does not grow with the number of open pages. An
// instance that stops heartbeating is reaped by the others; one that finds it was reaped (e.g.
// after a long pause) re-joins its sessions as resumes.
//
// While Redis is unreachable (restart, failover, outage) joins and leaves wait in ioredis's queue
// and run, in order, once it is back; at most maxPendingJoins joins wait, later ones fail at once
// so the page retries. Reads, setTotals and ping fail fast instead of waiting.
import { randomBytes } from 'node:crypto';
import { v4 as uuidv4 } from 'uuid';
import { ChangeListeners } from '../change-listeners.js';
import type { JoinInput, JoinResult, Kind, Periods, StartingTotals, Store, StoreCounts, StoreLogger, StoreOptions } from '../store.js';
import { connectRedis, type RedisClient, type RedisTarget } from './connect.js';
import { Keys } from './keys.js';
import { Scripts } from './scripts.js';

export interface RedisStoreOptions extends StoreOptions {
  /** One server by URL, a Redis Cluster, or a Sentinel-managed master. */
  readonly redis: RedisTarget;
  readonly keyPrefix: string;
  /** Configured site ids: this instance keeps its presence in them and reaps dead instances there. */
  readonly sites: readonly string[];
  /** An instance silent this long is presumed dead and its page sessions are ended. */
  readonly presenceTtlMs: number;
  /** Joins that may wait for Redis at once (DEFAULT_MAX_PENDING_JOINS when unset); more are refused. */
  readonly maxPendingJoins?: number | undefined;
  /** Gets connection and background errors, which never throw into callers; without it they become process warnings. */
  readonly logger?: StoreLogger | undefined;
}


const KIND_CODE: Record<Kind, string> = { guest: 'g', member: 'm', bot: 'b' };
const PUBLISH_COALESCE_MS = 50;
/** How long ping and read wait for an answer from a connection that looks up. */
const ANSWER_TIMEOUT_MS = 1_000;
/** How long close() may spend ending its sessions in Redis before it just disconnects. */
const CLOSE_TIMEOUT_MS = 2_000;
const SALT_LIFETIME_MS = 48 * 3_600_000;
export const DEFAULT_MAX_PENDING_JOINS = 10_000;

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

async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer ${what} within ${ANSWER_TIMEOUT_MS} ms`)), ANSWER_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export class RedisStore implements Store {
  /** Identifies this process's presence entries and its `sess:<id>` hashes. */
  readonly instanceId = uuidv4();
  private readonly client: RedisClient;
  private readonly subscriber: RedisClient;
  private readonly keys: Keys;
  private readonly scripts: Scripts;
  private readonly logger: StoreLogger;
  /** The page sessions this instance holds, per site: what it re-joins if it was reaped. */
  private readonly held = new Map<string, Map<string, Held>>();
  private readonly listeners: ChangeListeners;
  private readonly publishTimers = new Map<string, NodeJS.Timeout>();
  /** When each site's last change notice went out; one entry per site changed here. */
  private readonly publishedAt = new Map<string, number>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private pendingJoins = 0;
  /** When the command connection last became ready (store clock). */
  private readySince = Number.POSITIVE_INFINITY;
  private beating: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  /** Rejected by close(): joins and leaves still waiting for Redis then fail instead of hanging. */
  private readonly closed: Promise<never>;
  private fail!: (error: Error) => void;

  constructor(private readonly options: RedisStoreOptions) {
    this.keys = new Keys(options.keyPrefix);
    this.closed = new Promise<never>((_, reject) => (this.fail = reject));
    this.closed.catch(() => {});
    this.logger = options.logger ?? { warn: ({ err }: { err?: unknown }, msg) => process.emitWarning(`${msg}: ${String(err)}`) };
    this.listeners = new ChangeListeners(this.logger);
    // Auto-pipelining batches the commands of one event-loop turn (heartbeats of all sites,
    // concurrent joins) into one write.
    this.client = connectRedis(options.redis, { name: `headcount:${this.instanceId}`, autoPipelining: true });
    // A subscribed connection can run nothing but (un)subscribe commands, hence a second one.
    this.subscriber = connectRedis(options.redis, { name: `headcount:sub:${this.instanceId}`, autoPipelining: false });
    for (const connection of [this.client, this.subscriber]) connection.on('error', this.warn('redis connection error'));
    this.client.on('ready', () => (this.readySince = options.clock()));
    this.subscriber.on('message', (_channel: string, message: string) => this.received(message));
    this.scripts = new Scripts(this.client);
  }

  /** Connects, registers presence in the configured sites and starts the heartbeat. */
  async start(): Promise<void> {
    await Promise.all([this.client.connect(), this.subscriber.connect()]);
    await this.subscriber.subscribe(this.keys.changes);
    // Change notices published while the subscriber was away are lost: assume every site changed.
    this.subscriber.on('ready', () => this.activeSites().forEach((site) => this.notify(site)));
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
    const limit = this.options.maxPendingJoins ?? DEFAULT_MAX_PENDING_JOINS;
    if (this.pendingJoins >= limit) throw new Error(`${limit} page sessions are already waiting for Redis`);
    this.pendingJoins++;
    const reply = await Promise.race([this.closed, this.scripts.join({
      keys, instanceId: this.instanceId, psid: input.psid, tag, now: input.now,
      expiry: input.now + this.options.presenceTtlMs, visitWindowMs: this.options.visitWindowMs,
      periods: input.periods, resume: false,
    })]).finally(() => this.pendingJoins--);
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
    if (await Promise.race([this.closed, this.scripts.leave(keys, this.instanceId, psid, now)])) this.changed(site);
  }

  async read(site: string, periods: Periods): Promise<StoreCounts> {
    const keys = this.keys.site(site);
    this.connected();
    const v = await within(this.scripts.read(keys, periods), 'a read');
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
    this.connected();
    await this.client.hset(keys.tot, fields);
    this.changed(site);
  }

  async dailySalt(site: string, day: string): Promise<string> {
    const key = this.keys.site(site).salt(day);
    const fresh = randomBytes(24).toString('base64url');
    this.connected();
    // One atomic command: the first instance's salt wins, the others get it back. Redis's clock
    // expires it, so no instance has to remember to delete it.
    const earlier = await this.client.set(key, fresh, 'PX', SALT_LIFETIME_MS, 'NX', 'GET');
    return earlier ?? fresh;
  }

  async ping(): Promise<void> {
    this.connected();
    await within(this.client.ping(), 'PING');
  }

  onChange(listener: (site: string) => void): void {
    this.listeners.add(listener);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    clearTimeout(this.heartbeatTimer);
    // Change notices still waiting to be published go out now, with those of the reap below.
    const unpublished = [...this.publishTimers.keys()];
    for (const timer of this.publishTimers.values()) clearTimeout(timer);
    this.publishTimers.clear();
    // While Redis is unreachable, skip the reap: other instances do it once our presence expires.
    // Commands wait for Redis to come back, so the farewell is bounded; disconnect() then fails
    // whatever still waits (a heartbeat included).
    if (this.client.status === 'ready') {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.farewell(unpublished).catch(this.warn('ending own sessions on close failed')),
        new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
    }
    // disconnect() after QUIT too: only it stops ioredis's Sentinel failover watchers.
    for (const connection of [this.client, this.subscriber]) connection.disconnect();
    this.fail(new Error('the store was closed before Redis answered'));
  }

  /** Ends this instance's page sessions, tells the other instances, and says goodbye to Redis. */
  private async farewell(unpublished: string[]): Promise<void> {
    await this.beating; // a heartbeat's resync must not re-join sessions after the reap below
    const now = this.options.clock();
    const sites = this.activeSites();
    this.held.clear();
    const ended = await Promise.all(sites.map((site) => this.scripts.reap(this.keys.site(site), this.instanceId, now)));
    const changed = new Set([...unpublished, ...sites.filter((_, i) => ended[i]! > 0)]);
    await Promise.all([...changed].map((site) => this.publish(site)));
    await Promise.all([this.client.quit(), this.subscriber.quit()]);
  }

  /** Fails fast instead of queueing behind a reconnect: reads have callers waiting. */
  private connected(): void {
    if (this.client.status !== 'ready') throw new Error(`Redis is unreachable (connection ${this.client.status})`);
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
      // After Redis was away, every instance's presence may look expired: reap only once all of them
      // had a presence TTL to heartbeat again.
      if (now - this.readySince < this.options.presenceTtlMs) return;
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
    // The first change after a quiet spell goes out at once; the rest of the burst waits for the window's end.
    const wait = Math.max(0, (this.publishedAt.get(site) ?? 0) + PUBLISH_COALESCE_MS - Date.now());
    const timer = setTimeout(() => {
      this.publishTimers.delete(site);
      this.publishedAt.set(site, Date.now());
      this.publish(site).catch(this.warn('publishing a change failed'));
    }, wait);
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
    this.listeners.notify(site);
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
