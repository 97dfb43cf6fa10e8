// Serves the tracker bundle (/t.js), the demo articles (/ and two more) and the SVG badge of a site's figures.
import { Router, type Response } from 'express';
import { clientFiles } from '../../../client/bundle.js';
import { DEMO_ARTICLES, renderDemo } from '../../../client/demo.js';
import { langOf } from '../../../client/labels.js';
import type { SiteRegistry } from '../../sites.js';
import type { StatsReader } from '../../stats.js';
import { renderBadge } from '../badge.js';
import type { UnknownSite } from '../errors.js';

/** Unversioned URL: caches revalidate with the ETag after this. */
const SCRIPT_MAX_AGE_S = 300;
const BADGE_MAX_AGE_S = 10;
const DEMO_SITE_ID = 'demo';

/** Readable by any page: the script and the badge are embedded cross-origin by design. */
function crossOrigin(res: Response): void {
  res.set({ 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin', 'X-Content-Type-Options': 'nosniff' });
}

const queryText = (value: unknown) => (typeof value === 'string' ? value : undefined);

export function clientRoutes(sites: SiteRegistry, stats: StatsReader, unknownSite: UnknownSite): Router {
  const router = Router();
  // Prebuilt files in the compiled server; bundled once in memory when run from sources.
  const files = clientFiles();
  const bundle = files.script;
  bundle.catch(() => undefined); // reported by the first request for /t.js

  router.get('/t.js', async (req, res, next) => {
    try {
      const { code, gzip, hash } = await bundle;
      const gzipped = req.acceptsEncodings('gzip') === 'gzip';
      crossOrigin(res);
      res.set({
        'Content-Type': 'text/javascript; charset=utf-8',
        'Cache-Control': `public, max-age=${SCRIPT_MAX_AGE_S}`,
        Vary: 'Accept-Encoding',
        // Strong validators differ per encoding; express answers 304 when If-None-Match matches.
        ETag: `"${hash}${gzipped ? '-gz' : ''}"`,
      });
      if (gzipped) res.set('Content-Encoding', 'gzip');
      res.send(gzipped ? gzip : code);
    } catch (error) {
      next(error);
    }
  });

  // The demo articles only when the built-in demo site (or one named so) exists.
  if (sites.get(DEMO_SITE_ID)) {
    const template = files.demo();
    for (const article of DEMO_ARTICLES) {
      const html = renderDemo(template, article);
      router.get(article.path, (_req, res) => {
        res.set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' }).send(html);
      });
    }
  }

  router.get('/api/sites/:site/badge.svg', async (req, res, next) => {
    const site = sites.get(req.params.site);
    // A private site answers like an unknown one, as the stats route does.
    if (!site || !site.public) return unknownSite(res);
    try {
      const svg = renderBadge(await stats.read(site), { lang: langOf(queryText(req.query.lang) ?? 'vi'), show: queryText(req.query.show) });
      crossOrigin(res);
      res.set({
        'Content-Type': 'image/svg+xml; charset=utf-8',
        'Cache-Control': `public, max-age=${BADGE_MAX_AGE_S}`,
        // Opened directly, the image may not run anything.
        'Content-Security-Policy': "default-src 'none'",
      });
      res.send(svg);
    } catch (error) {
      next(error);
    }
  });
  return router;
}
