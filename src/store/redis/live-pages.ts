// The Redis store's live pages on the TypeScript side: what a join tells the scripts about its page,
// and the live view, page readers and day pages decoded from the scripts' replies.
import { OTHER_PAGE } from '../../audience/page-url.js';
import { SOURCES, type Source } from '../../audience/source.js';
import {
  DAY_PAGES_KEEP_DAYS,
  DAY_PAGES_MAX,
  DEFAULT_MAX_LIVE_PAGES,
  MAX_LIVE_REFERRERS,
  OTHER_REFERRER,
  type DayPage,
  type LiveFigures,
  type LivePage,
  type SourceCounts,
} from '../store.js';
import { answerWithin, checkReady, type RedisClient } from './connect.js';
import type { SiteKeys } from './keys.js';
import type { LiveReply, PageLimits, Scripts } from './scripts.js';

/** A live page's score is -(readers * READER_SCORE + engaged readers), as in lua/includes/pages.lua. */
const READER_SCORE = 2 ** 26;

function check(condition: boolean, message: string): void {
  if (!condition) throw new TypeError(message);
}

export function pageLimits(maxLivePages: number = DEFAULT_MAX_LIVE_PAGES): PageLimits {
  check(Number.isSafeInteger(maxLivePages) && maxLivePages >= 1, 'maxLivePages: expected a whole number >= 1');
  return {
    maxLivePages,
    maxReferrers: MAX_LIVE_REFERRERS,
    otherPage: OTHER_PAGE,
    otherReferrer: OTHER_REFERRER,
    dayPagesTtlSeconds: DAY_PAGES_KEEP_DAYS * 86_400,
    dayPagesMax: DAY_PAGES_MAX,
    // Trimming lazily, at 10% over the max, keeps it rare.
    dayPagesTrimAt: Math.ceil(DAY_PAGES_MAX * 1.1),
  };
}

function checkLimit(limit: number): void {
  check(Number.isSafeInteger(limit) && limit >= 1, 'limit: expected a whole number >= 1');
}

function sourceCounts(values: readonly (string | null)[]): SourceCounts {
  return Object.fromEntries(SOURCES.map((source, i) => [source, Number(values[i] ?? 0)])) as Record<Source, number>;
}

/** Readers of a page from its live score; 0 when it has none. */
function readersOf(score: string | null): number {
  return score === null ? 0 : Math.floor(-Number(score) / READER_SCORE);
}

function withText<K extends string>(name: K, value: string | null): { [P in K]?: string } {
  return (value === null ? {} : { [name]: value }) as { [P in K]?: string };
}

function liveFigures(reply: LiveReply): LiveFigures {
  const [site = [], referrers = [], ...pages] = reply;
  const hosts: { host: string; readers: number }[] = [];
  for (let i = 0; i < referrers.length; i += 2) hosts.push({ host: referrers[i]!, readers: -Number(referrers[i + 1]) });
  return {
    engaged: Number(site[0] ?? 0),
    sources: sourceCounts(site.slice(1)),
    referrers: hosts,
    pages: pages.map(([url, score, title, section, author, ...sources]): LivePage => {
      const points = -Number(score);
      return {
        url: url!,
        ...withText('title', title ?? null),
        ...withText('section', section ?? null),
        ...withText('author', author ?? null),
        readers: Math.floor(points / READER_SCORE),
        engaged: points % READER_SCORE,
        sources: sourceCounts(sources),
      };
    }),
  };
}

/** The reply of day-pages-2.lua ordered by pageviews, then engaged time, then url; at most `limit`. */
function dayPageList(flat: readonly (string | null)[], limit: number): DayPage[] {
  const entries: { url: string; pageviews: number; engagedMs: number; title: string | null; section: string | null }[] = [];
  for (let i = 0; i < flat.length; i += 5) {
    const [url, pageviews, title, section, engagedMs] = flat.slice(i, i + 5);
    entries.push({ url: url!, pageviews: Number(pageviews), engagedMs: Number(engagedMs ?? 0), title: title ?? null, section: section ?? null });
  }
  return entries
    .sort((a, b) => b.pageviews - a.pageviews || b.engagedMs - a.engagedMs || (a.url < b.url ? -1 : a.url > b.url ? 1 : 0))
    .slice(0, limit)
    .map(({ url, pageviews, engagedMs, title, section }) => ({
      url,
      ...withText('title', title),
      ...withText('section', section),
      pageviews,
      engagedSeconds: Math.floor(engagedMs / 1000),
    }));
}

/** The store's live-page reads: each one round trip, failing fast while Redis is unreachable. */
export class LivePagesReader {
  constructor(
    private readonly client: RedisClient,
    private readonly scripts: Scripts,
  ) {}

  async live(keys: SiteKeys, limit: number): Promise<LiveFigures> {
    checkLimit(limit);
    checkReady(this.client);
    return liveFigures(await answerWithin(this.scripts.live(keys, limit, limit), 'a live read'));
  }

  async readers(keys: SiteKeys, urls: readonly string[]): Promise<number[]> {
    check(Array.isArray(urls) && urls.every((url) => typeof url === 'string'), 'urls: expected an array of page urls');
    if (urls.length === 0) return [];
    checkReady(this.client);
    return (await answerWithin(this.scripts.pageScores(keys, urls), 'a readers read')).map(readersOf);
  }

  async dayPages(keys: SiteKeys, day: string, limit: number): Promise<DayPage[]> {
    checkLimit(limit);
    keys.dayPages(day);
    checkReady(this.client);
    return dayPageList(await answerWithin(this.scripts.dayPages(keys, day, limit), 'a day pages read'), limit);
  }
}
