// What a site's readers are reading now (GET /api/sites/SITE/live) and its most-read pages of a day
// (GET /api/sites/SITE/pages/today). A public site's are open to any origin; a private site's need
// its readToken or ADMIN_TOKEN and otherwise answer exactly like an unknown site.
import { Router, type Request, type Response } from 'express';
import { DayError, parseDay, type DayPagesReader } from '../../day-pages.js';
import { liveAccessAllowed, type LiveReader } from '../../live-view.js';
import { LIVE_LIMIT_DEFAULT, LIVE_LIMIT_MAX } from '../../protocol.js';
import type { Site, SiteRegistry } from '../../sites.js';
import { bearerToken } from '../bearer.js';
import { answerReadPreflight } from '../preflight.js';
import { renderJson } from '../rendered-json.js';
import { sendError, type UnknownSite } from '../errors.js';

const RETRY_AFTER_S = 5;

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

export function liveRoutes(deps: LiveRouteDeps): Router {
  const router = Router();

  /** The site when this request may read its live data, else undefined (answered like an unknown site). */
  const readable = (req: Request): Site | undefined => {
    const site = deps.sites.get(req.params.site as string);
    if (!site || !liveAccessAllowed(site, bearerToken(req.get('authorization')), deps.adminToken, deps.clock())) return undefined;
    return site;
  };

  const answer = async (res: Response, site: Site, read: () => Promise<object>) => {
    res.set({
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
      // A private site's figures are for the token holder: no shared cache may keep them.
      'Cache-Control': site.live === 'public' ? 'public, max-age=1' : 'private, max-age=1',
    });
    if (site.live === 'private') res.vary('Authorization');
    let view: object;
    try {
      view = await read();
    } catch {
      res.set('Retry-After', String(RETRY_AFTER_S));
      return sendError(res, 503, 'store unavailable');
    }
    const { body, etag } = renderJson(view);
    // With the ETag set, Express answers a matching If-None-Match with 304 and no body.
    res.set('ETag', etag).type('json').send(body);
  };

  router.options(['/api/sites/:site/live', '/api/sites/:site/pages/today'], answerReadPreflight);

  router.get('/api/sites/:site/live', async (req, res) => {
    const site = readable(req);
    if (!site) return deps.unknownSite(res);
    let limit: number;
    try {
      limit = parseLimit(req.query.limit);
    } catch (error) {
      return sendError(res, 400, (error as Error).message);
    }
    await answer(res, site, () => deps.live.read(site, limit));
  });

  router.get('/api/sites/:site/pages/today', async (req, res) => {
    const site = readable(req);
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
    await answer(res, site, () => deps.dayPages.read(site, day, limit));
  });

  return router;
}
