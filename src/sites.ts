// Site registry: which sites exist, which page origins may count for them,
// the secret their backend signs member tokens with, and their time zone.
import { readFileSync } from 'node:fs';

export interface Site {
  readonly id: string;
  /** Exact origins ("https://baodanang.vn") or patterns with "*." subdomains and ":*" ports. */
  readonly origins: readonly string[];
  /** Origins the site's own native apps send, same syntax. Sockets from them are not judged by user agent:
   * app HTTP stacks (okhttp, CFNetwork, WebSocket libraries) look like bots to user-agent lists. */
  readonly appOrigins: readonly string[];
  readonly memberSecret: string;
  readonly timeZone: string;
  readonly public: boolean;
  /** Identify guests by a daily-salted hash of address and user agent instead of the id the page stores. */
  readonly cookieless: boolean;
  /** Query parameters that name a page (some CMSs put the article id in the query); all others are dropped. */
  readonly pageParams: readonly string[];
  /** Who may read the live view and today's pages: anyone, or holders of the read token or ADMIN_TOKEN. */
  readonly live: LiveAccess;
  /** The bearer token that reads a private site's live data; without one only ADMIN_TOKEN does. */
  readonly readToken?: string | undefined;
}

export type LiveAccess = 'public' | 'private';

export interface SiteRegistry {
  get(id: string): Site | undefined;
  all(): readonly Site[];
}

export class SitesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SitesError';
  }
}

export const SITE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const ORIGIN_PATTERN = /^(https?):\/\/(\*\.)?([a-z0-9.-]+|\[[0-9a-f:]+\])(:(\d{1,5}|\*))?$/;
const MIN_SECRET_LENGTH = 32;
const PAGE_PARAM = /^[A-Za-z0-9_.[\]-]{1,64}$/;
const MAX_PAGE_PARAMS = 20;

/** The site served when no SITES_FILE is given: pages on this machine only. */
export const DEMO_SITE: Site = Object.freeze({
  id: 'demo',
  origins: Object.freeze(['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*']),
  appOrigins: Object.freeze([]),
  memberSecret: 'demo-member-secret-for-local-testing-only',
  timeZone: 'Asia/Ho_Chi_Minh',
  public: true,
  cookieless: false,
  pageParams: Object.freeze([]),
  live: 'public',
});

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function parseSite(raw: unknown, where: string): Site {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SitesError(`${where}: expected an object`);
  const entry = raw as Record<string, unknown>;
  const id = entry.id;
  if (typeof id !== 'string' || !SITE_ID.test(id)) {
    throw new SitesError(`${where}.id: expected 1-64 lower-case letters, digits, _ or -, starting with a letter or digit`);
  }
  const at = `site "${id}"`;
  const origins = entry.origins;
  if (!Array.isArray(origins) || origins.length === 0) throw new SitesError(`${at}: origins must be a non-empty array`);
  checkPatterns(origins, `${at}: origin`);
  const appOrigins = entry.appOrigins ?? [];
  if (!Array.isArray(appOrigins)) throw new SitesError(`${at}: appOrigins must be an array`);
  checkPatterns(appOrigins, `${at}: appOrigins entry`);
  for (const origin of appOrigins) {
    // Web pages on an app origin would escape the bot check: an app origin must serve no pages.
    if (origins.includes(origin)) throw new SitesError(`${at}: appOrigins entry ${JSON.stringify(origin)} is also one of origins (use an origin that serves no web pages)`);
  }
  const memberSecret = entry.memberSecret;
  if (typeof memberSecret !== 'string' || memberSecret.length < MIN_SECRET_LENGTH) {
    throw new SitesError(`${at}: memberSecret must be a string of at least ${MIN_SECRET_LENGTH} characters`);
  }
  const timeZone = entry.timeZone ?? 'UTC';
  if (typeof timeZone !== 'string' || !isTimeZone(timeZone)) {
    throw new SitesError(`${at}: timeZone ${JSON.stringify(timeZone)} is not an IANA time zone such as "Asia/Ho_Chi_Minh"`);
  }
  const isPublic = entry.public ?? true;
  if (typeof isPublic !== 'boolean') throw new SitesError(`${at}: public must be true or false`);
  const cookieless = entry.cookieless ?? false;
  if (typeof cookieless !== 'boolean') throw new SitesError(`${at}: cookieless must be true or false`);
  const pageParams = entry.pageParams ?? [];
  if (!Array.isArray(pageParams) || pageParams.length > MAX_PAGE_PARAMS) {
    throw new SitesError(`${at}: pageParams must be an array of at most ${MAX_PAGE_PARAMS} query parameter names`);
  }
  for (const name of pageParams) {
    if (typeof name !== 'string' || !PAGE_PARAM.test(name)) {
      throw new SitesError(`${at}: pageParams entry ${JSON.stringify(name)} is not a query parameter name (1-64 letters, digits, _ . - [ ])`);
    }
  }
  const live = entry.live ?? 'private';
  if (live !== 'public' && live !== 'private') throw new SitesError(`${at}: live must be "public" or "private"`);
  const readToken = entry.readToken;
  if (readToken !== undefined && (typeof readToken !== 'string' || readToken.length < MIN_SECRET_LENGTH)) {
    throw new SitesError(`${at}: readToken must be a string of at least ${MIN_SECRET_LENGTH} characters`);
  }
  return Object.freeze({
    id,
    origins: Object.freeze([...origins] as string[]),
    appOrigins: Object.freeze([...appOrigins] as string[]),
    memberSecret,
    timeZone,
    public: isPublic,
    cookieless,
    pageParams: Object.freeze([...pageParams] as string[]),
    live,
    ...(readToken === undefined ? {} : { readToken: readToken as string }),
  });
}

function checkPatterns(patterns: unknown[], what: string): void {
  for (const origin of patterns) {
    if (typeof origin !== 'string' || !ORIGIN_PATTERN.test(origin)) {
      throw new SitesError(`${what} ${JSON.stringify(origin)} is not scheme://host[:port] (lower case, "*." and ":*" allowed)`);
    }
  }
}

export function parseSites(json: unknown): SiteRegistry {
  const list = Array.isArray(json) ? json : (json as { sites?: unknown } | null)?.sites;
  if (!Array.isArray(list) || list.length === 0) throw new SitesError('expected {"sites": [...]} with at least one site');
  const sites = new Map<string, Site>();
  list.forEach((raw, index) => {
    const site = parseSite(raw, `sites[${index}]`);
    if (sites.has(site.id)) throw new SitesError(`site "${site.id}" is listed twice`);
    sites.set(site.id, site);
  });
  return registry(sites);
}

export function loadSites(file: string | undefined): SiteRegistry {
  if (file === undefined) return registry(new Map([[DEMO_SITE.id, DEMO_SITE]]));
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SitesError(`cannot read ${file}: ${(error as Error).message}`);
  }
  return parseSites(json);
}

function registry(sites: Map<string, Site>): SiteRegistry {
  const all = Object.freeze([...sites.values()]);
  return {
    get: (id) => sites.get(id),
    all: () => all,
  };
}

function matchesPattern(pattern: string, origin: URL): boolean {
  const match = ORIGIN_PATTERN.exec(pattern);
  if (!match) return false;
  const [, scheme, wildcard, host, , port] = match;
  if (origin.protocol !== `${scheme}:`) return false;
  if (!hostMatches(wildcard, host, origin.hostname)) return false;
  if (port === '*') return true;
  const defaultPort = scheme === 'https' ? '443' : '80';
  return (origin.port || defaultPort) === (port ?? defaultPort);
}

function matchesAny(patterns: readonly string[], origin: string | undefined): boolean {
  if (!origin) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return urlOnOrigins(patterns, url);
}

function hostMatches(wildcard: string | undefined, host: string, hostname: string): boolean {
  return wildcard ? hostname.endsWith(`.${host}`) : hostname === host;
}

/** Whether a parsed URL's scheme, host and port are on one of these origin patterns. */
export function urlOnOrigins(patterns: readonly string[], url: URL): boolean {
  return patterns.some((pattern) => matchesPattern(pattern, url));
}

/** Whether a host name (lower case, as WHATWG URL gives it) is the host of one of these origin patterns,
 * whatever the scheme and port: a link from http://site to https://site is still the same site. */
export function hostOnOrigins(patterns: readonly string[], hostname: string): boolean {
  return patterns.some((pattern) => {
    const match = ORIGIN_PATTERN.exec(pattern);
    return match !== null && hostMatches(match[2], match[3], hostname);
  });
}

/** Whether an Origin header may count for this site: one of its page origins or app origins.
 * A filter, not authentication: non-browsers can send any Origin. */
export function originAllowed(site: Site, origin: string | undefined): boolean {
  return matchesAny(site.origins, origin) || matchesAny(site.appOrigins, origin);
}

/** Whether an Origin header is one of the site's native app origins (admitted without a user-agent check). */
export function isAppOrigin(site: Site, origin: string | undefined): boolean {
  return matchesAny(site.appOrigins, origin);
}
