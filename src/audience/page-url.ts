// A page's identity: the URL a tracker reports, reduced to one canonical string per article,
// or OTHER_PAGE when it is not one of the site's pages. Every value comes from a client: never throws.
import { urlOnOrigins } from '../sites.js';

/** Where every URL that is not one of the site's pages is counted. Never equal to a normalised URL. */
export const OTHER_PAGE = '(other)';
/** Longest normalised URL kept; longer ones are cut (a prefix still names the article, and keys stay bounded). */
export const MAX_PAGE_URL_LENGTH = 1024;
/** Longer input is not even parsed: no browser's page address is this long. */
const MAX_RAW_LENGTH = 8192;

export interface PageSite {
  /** Origin patterns, as in src/sites.ts. */
  readonly origins: readonly string[];
  /** Query parameter names that are part of a page's identity (some CMSs put the article id in the query). */
  readonly pageParams?: readonly string[];
}

/** The canonical form of a page URL on this site, or OTHER_PAGE. Scheme and host lower case, default port
 * dropped, no credentials, no fragment, only the listed query parameters (sorted by name, values in the order
 * sent), path as WHATWG URL serialises it (dot segments resolved, non-ASCII percent-encoded). */
export function normalisePageUrl(raw: unknown, site: PageSite): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_RAW_LENGTH) return OTHER_PAGE;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return OTHER_PAGE;
  }
  // Only http(s) origins can match a site pattern, so javascript:, data:, blob:, file: and the rest end here.
  if (!urlOnOrigins(site.origins, url)) return OTHER_PAGE;
  url.username = '';
  url.password = '';
  url.hash = '';
  url.search = keptQuery(url.searchParams, site.pageParams ?? []);
  return capLength(url.href);
}

/** The page a tracker reports: its canonical link when that is on the site, else its location. */
export function pageUrlFor(site: PageSite, reported: { canonical?: unknown; location?: unknown }): string {
  const canonical = normalisePageUrl(reported.canonical, site);
  return canonical !== OTHER_PAGE ? canonical : normalisePageUrl(reported.location, site);
}

function keptQuery(params: URLSearchParams, names: readonly string[]): string {
  if (names.length === 0) return '';
  const kept = new URLSearchParams();
  for (const [name, value] of params) if (names.includes(name)) kept.append(name, value);
  kept.sort();
  return kept.toString();
}

function capLength(href: string): string {
  if (href.length <= MAX_PAGE_URL_LENGTH) return href;
  let cut = href.slice(0, MAX_PAGE_URL_LENGTH);
  // A cut through "%E1" would leave an escape that the next parse reads differently.
  const percent = cut.lastIndexOf('%');
  if (percent > cut.length - 3) cut = cut.slice(0, percent);
  return cut.replace(/[?&=]+$/, '');
}
