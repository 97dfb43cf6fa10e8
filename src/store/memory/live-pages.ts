// One site's pages read now in the embedded store: readers, engaged readers and sources per page, the
// site's engaged visitors and sources, and the top referring hosts, all kept from the open page sessions.
// A page's entry lives only while someone reads it, and both pages and hosts are bounded (store.ts).
import { OTHER_PAGE } from '../../audience/page-url.js';
import { SOURCES } from '../../audience/source.js';
import { MAX_LIVE_REFERRERS, OTHER_REFERRER, type LiveFigures, type LivePage, type PageRef, type Source, type SourceCounts } from '../store.js';

/** One identity reading one page: its open sessions there, and the source and host of the first. */
interface Reader {
  sessions: number;
  engagedSessions: number;
  readonly source: Source;
  /** The host this reader counts under (OTHER_REFERRER when the list was full), if it came from one. */
  readonly host: string | undefined;
}

interface PageEntry {
  title?: string | undefined;
  section?: string | undefined;
  author?: string | undefined;
  readonly readers: Map<string, Reader>;
  engaged: number;
  readonly sources: SourceCounts;
}

/** The readership a page session joined with. */
export interface Reading {
  readonly page: PageRef;
  readonly source: Source;
  readonly referrerHost?: string | undefined;
  readonly engaged: boolean;
}

export const noSources = (): SourceCounts => Object.fromEntries(SOURCES.map((source) => [source, 0])) as SourceCounts;

function addCount(map: Map<string, number>, key: string, delta: 1 | -1): number {
  const count = (map.get(key) ?? 0) + delta;
  if (count === 0) map.delete(key);
  else map.set(key, count);
  return count;
}

/** Readers, then engaged readers, then url: what the live view lists first. */
function byReaders([urlA, a]: [string, PageEntry], [urlB, b]: [string, PageEntry]): number {
  return b.readers.size - a.readers.size || b.engaged - a.engaged || (urlA < urlB ? -1 : urlA > urlB ? 1 : 0);
}

export class LivePages {
  private readonly pages = new Map<string, PageEntry>();
  /** Engaged open sessions per identity tag, over every page; only tags with at least one. */
  private readonly engagedTags = new Map<string, number>();
  private readonly sources = noSources();
  /** Page readers per referring host; only hosts with at least one. */
  private readonly referrers = new Map<string, number>();

  constructor(private readonly maxPages: number) {}

  /** The url a page session on `url` counts under now: OTHER_PAGE once maxPages other pages are live. */
  admit(url: string): string {
    if (url === OTHER_PAGE || this.pages.has(url)) return url;
    const realPages = this.pages.size - (this.pages.has(OTHER_PAGE) ? 1 : 0);
    return realPages < this.maxPages ? url : OTHER_PAGE;
  }

  /** `url` must come from admit(). */
  join(url: string, tag: string, reading: Reading): void {
    let entry = this.pages.get(url);
    if (entry === undefined) {
      entry = { readers: new Map(), engaged: 0, sources: noSources() };
      this.pages.set(url, entry);
    }
    // The latest join names the page; the pages counted under OTHER_PAGE have no one name.
    if (url !== OTHER_PAGE) {
      const { title, section, author } = reading.page;
      if (title !== undefined) entry.title = title;
      if (section !== undefined) entry.section = section;
      if (author !== undefined) entry.author = author;
    }
    let reader = entry.readers.get(tag);
    if (reader === undefined) {
      const host = reading.referrerHost === undefined ? undefined : this.referrerFor(reading.referrerHost);
      reader = { sessions: 0, engagedSessions: 0, source: reading.source, host };
      entry.readers.set(tag, reader);
      entry.sources[reader.source]++;
      this.sources[reader.source]++;
      if (host !== undefined) addCount(this.referrers, host, 1);
    }
    reader.sessions++;
    if (reading.engaged) this.changeEngaged(entry, reader, tag, 1);
  }

  /** Ends one of `tag`'s sessions on `url`; `engaged`: whether that session was engaged. */
  leave(url: string, tag: string, engaged: boolean): void {
    const entry = this.pages.get(url);
    const reader = entry?.readers.get(tag);
    if (entry === undefined || reader === undefined) return;
    if (engaged) this.changeEngaged(entry, reader, tag, -1);
    if (--reader.sessions > 0) return;
    entry.readers.delete(tag);
    entry.sources[reader.source]--;
    this.sources[reader.source]--;
    if (reader.host !== undefined) addCount(this.referrers, reader.host, -1);
    if (entry.readers.size === 0) this.pages.delete(url);
  }

  /** One of `tag`'s sessions on `url` turned engaged (or idle): callers pass only real changes. */
  engage(url: string, tag: string, engaged: boolean): void {
    const entry = this.pages.get(url);
    const reader = entry?.readers.get(tag);
    if (entry !== undefined && reader !== undefined) this.changeEngaged(entry, reader, tag, engaged ? 1 : -1);
  }

  live(limit: number): LiveFigures {
    const pages = [...this.pages].sort(byReaders).slice(0, limit);
    const referrers = [...this.referrers]
      .map(([host, readers]) => ({ host, readers }))
      .sort((a, b) => b.readers - a.readers || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
    return {
      engaged: this.engagedTags.size,
      sources: { ...this.sources },
      referrers: referrers.slice(0, limit),
      pages: pages.map(([url, entry]) => this.livePage(url, entry)),
    };
  }

  readers(urls: readonly string[]): number[] {
    return urls.map((url) => this.pages.get(url)?.readers.size ?? 0);
  }

  /** Live page entries and referring hosts held, to watch that memory stays bounded. */
  sizes(): { pages: number; referrers: number } {
    return { pages: this.pages.size, referrers: this.referrers.size };
  }

  /** The host a new reader counts under: its own while the list has room or holds it already. */
  private referrerFor(host: string): string {
    if (host === OTHER_REFERRER || this.referrers.has(host)) return host;
    const realHosts = this.referrers.size - (this.referrers.has(OTHER_REFERRER) ? 1 : 0);
    return realHosts < MAX_LIVE_REFERRERS ? host : OTHER_REFERRER;
  }

  /** A reader is engaged on a page with one engaged session there, and on the site with one anywhere. */
  private changeEngaged(entry: PageEntry, reader: Reader, tag: string, delta: 1 | -1): void {
    reader.engagedSessions += delta;
    if (reader.engagedSessions === (delta === 1 ? 1 : 0)) entry.engaged += delta;
    addCount(this.engagedTags, tag, delta);
  }

  private livePage(url: string, entry: PageEntry): LivePage {
    const { title, section, author } = entry;
    return {
      url,
      ...(title === undefined ? {} : { title }),
      ...(section === undefined ? {} : { section }),
      ...(author === undefined ? {} : { author }),
      readers: entry.readers.size,
      engaged: entry.engaged,
      sources: { ...entry.sources },
    };
  }
}
