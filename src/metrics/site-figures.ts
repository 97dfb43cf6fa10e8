// The per-site figures a scrape exports: every configured site, read through the same shared,
// cached stats and live readers as the API, so a scrape adds at most one store read of each kind per site.
import type { LiveReader } from '../live-view.js';
import type { SiteRegistry } from '../sites.js';
import type { StatsReader } from '../stats.js';
import type { SiteFigures } from './metrics.js';

/** Engaged visitors and the source mix need no page list: the smallest live view there is. */
const SCRAPE_PAGES = 1;

export function siteFiguresReader(sites: SiteRegistry, stats: StatsReader, live: LiveReader): () => Promise<SiteFigures[]> {
  return () =>
    Promise.all(
      sites.all().map(async (site): Promise<SiteFigures> => {
        const [{ online, visits, pageviews, peak }, view] = await Promise.all([stats.read(site), live.read(site, SCRAPE_PAGES)]);
        return {
          site: site.id,
          guest: online.guests,
          member: online.members,
          bot: online.bots,
          visits: visits.total,
          pageviews: pageviews.total,
          peak: peak.online,
          engaged: view.engaged,
          sources: view.sources,
        };
      }),
    );
}
