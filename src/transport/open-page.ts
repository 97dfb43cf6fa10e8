// A page session stored for one socket: who, which page (the normalised url and its title, section and
// author: interned strings the store and the readers pushes share), where it came from, and its engagement
// (the record extends it), timed by the server's clock. One object per held session, and all this instance
// keeps of it: a Redis store that was reaped re-joins it from here (joinAt).
import { Engagement } from '../audience/engagement.js';
import { intern, internOptional } from '../audience/intern.js';
import { cleanPageMeta } from '../audience/page-meta.js';
import { pageUrlFor } from '../audience/page-url.js';
import { classifySource, utmOf, type Source } from '../audience/source.js';
import { periodsAt } from '../calendar.js';
import type { Kind, PageMessage } from '../protocol.js';
import type { Site } from '../sites.js';
import type { JoinInput } from '../store/store.js';

export interface PageSession {
  readonly psid: string;
  readonly identity: string;
  readonly kind: Kind;
}

/** What a hello or page message says about the page being read. */
export type PageReport = Pick<PageMessage, 'url' | 'ref' | 'canon' | 'title' | 'section' | 'author'>;

export class OpenPage extends Engagement implements PageSession {
  readonly psid: string;
  readonly identity: string;
  readonly kind: Kind;
  readonly url: string;
  readonly title: string | undefined;
  readonly section: string | undefined;
  readonly author: string | undefined;
  readonly source: Source;
  readonly host: string | undefined;

  /** Starts at `now`, engaged at once when `engaged` (arriving counts as input). */
  constructor(session: PageSession, site: Site, report: PageReport, now: number, engaged: boolean) {
    super(now, engaged);
    this.psid = session.psid;
    this.identity = session.identity;
    this.kind = session.kind;
    this.url = intern(pageUrlFor(site, { canonical: report.canon, location: report.url }));
    const meta = cleanPageMeta(report);
    this.title = internOptional(meta.title);
    this.section = internOptional(meta.section);
    this.author = internOptional(meta.author);
    // Classified once, at the start of the page session: an SPA navigation's ref is the previous page (internal).
    const { source, host } = classifySource({ referrer: report.ref, ...utmOf(report.url), siteOrigins: site.origins });
    this.source = source;
    this.host = internOptional(host);
  }

  /** The session's join at `now`, engaged as it is now: the first join, and what a resync re-joins. */
  joinAt(site: Site, visitor: string, now: number): JoinInput {
    return {
      site: site.id,
      psid: this.psid,
      identity: this.identity,
      visitor,
      kind: this.kind,
      now,
      periods: periodsAt(now, site.timeZone),
      page: { url: this.url, title: this.title, section: this.section, author: this.author },
      source: this.source,
      referrerHost: this.host,
      engaged: this.engaged,
    };
  }
}
