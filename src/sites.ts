// Site registry: which sites exist, which page origins may count for them,
// the secret their backend signs member tokens with, and their time zone.
import { readFileSync } from 'node:fs';

export interface Site {
  readonly id: string;
  /** Exact origins ("https://baodanang.vn") or patterns with "*." subdomains and ":*" ports. */
  readonly origins: readonly string[];
  readonly memberSecret: string;
  readonly timeZone: string;
  readonly public: boolean;
  /** Identify guests by a daily-salted hash of address and user agent instead of the id the page stores. */
  readonly cookieless: boolean;
}

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

/** The site served when no SITES_FILE is given: pages on this machine only. */
export const DEMO_SITE: Site = Object.freeze({
  id: 'demo',
  origins: Object.freeze(['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*']),
  memberSecret: 'demo-member-secret-for-local-testing-only',
  timeZone: 'Asia/Ho_Chi_Minh',
  public: true,
  cookieless: false,
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
  for (const origin of origins) {
    if (typeof origin !== 'string' || !ORIGIN_PATTERN.test(origin)) {
      throw new SitesError(`${at}: origin ${JSON.stringify(origin)} is not scheme://host[:port] (lower case, "*." and ":*" allowed)`);
    }
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
  return Object.freeze({ id, origins: Object.freeze([...origins] as string[]), memberSecret, timeZone, public: isPublic, cookieless });
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
  const hostname = origin.hostname;
  const hostOk = wildcard ? hostname.endsWith(`.${host}`) : hostname === host;
  if (!hostOk) return false;
  if (port === '*') return true;
  const defaultPort = scheme === 'https' ? '443' : '80';
  return (origin.port || defaultPort) === (port ?? defaultPort);
}

/** Whether a browser's Origin header may count for this site. A filter, not authentication: non-browsers can send any Origin. */
export function originAllowed(site: Site, origin: string | undefined): boolean {
  if (!origin) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return site.origins.some((pattern) => matchesPattern(pattern, url));
}
