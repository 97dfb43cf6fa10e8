// The per-site figures a scrape exports: every configured site, read through the same shared,
// cached stats reader as the API and the pushes, so a scrape adds at most one store read per site.
import type { SiteRegistry } from '../sites.js';
import type { StatsReader } from '../stats.js';
import type { SiteFigures } from './metrics.js';

export function siteFiguresReader(sites: SiteRegistry, stats: StatsReader): () => Promise<SiteFigures[]> {
  return () =>
    Promise.all(
      sites.all().map(async (site): Promise<SiteFigures> => {
        const { online, visits, pageviews, peak } = await stats.read(site);
        return { site: site.id, guest: online.guests, member: online.members, bot: online.bots, visits: visits.total, pageviews: pageviews.total, peak: peak.online };
      }),
    );
}
