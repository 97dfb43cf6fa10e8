// Public figures for a site's footer block, readable from any origin when the site is public.
// While the store cannot be read (e.g. Redis is down), the last figures this process served are
// answered again, marked `"stale": true`; with none yet, 503. Either way at once, never hanging.
// Answered before Express (src/http/cached-routes.ts): every page's footer polls it.
import type { Counts } from '../../protocol.js';
import type { SiteRegistry } from '../../sites.js';
import type { StatsReader } from '../../stats.js';
import type { CachedRoute } from '../cached-routes.js';
import { sendError, type UnknownSite } from '../errors.js';
import { renderJson, sendRendered, setRouteHeaders } from '../rendered-json.js';

const RETRY_AFTER_S = 5;

const HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Cross-Origin-Resource-Policy': 'cross-origin',
  'Cache-Control': 'public, max-age=1',
};

export function statsRoute(sites: SiteRegistry, stats: StatsReader, unknownSite: UnknownSite): CachedRoute {
  // One entry per configured site, so bounded.
  const lastServed = new Map<string, Counts>();
  // The stale copy of a served figures object, made once however many requests answer with it.
  const staleCopies = new WeakMap<Counts, Counts>();
  return async (req, res, id) => {
    const site = sites.get(id);
    // A private site answers like an unknown one, so its existence is not disclosed.
    if (!site || !site.public) return unknownSite(res);
    let counts: Counts;
    try {
      counts = await stats.read(site);
    } catch {
      const last = lastServed.get(site.id);
      if (last !== undefined) {
        let stale = staleCopies.get(last);
        if (!stale) staleCopies.set(last, (stale = { ...last, stale: true }));
        return sendRendered(req, res, renderJson(stale, HEADERS));
      }
      setRouteHeaders(res, { ...HEADERS, 'Retry-After': String(RETRY_AFTER_S) });
      return sendError(res, 503, 'store unavailable');
    }
    lastServed.set(site.id, counts);
    sendRendered(req, res, renderJson(counts, HEADERS));
  };
}
