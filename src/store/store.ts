// The narrow interface every store implements (Redis, embedded). Callers pass the time and the
// site's calendar periods in, so stores hold no clock or time-zone logic and tests can move time.
import type { Kind } from '../protocol.js';

export type { Kind };

/** Calendar buckets in the site's own time zone, e.g. { day: '2026-11-26', month: '2026-11' }. */
export interface Periods {
  readonly day: string;
  readonly month: string;
}

export interface JoinInput {
  readonly site: string;
  /** Page-session id: a join with a known id resumes that page session. */
  readonly psid: string;
  /** Who is online: the visitor id for guests and bots, the member id for members. */
  readonly identity: string;
  /** The page's visitor id (`vid`; a cookieless guest's computed identity): while a member page session
   * carrying it is open, that visitor's guest page sessions count only as that member. */
  readonly visitor: string;
  readonly kind: Kind;
  readonly now: number;
  readonly periods: Periods;
}

export interface JoinResult {
  /** A new page session was counted (false when resumed). */
  readonly pageview: boolean;
  /** The pageview also began a new visit. */
  readonly visit: boolean;
}

export interface Totals {
  readonly total: number;
  readonly today: number;
  readonly month: number;
}

export interface StoreCounts {
  readonly online: { readonly guest: number; readonly member: number; readonly bot: number };
  readonly visits: Totals;
  readonly pageviews: Totals;
  /** Most guests + members online at once; `at` in epoch ms, null before the first join. */
  readonly peak: { readonly online: number; readonly at: number | null };
  /** True when the store answers from memory but cannot save changes (the embedded store's disk fails). */
  readonly stale?: boolean;
}

export interface StartingTotals {
  readonly visits?: number;
  readonly pageviews?: number;
}

/** The part of a pino logger the stores use. */
export interface StoreLogger {
  warn(obj: object, msg: string): void;
}

export interface StoreOptions {
  /** Idle time after which a visitor's next pageview is a new visit; also how long a closed page session can resume. */
  readonly visitWindowMs: number;
  /** Time source for the store's own timers (presence refresh); join/leave take `now` explicitly. */
  readonly clock: () => number;
}

export interface Store {
  /** Counts one open page session. Idempotent per (instance, psid): a repeat counts nothing. */
  join(input: JoinInput): Promise<JoinResult>;
  /** Ends a page session held by this instance; unknown ids are ignored. */
  leave(site: string, psid: string, now: number): Promise<void>;
  read(site: string, periods: Periods): Promise<StoreCounts>;
  /** Sets lifetime totals, e.g. when a site moves from its old counter. */
  setTotals(site: string, totals: StartingTotals): Promise<void>;
  /** Cookieless mode: the random salt of a site's day, the same on every instance, made on first use
   * and deleted 48 hours later so yesterday's visitor hashes cannot be recomputed. */
  dailySalt(site: string, day: string, now: number): Promise<string>;
  /** Resolves when the store can serve requests; rejects otherwise. */
  ping(): Promise<void>;
  /** Called with a site id whenever its counts may have changed, on this instance or another. */
  onChange(listener: (site: string) => void): void;
  /** Called when a page session this instance holds was joined on another instance, which holds it now:
   * the local socket is closed without ending it. A store of one process never calls it. */
  onReplaced(listener: (site: string, psid: string) => void): void;
  /** Ends this instance's page sessions, persists, and releases connections. */
  close(): Promise<void>;
}
