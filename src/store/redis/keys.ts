// Every Redis key and channel name Headcount uses is built here and nowhere else (Lua scripts get
// theirs through KEYS). Each site's keys share the hash tag `{site}`, so one site lives in one
// Redis Cluster slot and every script touching a site runs on one node.

/** Day keys outlive their month's "today" view; month keys outlive a year for comparisons. */
export const PERIOD_TTL_SECONDS = { day: 40 * 86_400, month: 400 * 86_400 } as const;

// Braces would end or open a hash tag early and scatter a site over slots; whitespace and
// control characters make keys unreadable in redis-cli.
const SAFE_PART = /^[^\s{}]{1,64}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MONTH = /^\d{4}-\d{2}$/;
/** History bucket keys (src/audience/calendar-buckets.ts bucketKey) by period. */
const BUCKET = {
  minute: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}[+-]\d{2}:\d{2}$/,
  hour: /^\d{4}-\d{2}-\d{2}T\d{2}[+-]\d{2}:\d{2}$/,
  day: DAY,
  month: MONTH,
} as const;
export type BucketPeriod = keyof typeof BUCKET;

const MAX_CACHED_SITES = 10_000;

export class KeyError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'KeyError';
  }
}

function checked(what: string, value: string, pattern: RegExp): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw new KeyError(`${what}: invalid value ${JSON.stringify(value)}`);
  return value;
}

export interface SiteKeys {
  /** ZSET instance id -> presence expiry (ms). */
  readonly inst: string;
  /** HASH psid -> "<instance> <claim> <visitor> <tag>[ <page part>]": the one instance holding each open
   * page session, and the page it reads (lua/includes/pages.lua). */
  readonly holder: string;
  /** HASH identity tag -> open page sessions across all instances, plus 2^24 per engaged one (lua/includes/pages.lua). */
  readonly who: string;
  /** HASH visitor id -> open member page sessions carrying it: that visitor's guest tabs do not count. */
  readonly memberVisitors: string;
  /** HASH g/m/b -> distinct identities online; peak, peakAt -> most online at once and when; minute bucket
   * key -> history not yet rolled up (lua/includes/history.lua): one read and one write per script. */
  readonly online: string;
  /** ZSET "p:<psid>" -> leave time, of page sessions that closed (an open one is in holder): a return within
   * the visit window resumes; identity tag -> time of last activity (lua/includes/sessions.lua). */
  readonly recent: string;
  /** Version 5's ZSETs psid -> leave time and tag -> last activity (now in recent), and HASH tag -> engaged
   * open sessions (now in who): lua/migrate-5.lua moves them at start. */
  readonly legacySeen: string;
  readonly legacyLast: string;
  readonly legacyEngagedBy: string;
  /** HASH {visits, pageviews} lifetime, without the minutes pending in online. */
  readonly tot: string;
  /** HASH {online, at}: version 5's peak, read as long as it is the larger. */
  readonly peak: string;
  /** STRING a random id, set once and kept for ever: gone after a reconnect means Redis lost the site's data. */
  readonly marker: string;
  /** The live pages' keys, in the order the scripts take them (lua/includes/pages.lua describes each). */
  readonly livePages: readonly [pages: string, meta: string, sources: string, readers: string, live: string, referrers: string];
  /** HASH psid -> identity tag: the page sessions one instance joined (an index for its reap; `holder` decides). */
  sess(instanceId: string): string;
  /** HASH {visits, pageviews} of one day, e.g. "2026-11-26", without the minutes pending in online. */
  day(day: string): string;
  /** HASH {visits, pageviews} of one month, e.g. "2026-11", without the minutes pending in online. */
  month(month: string): string;
  /** ZSET url -> pageviews of one day's pages. */
  dayPages(day: string): string;
  /** HASH "m <url>" -> page meta JSON, "e <url>" -> engaged ms, of one day's pages. */
  dayPageInfo(day: string): string;
  /** STRING cookieless mode's random salt of one day, e.g. "2026-11-26"; expires 48 hours after it was made. */
  salt(day: string): string;
  /** Where one history bucket (lua/includes/history.lua) is kept: a minute in the HASH of its hour
   * (field "41"), an hour in that of its day (field "09+07:00"), both with TTLs from the retention; a
   * day in that of its year, a month in that of all months, both kept for ever (field: the bucket key).
   * Small hashes, so Redis keeps the fine ones compact (listpack). */
  historyOf(period: BucketPeriod, bucket: string): HistoryField;
  /** HASH minute bucket key -> figures of version 5 not yet added to its buckets, its totals counted
   * already (lua/includes/history.lua); pending minutes are in online now. */
  readonly legacyHistoryPending: string;
}

export interface HistoryField {
  readonly hash: string;
  readonly field: string;
}

export class Keys {
  /** Pub/sub channel: a site's counts changed on some instance. */
  readonly changes: string;
  /** Pub/sub channel: a page session moved to another instance; its old holder closes the old socket. */
  readonly replaced: string;

  /** Every join and leave needs its site's keys: built once per site, not some 20 strings per call. */
  private readonly bySite = new Map<string, SiteKeys>();

  constructor(private readonly prefix: string) {
    checked('key prefix', prefix, SAFE_PART);
    this.changes = `${prefix}:changes`;
    this.replaced = `${prefix}:replaced`;
  }

  /** Throws KeyError for a site id that is not safe inside a hash tag, before any Redis call. */
  site(site: string): SiteKeys {
    let keys = this.bySite.get(site);
    if (keys === undefined) {
      keys = this.build(site);
      // Only configured sites reach the store in the service; the bound keeps any other caller's memory flat.
      if (this.bySite.size >= MAX_CACHED_SITES) this.bySite.clear();
      this.bySite.set(site, keys);
    }
    return keys;
  }

  private build(site: string): SiteKeys {
    const base = `${this.prefix}:{${checked('site', site, SAFE_PART)}}:`;
    return {
      inst: `${base}inst`,
      holder: `${base}holder`,
      who: `${base}who`,
      memberVisitors: `${base}mvis`,
      online: `${base}online`,
      recent: `${base}recent`,
      legacySeen: `${base}seen`,
      legacyLast: `${base}last`,
      legacyEngagedBy: `${base}ewho`,
      tot: `${base}tot`,
      peak: `${base}peak`,
      marker: `${base}marker`,
      livePages: [`${base}pages`, `${base}pmeta`, `${base}psrc`, `${base}preaders`, `${base}live`, `${base}refs`],
      sess: (instanceId) => `${base}sess:${checked('instance id', instanceId, SAFE_PART)}`,
      day: (day) => `${base}day:${checked('day', day, DAY)}`,
      month: (month) => `${base}month:${checked('month', month, MONTH)}`,
      dayPages: (day) => `${base}dpages:${checked('day', day, DAY)}`,
      dayPageInfo: (day) => `${base}dpinfo:${checked('day', day, DAY)}`,
      salt: (day) => `${base}salt:${checked('day', day, DAY)}`,
      legacyHistoryPending: `${base}hpend`,
      historyOf: (period, bucket) => {
        if (!Object.hasOwn(BUCKET, period)) throw new KeyError(`period: expected minute, hour, day or month, got ${JSON.stringify(period)}`);
        checked(`${period} bucket`, bucket, BUCKET[period]);
        switch (period) {
          case 'minute': // 2026-11-26T09:41+07:00 -> hmin:2026-11-26T09+07:00, 41
            return { hash: `${base}hmin:${bucket.slice(0, 13)}${bucket.slice(16)}`, field: bucket.slice(14, 16) };
          case 'hour': // 2026-11-26T09+07:00 -> hhour:2026-11-26, 09+07:00
            return { hash: `${base}hhour:${bucket.slice(0, 10)}`, field: bucket.slice(11) };
          case 'day':
            return { hash: `${base}hday:${bucket.slice(0, 4)}`, field: bucket };
          case 'month':
            return { hash: `${base}hmonth`, field: bucket };
        }
      },
    };
  }
}
