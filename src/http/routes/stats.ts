// Public figures for a site's footer block, readable from any origin when the site is public.
// While the store cannot be read (e.g. Redis is down), the last figures this process served are
// answered again, marked `"stale": true`; with none yet, 503. Either way at once, never hanging.
import { Router } from 'express';
import type { Counts } from '../../protocol.js';
import type { SiteRegistry } from '../../sites.js';
import type { StatsReader } from '../../stats.js';
import { renderJson } from '../rendered-json.js';
import { sendError, type UnknownSite } from '../errors.js';

const RETRY_AFTER_S = 5;

export function statsRoutes(sites: SiteRegistry, stats: StatsReader, unknownSite: UnknownSite): Router {
  const router = Router();
  // One entry per configured site, so bounded.
  const lastServed = new Map<string, Counts>();
  router.get('/api/sites/:site/stats', async (req, res) => {
    const site = sites.get(req.params.site);
    // A private site answers like an unknown one, so its existence is not disclosed.
    if (!site || !site.public) return unknownSite(res);
    res.set({
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'Cache-Control': 'public, max-age=1',
    });
    let counts: Counts;
    try {
      counts = await stats.read(site);
    } catch {
      const last = lastServed.get(site.id);
      if (last !== undefined) return res.json({ ...last, stale: true });
      res.set('Retry-After', String(RETRY_AFTER_S));
      return sendError(res, 503, 'store unavailable');
    }
    lastServed.set(site.id, counts);
    const { body, etag } = renderJson(counts);
    // With the ETag set, Express answers a matching If-None-Match with 304 and no body.
    res.set('ETag', etag).type('json').send(body);
  });
  return router;
}
