// The narrow interface every store implements (Redis, embedded). Callers pass the time and the
// site's calendar periods in, so stores hold no clock or time-zone logic and tests can move time.
import type { Source } from '../audience/source.js';
import type { Kind } from '../protocol.js';

export type { Kind, Source };

/** Calendar buckets in the site's own time zone, e.g. { day: '2026-11-26', month: '2026-11' }. */
export interface Periods {
  readonly day: string;
  readonly month: string;
  /** History bucket keys (src/audience/calendar-buckets.ts bucketKey), e.g. '2026-11-26T09:41+07:00'. */
  readonly hour: string;
  readonly minute: string;
  /** The local calendar day before `day`, for the stats' yesterday figures. */
  readonly yesterday: string;
}

export type HistoryPeriod = 'minute' | 'hour' | 'day' | 'month';

/** Most online at once in a bucket: each figure is its own maximum; `online` is guests + members. */
export interface HistoryPeak {
  readonly online: number;
  readonly guests: number;
  readonly members: number;
  readonly bots: number;
}

/** One bucket of a site's history; zeros for a bucket in which nothing happened. */
export interface HistoryPoint {
  readonly pageviews: number;
  readonly visits: number;
  readonly peak: HistoryPeak;
  /** Days and months: when `peak.online` was reached (epoch ms), null when nobody was online. */
  readonly peakAt?: number | null;
  /** Days and months whose counts came from an import (an old counter), not from Headcount. */
  readonly imported?: boolean;
}

/** One day's or month's counts from an old counter. */
export interface ImportedCounts {
  /** 'YYYY-MM-DD' for days, 'YYYY-MM' for months, in the site's time zone. */
  readonly key: string;
  readonly visits: number;
  readonly pageviews: number;
}

/** How long the fine series are kept; days and months are kept for ever. */
export interface HistoryRetention {
  readonly minuteDays: number;
  readonly hourDays: number;
}

export const DEFAULT_HISTORY_RETENTION: HistoryRetention = Object.freeze({ minuteDays: 8, hourDays: 400 });

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
  /** The page being read, already normalised and cleaned (src/audience/); `url` may be OTHER_PAGE. */
  readonly page: PageRef;
  /** Where this page session came from, classified once at its start. */
  readonly source: Source;
  /** The referring host (never the referrer itself), for the top referring hosts now. */
  readonly referrerHost?: string | undefined;
  /** Whether the reader is engaged at the start (visible page; arriving counts as input). */
  readonly engaged: boolean;
}

/** A page as the live view shows it. */
export interface PageRef {
  readonly url: string;
  readonly title?: string | undefined;
  readonly section?: string | undefined;
  readonly author?: string | undefined;
}

export type SourceCounts = Record<Source, number>;

/** One page read now: readers are distinct identities (guests and members, never bots) with it open.
 * Its title, section and author are the latest join's; a field that join lacks keeps its earlier value. */
export interface LivePage extends PageRef {
  readonly readers: number;
  readonly engaged: number;
  readonly sources: SourceCounts;
}

export interface LiveFigures {
  /** Distinct identities (guests and members) engaged on any page. */
  readonly engaged: number;
  /** Page readers by source, summed over pages (a reader with two articles open counts in both). */
  readonly sources: SourceCounts;
  /** Top referring hosts by page readers now, most first, then by host; at most `limit`. */
  readonly referrers: readonly { readonly host: string; readonly readers: number }[];
  /** Pages by readers, then engaged readers, then url; at most `limit`. */
  readonly pages: readonly LivePage[];
}

/** One page's figures for a site's day. */
export interface DayPage {
  readonly url: string;
  readonly title?: string | undefined;
  readonly section?: string | undefined;
  readonly pageviews: number;
  readonly engagedSeconds: number;
}

/** What a page session did since it last reported: its engagement now and engaged time to add to its page's day. */
export interface EngagementReport {
  readonly engaged: boolean;
  /** Engaged milliseconds (server-timed) not yet reported; added to the page's day in `periods`. */
  readonly engagedMs: number;
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
  /** The whole of the site's previous calendar day. */
  readonly yesterday: number;
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
  /** Distinct live pages a site may have at once; further pages are counted under OTHER_PAGE. */
  readonly maxLivePages?: number | undefined;
  /** The site's calendar buckets at a time: stores that sample presence on their own (the Redis
   * heartbeat) record each minute's most online with it. */
  readonly periodsAt?: ((site: string, now: number) => Periods) | undefined;
  /** DEFAULT_HISTORY_RETENTION when unset. */
  readonly historyRetention?: HistoryRetention | undefined;
}

/** Defaults of the live pages' bounds, shared by every store. */
export const DEFAULT_MAX_LIVE_PAGES = 10_000;
/** Distinct referring hosts kept live per site; further hosts are counted under OTHER_REFERRER. */
export const MAX_LIVE_REFERRERS = 1_000;
export const OTHER_REFERRER = '(other)';
/** Today's pages: kept this many days, trimmed to the top this many pages per day. */
export const DAY_PAGES_KEEP_DAYS = 35;
export const DAY_PAGES_MAX = 1_000;

/** What a store found out about keeping its data: Redis only (the embedded store's journal is its own). */
export interface Durability {
  /** How Redis keeps data across its restart: one of PERSISTENCE_MODES (src/store/redis/persistence.ts). */
  readonly mode: string;
  /** Per configured site, the times this process found the site's data lost. */
  readonly losses: Readonly<Record<string, number>>;
}

/** The page sessions open on this instance in a site now, each as its join would carry it (with `now` and
 * the periods of `now`), its engagement as it is now. Read synchronously, in one turn. */
export type OpenSessions = (site: string, now: number) => Iterable<JoinInput>;

export interface Store {
  /** Counts one open page session. Idempotent per (instance, psid): a repeat counts nothing. */
  join(input: JoinInput): Promise<JoinResult>;
  /** Ends a page session held by this instance; unknown ids are ignored. `report` adds its last engaged time. */
  leave(site: string, psid: string, now: number, report?: EngagementReport): Promise<void>;
  /** Records an engagement change of a page session held by this instance; unknown ids are ignored. */
  engage(site: string, psid: string, now: number, report: EngagementReport): Promise<void>;
  read(site: string, periods: Periods): Promise<StoreCounts>;
  /** What is read now: engaged, sources, top referrers and the top `limit` pages. */
  live(site: string, limit: number): Promise<LiveFigures>;
  /** Readers now of each of these pages (0 for a page nobody reads), in the same order. */
  readers(site: string, urls: readonly string[]): Promise<number[]>;
  /** A day's most-read pages by pageviews (then engaged seconds), at most `limit`. */
  dayPages(site: string, day: string, limit: number): Promise<DayPage[]>;
  /** The site's history for these bucket keys of one period, one point per key, in the same order. */
  history(site: string, period: HistoryPeriod, keys: readonly string[]): Promise<HistoryPoint[]>;
  /** Sets days' or months' counts from an old counter (marked imported); the same import twice changes
   * nothing; lifetime totals are not touched. */
  importHistory(site: string, period: 'day' | 'month', rows: readonly ImportedCounts[]): Promise<void>;
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
  /** Tells the store where this instance's open page sessions are kept (the transport, once at start-up):
   * a store whose record of them can be lost (Redis, after reaping a paused instance) re-joins them from
   * there, and keeps no copy of its own. A store of one process ignores it. */
  heldBy(sessions: OpenSessions): void;
  /** Ends this instance's page sessions, persists, and releases connections. */
  close(): Promise<void>;
  /** Redis: its persistence mode and the data losses detected; the metrics read it at scrape time. */
  durability?(): Durability;
}
