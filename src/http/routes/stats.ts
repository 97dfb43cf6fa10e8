// Public figures for a site's footer block, readable from any origin when the site is public.
import { Router } from 'express';
import type { SiteRegistry } from '../../sites.js';
import type { StatsReader } from '../../stats.js';
import { sendError } from '../errors.js';

export function statsRoutes(sites: SiteRegistry, stats: StatsReader): Router {
  const router = Router();
  router.get('/api/sites/:site/stats', async (req, res, next) => {
    const site = sites.get(req.params.site);
    // A private site answers like an unknown one, so its existence is not disclosed.
    if (!site || !site.public) return sendError(res, 404, 'unknown site');
    try {
      const counts = await stats.read(site);
      res.set({
        'Access-Control-Allow-Origin': '*',
        'Cross-Origin-Resource-Policy': 'cross-origin',
        'Cache-Control': 'public, max-age=1',
      });
      res.json(counts);
    } catch (error) {
      next(error);
    }
  });
  return router;
}
