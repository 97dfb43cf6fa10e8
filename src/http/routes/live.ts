// What a site's readers are reading now (GET /api/sites/SITE/live) and its most-read pages of a day
// (GET /api/sites/SITE/pages/today). A public site's are open to any origin; a private site's need
// its readToken or ADMIN_TOKEN and otherwise answer exactly like an unknown site. The live view is
// polled by dashboards and answered before Express (src/http/cached-routes.ts); the day's pages and
// the preflights are Express routes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { Router } from 'express';
import { DayError, parseDay, type DayPagesReader } from '../../day-pages.js';
import { liveAccessAllowed, type LiveReader } from '../../live-view.js';
import { LIVE_LIMIT_DEFAULT, LIVE_LIMIT_MAX } from '../../protocol.js';
import type { Site, SiteRegistry } from '../../sites.js';
import { bearerToken } from '../bearer.js';
import type { CachedRoute } from '../cached-routes.js';
import { sendError, type UnknownSite } from '../errors.js';
import { answerReadPreflight } from '../preflight.js';
import { renderJson, sendRendered, setRouteHeaders, type RouteHeaders } from '../rendered-json.js';

const RETRY_AFTER_S = 5;

const CORS = { 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' };
const PUBLIC_HEADERS: RouteHeaders = { ...CORS, 'Cache-Control': 'public, max-age=1' };
// A private site's figures are for the token holder: no shared cache may keep them.
const PRIVATE_HEADERS: RouteHeaders = { ...CORS, 'Cache-Control': 'private, max-age=1', Vary: 'Authorization' };

export interface LiveRouteDeps {
  sites: SiteRegistry;
  live: LiveReader;
  dayPages: DayPagesReader;
  adminToken: string | undefined;
  clock: () => number;
  unknownSite: UnknownSite;
}

class LimitError extends Error {}

function parseLimit(raw: unknown): number {
  if (raw === undefined) return LIVE_LIMIT_DEFAULT;
  const limit = typeof raw === 'string' && /^\d{1,3}$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= LIVE_LIMIT_MAX)) throw new LimitError(`limit: expected a whole number from 1 to ${LIVE_LIMIT_MAX}`);
  return limit;
}

/** The site when this request may read its live data, else undefined (answered like an unknown site). */
function readable(deps: LiveRouteDeps, id: string, req: IncomingMessage): Site | undefined {
  const site = deps.sites.get(id);
  if (!site || !liveAccessAllowed(site, bearerToken(req.headers.authorization), deps.adminToken, deps.clock())) return undefined;
  return site;
}

async function answer(req: IncomingMessage, res: ServerResponse, site: Site, read: () => Promise<object>): Promise<void> {
  const headers = site.live === 'public' ? PUBLIC_HEADERS : PRIVATE_HEADERS;
  let view: object;
  try {
    view = await read();
  } catch {
    setRouteHeaders(res, { ...headers, 'Retry-After': String(RETRY_AFTER_S) });
    return sendError(res, 503, 'store unavailable');
  }
  sendRendered(req, res, renderJson(view, headers));
}

/** GET /api/sites/SITE/live, for the cached routes. */
export function liveRoute(deps: LiveRouteDeps): CachedRoute {
  return async (req, res, id, query) => {
    const site = readable(deps, id, req);
    if (!site) return deps.unknownSite(res);
    let limit: number;
    try {
      // Parsed as Express parses a query string (node:querystring): a repeated limit is an array, refused.
      limit = parseLimit(query === undefined ? undefined : parseQuery(query).limit);
    } catch (error) {
      return sendError(res, 400, (error as Error).message);
    }
    await answer(req, res, site, () => deps.live.read(site, limit));
  };
}

/** The day's pages, and the preflights of both read routes. */
export function livePagesRoutes(deps: LiveRouteDeps): Router {
  const router = Router();
  router.options(['/api/sites/:site/live', '/api/sites/:site/pages/today'], answerReadPreflight);
  router.get('/api/sites/:site/pages/today', async (req, res) => {
    const site = readable(deps, req.params.site, req);
    if (!site) return deps.unknownSite(res);
    let limit: number;
    let day: string;
    try {
      limit = parseLimit(req.query.limit);
      day = parseDay(req.query.day, site, deps.clock());
    } catch (error) {
      if (!(error instanceof LimitError || error instanceof DayError)) throw error;
      return sendError(res, 400, error.message);
    }
    await answer(req, res, site, () => deps.dayPages.read(site, day, limit));
  });
  return router;
}
