// The Redis store: shared presence, live pages and totals for any number of Headcount instances.
// Presence is refreshed per instance (one heartbeat per site every presenceTtlMs/3), not per
// page session, so steady-state Redis load does not grow with the number of open pages. An
// instance that stops heartbeating is reaped by the others; one that finds it was reaped (e.g.
// after a long pause) re-joins its sessions as resumes.
//
// A psid has one holder in Redis: a page that reconnects to another instance moves there, and its old
// holder hears of it (replaced channel) and closes the old socket; only the holder's leave or reap
// ends it. Presence expiry is kept in Redis's clock, so instances' clocks may disagree. A page
// session's page (url, source, engaged) lives in its holder record, so a move or reap takes its reader along.
//
// While Redis is unreachable (restart, failover, outage) joins, leaves and daily-salt lookups wait in
// ioredis's queue and run, in order, once it is back; at most maxPendingJoins joins and salt lookups
// wait, later ones fail at once so the page retries. Reads, setTotals and ping fail fast instead.
import { randomBytes } from 'node:crypto';
import { v4 as uuidv4 } from 'uuid';
import { ChangeListeners } from '../change-listeners.js';
import type { DayPage, EngagementReport, HistoryPeriod, HistoryPoint, ImportedCounts, JoinInput, JoinResult, LiveFigures, OpenSessions, Periods } from '../store.js';
import type { Durability, StartingTotals, Store, StoreCounts, StoreLogger, StoreOptions } from '../store.js';
import { historyTarget, importHistory, readHistory, rollUp } from './history.js';
import { answerWithin, checkReady, connectRedis, type RedisClient, type RedisTarget } from './connect.js';
import { Keys, type SiteKeys } from './keys.js';
import { check, checkedJoin, checkReport } from './join-input.js';
import { Claims } from './claims.js';
import { LivePagesReader, pageLimits } from './live-pages.js';
import { ChangePublisher, changeFrom, movedFrom, NoticeSubscriber } from './notices.js';
import { PersistenceWatch } from './persistence.js';
import { type HistoryTarget, type JoinCall, Scripts } from './scripts.js';
import { countsFrom, totalFields } from './totals.js';

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

/** How long close() may spend ending its sessions in Redis before it just disconnects. */
const CLOSE_TIMEOUT_MS = 2_000;
const SALT_LIFETIME_MS = 48 * 3_600_000;
/** Version 5 entries moved per script call at start: a few milliseconds of Redis each. */
const MIGRATE_BATCH = 1_000;
export const DEFAULT_MAX_PENDING_JOINS = 10_000;

export class RedisStore implements Store {
  /** Identifies this process's presence entries and its `sess:<id>` hashes. */
  readonly instanceId = uuidv4();
  private readonly client: RedisClient;
  /** Reads and pings: on the command connection they would queue behind a burst of joins or leaves
   * (thousands of closes at once) and miss their answer deadline while Redis is healthy. */
  private readonly reader: RedisClient;
  private readonly subscriber: RedisClient;
  private readonly keys: Keys;
  private readonly scripts: Scripts;
  private readonly readScripts: Scripts;
  private readonly livePages: LivePagesReader;
  private readonly logger: StoreLogger;
  /** This instance's latest claim of each page session it holds, per site: which ones a resync re-joins. */
  private readonly claims = new Claims();
  /** The sessions themselves, as the transport has them now (heldBy): what a resync re-joins. */
  private sessions: OpenSessions = () => [];
  private readonly listeners: ChangeListeners;
  private readonly replacedListeners: ((site: string, psid: string) => void)[] = [];
  private readonly publisher: ChangePublisher;
  private readonly notices: NoticeSubscriber;
  private readonly persistence: PersistenceWatch;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private pendingJoins = 0;
  /** When the command connection last became ready (monotonic: a clock stepped back must not delay reaping). */
  private readySince = Number.POSITIVE_INFINITY;
  private beating: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  /** Rejecters of the joins, leaves and engages waiting for Redis: close() fails them instead of leaving them hanging. */
  private readonly waiting = new Set<(error: Error) => void>();
  private closedError: Error | undefined;

  constructor(private readonly options: RedisStoreOptions) {
    this.keys = new Keys(options.keyPrefix);
    this.logger = options.logger ?? { warn: ({ err }: { err?: unknown }, msg) => process.emitWarning(`${msg}: ${String(err)}`) };
    this.listeners = new ChangeListeners(this.logger);
    // Auto-pipelining batches the commands of one event-loop turn (heartbeats of all sites,
    // concurrent joins) into one write.
    this.client = connectRedis(options.redis, { name: `headcount:${this.instanceId}`, autoPipelining: true });
    this.reader = connectRedis(options.redis, { name: `headcount:read:${this.instanceId}`, autoPipelining: true });
    this.subscriber = connectRedis(options.redis, { name: `headcount:sub:${this.instanceId}`, autoPipelining: false });
    for (const connection of [this.client, this.reader, this.subscriber]) connection.on('error', this.warn('redis connection error'));
    this.client.on('ready', () => (this.readySince = performance.now()));
    this.notices = new NoticeSubscriber(this.subscriber, this.keys, {
      changed: (message) => this.received(message),
      moved: (message) => this.movedAway(message),
      // Change notices published while the subscriber was away are lost: every site may have changed.
      resubscribed: () => this.activeSites().forEach((site) => this.notify(site)),
      onError: this.warn('subscribing to change notices again failed'),
    });
    const limits = pageLimits(options.maxLivePages);
    this.scripts = new Scripts(this.client, limits);
    this.readScripts = new Scripts(this.reader, limits);
    this.livePages = new LivePagesReader(this.reader, this.readScripts);
    this.publisher = new ChangePublisher(this.client, this.keys.changes, this.instanceId, this.warn('publishing a change failed'));
    this.persistence = new PersistenceWatch(this.client, options.sites, (site) => this.keys.site(site).marker, this.logger);
  }

  /** Connects, registers presence in the configured sites and starts the heartbeat. */
  async start(): Promise<void> {
    await Promise.all([this.client.connect(), this.reader.connect(), this.notices.start()]);
    await this.persistence.start();
    await this.migrate();
    await this.heartbeat();
    this.scheduleHeartbeat();
  }

  /** Moves what version 5 kept in other keys (migrate-5.lua), in batches that keep Redis responsive. */
  private async migrate(): Promise<void> {
    await Promise.all(this.options.sites.map(async (site) => {
      const keys = this.keys.site(site);
      while ((await this.scripts.migrate(keys, MIGRATE_BATCH)) > 0);
    }));
  }

  async join(input: JoinInput): Promise<JoinResult> {
    const keys = this.keys.site(input.site);
    const claim = this.claims.nextClaim();
    const call = this.joinCall(keys, input, claim, false, historyTarget(keys, input.periods));
    const reply = await this.whenRedisAnswers(() => {
      this.claims.claim(input.site, input.psid, claim);
      return this.scripts.join(call);
    }).catch((error: unknown) => {
      this.claims.unclaim(input.site, input.psid, claim);
      throw error;
    });
    if (reply.missing && this.claims.count(input.site) > 0) this.resync(input.site, input.now).catch(this.warn('resync after being reaped failed'));
    this.changed(input.site);
    return { pageview: reply.pageview, visit: reply.visit };
  }

  async leave(site: string, psid: string, now: number, report?: EngagementReport): Promise<void> {
    check(Number.isFinite(now), 'now: expected a time in ms');
    if (report !== undefined) checkReport(report);
    const keys = this.keys.site(site);
    if (report !== undefined) keys.dayPages(report.periods.day); // a bad day is refused before the session is forgotten
    // Forgotten before the command is sent, so a resync started meanwhile cannot revive it.
    this.claims.forget(site, psid);
    const engaged = report === undefined ? undefined : { day: report.periods.day, ms: report.engagedMs };
    const ended = this.scripts.leave(keys, this.instanceId, psid, now, this.historyAt(site, keys, now), engaged);
    if (await this.untilClosed(ended)) this.changed(site);
  }

  async engage(site: string, psid: string, now: number, report: EngagementReport): Promise<void> {
    check(Number.isFinite(now), 'now: expected a time in ms');
    checkReport(report);
    const keys = this.keys.site(site);
    keys.dayPages(report.periods.day); // a bad day is refused before anything changes
    const changed = this.scripts.engage(keys, this.instanceId, psid, report.engaged, report.periods.day, report.engagedMs);
    if (await this.untilClosed(changed)) this.changed(site);
  }

  async live(site: string, limit: number): Promise<LiveFigures> {
    return this.livePages.live(this.keys.site(site), limit);
  }

  async readers(site: string, urls: readonly string[]): Promise<number[]> {
    return this.livePages.readers(this.keys.site(site), urls);
  }

  async dayPages(site: string, day: string, limit: number): Promise<DayPage[]> {
    return this.livePages.dayPages(this.keys.site(site), day, limit);
  }

  async read(site: string, periods: Periods): Promise<StoreCounts> {
    const keys = this.keys.site(site);
    checkReady(this.reader);
    return countsFrom(await answerWithin(this.readScripts.read(keys, periods), 'a read'));
  }

  async history(site: string, period: HistoryPeriod, keys: readonly string[]): Promise<HistoryPoint[]> {
    const siteKeys = this.keys.site(site);
    checkReady(this.reader);
    return answerWithin(readHistory(this.readScripts, siteKeys, period, keys), 'a history read');
  }

  async importHistory(site: string, period: 'day' | 'month', rows: readonly ImportedCounts[]): Promise<void> {
    const keys = this.keys.site(site);
    checkReady(this.client);
    await importHistory(this.scripts, keys, period, rows, this.options.historyRetention);
    this.changed(site);
  }

  async setTotals(site: string, totals: StartingTotals): Promise<void> {
    const fields = totalFields(totals);
    const keys = this.keys.site(site);
    if (Object.keys(fields).length === 0) return;
    checkReady(this.client);
    await this.scripts.setTotals(keys, fields);
    this.changed(site);
  }

  async dailySalt(site: string, day: string): Promise<string> {
    const key = this.keys.site(site).salt(day);
    const fresh = randomBytes(24).toString('base64url');
    // One atomic command: the first instance's salt wins, the others get it back (a re-sent one too).
    // Redis's clock expires it, so no instance has to remember to delete it. It waits for Redis like
    // a join: the guest's hello needs it.
    const earlier = await this.whenRedisAnswers(() => this.client.set(key, fresh, 'PX', SALT_LIFETIME_MS, 'NX', 'GET'));
    return earlier ?? fresh;
  }

  async ping(): Promise<void> {
    // Joins and leaves go over the command connection: ready means both are up.
    checkReady(this.client);
    checkReady(this.reader);
    await answerWithin(this.reader.ping(), 'PING');
  }

  onChange(listener: (site: string) => void): void {
    this.listeners.add(listener);
  }

  onReplaced(listener: (site: string, psid: string) => void): void {
    this.replacedListeners.push(listener);
  }

  heldBy(sessions: OpenSessions): void {
    this.sessions = sessions;
  }

  durability(): Durability {
    return this.persistence.durability();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    clearTimeout(this.heartbeatTimer);
    // Change notices still waiting to be published go out now, with those of the reap below.
    const unpublished = this.publisher.stop();
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
    for (const connection of [this.client, this.reader, this.subscriber]) connection.disconnect();
    this.closedError = new Error('the store was closed before Redis answered');
    for (const reject of this.waiting) reject(this.closedError);
    this.waiting.clear();
  }

  /** Ends this instance's page sessions, tells the other instances, and says goodbye to Redis. */
  private async farewell(unpublished: string[]): Promise<void> {
    await this.beating; // a heartbeat's resync must not re-join sessions after the reap below
    const now = this.options.clock();
    const sites = this.activeSites();
    this.claims.clear();
    const ended = await Promise.all(sites.map((site) => {
      const keys = this.keys.site(site);
      return this.scripts.reap(keys, this.instanceId, now, false, this.historyAt(site, keys, now));
    }));
    const changed = new Set([...unpublished, ...sites.filter((_, i) => ended[i]! > 0)]);
    await Promise.all([...changed].map((site) => this.publisher.publish(site)));
    await Promise.all([this.client.quit(), this.reader.quit(), this.subscriber.quit()]);
  }

  /** Runs a command that may wait for Redis, at most maxPendingJoins at once; fails when the store closes. */
  private async whenRedisAnswers<T>(command: () => Promise<T>): Promise<T> {
    if (this.closing !== undefined) throw new Error('the store is closed');
    const limit = this.options.maxPendingJoins ?? DEFAULT_MAX_PENDING_JOINS;
    if (this.pendingJoins >= limit) throw new Error(`${limit} page sessions are already waiting for Redis`);
    this.pendingJoins++;
    try {
      return await this.untilClosed(command());
    } finally {
      this.pendingJoins--;
    }
  }

  /** `work`'s outcome, or a failure once the store is closed. Not a race with one pending promise shared
   * by all calls: each race would leave a reaction on it until close, a leak per pageview. */
  private untilClosed<T>(work: Promise<T>): Promise<T> {
    const closedError = this.closedError;
    if (closedError !== undefined) {
      work.catch(() => {});
      return Promise.reject(closedError);
    }
    return new Promise<T>((resolve, reject) => {
      this.waiting.add(reject);
      work.then(
        (value) => {
          this.waiting.delete(reject);
          resolve(value);
        },
        (error: unknown) => {
          this.waiting.delete(reject);
          reject(error);
        },
      );
    });
  }

  /** Configured sites plus any other site this instance holds sessions in. */
  private activeSites(): string[] {
    return [...new Set([...this.options.sites, ...this.claims.sites()])];
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
    await Promise.all(this.activeSites().map(async (site) => {
      const keys = this.keys.site(site);
      const history = this.historyAt(site, keys, now);
      const { missing, dead, pendingMinutes } = await this.scripts.heartbeat(keys, this.instanceId, this.options.presenceTtlMs, now, now - this.options.visitWindowMs, history);
      if (missing && this.claims.count(site) > 0) await this.resync(site, now);
      // A failed rollup is retried by the next heartbeat: the minutes stay pending, and are read as such.
      await rollUp(this.scripts, keys, pendingMinutes, this.options.historyRetention).catch(this.warn('rolling up history failed'));
      // A notice may be lost without the subscriber noticing (a Cluster failover, a publish that
      // failed): local widgets re-read every heartbeat, and get a push only if a figure differs.
      this.notify(site);
      // After Redis was away, every instance's presence may look expired: reap only once all of them
      // had a presence TTL to heartbeat again.
      if (performance.now() - this.readySince < this.options.presenceTtlMs) return;
      let ended = 0;
      // The reap checks the expiry again: an instance that heartbeated since the listing stays.
      for (const id of dead) ended += await this.scripts.reap(keys, id, now, true, history);
      if (ended > 0) this.changed(site);
    }));
  }

  /** Re-joins every session held in a site after this instance was reaped, as the transport has it now
   * (page, source, engagement); they resume, uncounted. */
  private async resync(site: string, now: number): Promise<void> {
    // The transport records a session a few promise steps after its join's reply: one macrotask later,
    // every join Redis answered before the reap is listed.
    await new Promise((resolve) => setImmediate(resolve));
    const keys = this.keys.site(site);
    const history = this.historyAt(site, keys, now);
    const rejoins: { psid: string; claim: number; reply: ReturnType<Scripts['join']> }[] = [];
    // All commands are issued in this turn, before any later leave, so Redis sees them in order.
    for (const input of this.sessions(site, now)) {
      // Only sessions this instance joined that did not leave or move away since: they keep their latest claim.
      const claim = this.claims.latest(site, input.psid);
      if (claim === undefined) continue;
      const reply = this.scripts.join(this.joinCall(keys, input, claim, true, history));
      rejoins.push({ psid: input.psid, claim, reply });
    }
    if (rejoins.length === 0) return;
    const replies = await Promise.all(rejoins.map(({ reply }) => reply));
    // Pages that reconnected to another instance meanwhile belong to it now.
    replies.forEach((reply, i) => {
      const { psid, claim } = rejoins[i]!;
      if (reply.elsewhere && this.claims.isLatest(site, psid, claim)) this.release(site, psid);
    });
    this.changed(site);
  }

  /** The join script's call for `input` (checked first: bad input never reaches Redis), as the first join or a resync's. */
  private joinCall(keys: SiteKeys, input: JoinInput, claim: number, resume: boolean, history: HistoryTarget): JoinCall {
    const { tag, page } = checkedJoin(input);
    return {
      keys, replacedChannel: this.keys.replaced, site: input.site, instanceId: this.instanceId, psid: input.psid, tag,
      visitor: input.visitor, claim, now: input.now, presenceTtlMs: this.options.presenceTtlMs,
      visitWindowMs: this.options.visitWindowMs, periods: input.periods, resume, page, history,
    };
  }

  /** Tells local listeners now and other instances (coalesced per site) soon. */
  private changed(site: string): void {
    this.notify(site);
    this.publisher.changed(site);
  }

  private received(message: string): void {
    const site = changeFrom(message, this.instanceId);
    if (site !== undefined) this.notify(site);
  }

  /** A move notice: when it names this instance's latest join of the psid, the page is held elsewhere now. */
  private movedAway(message: string): void {
    const notice = movedFrom(message, this.instanceId);
    if (notice !== undefined && this.claims.isLatest(notice.site, notice.psid, notice.claim)) this.release(notice.site, notice.psid);
  }

  /** Lets go of a page session another instance holds now: out of the index, and the transport closes its socket. */
  private release(site: string, psid: string): void {
    this.claims.forget(site, psid);
    this.scripts.forget(this.keys.site(site), this.instanceId, psid).catch(this.warn('forgetting a moved page session failed'));
    for (const listener of this.replacedListeners) {
      try {
        listener(site, psid);
      } catch (err) {
        this.logger.warn({ err, site }, 'store replaced listener failed');
      }
    }
  }

  /** The history buckets of `now`, where scripts record the figures online; none without options.periodsAt. */
  private historyAt(site: string, keys: SiteKeys, now: number): HistoryTarget {
    return historyTarget(keys, this.options.periodsAt?.(site, now));
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
