// Turns store figures into the public Counts shape. Reads are shared for up to maxAgeMs and
// invalidated when the store reports a change, so a burst of API requests or pushes costs one store read.
import { periodsAt } from './calendar.js';
import type { Counts } from './protocol.js';
import type { Site } from './sites.js';
import type { Store, StoreCounts } from './store/store.js';

export interface StatsReader {
  read(site: Site): Promise<Counts>;
}

export function toCounts(site: string, figures: StoreCounts, now: number): Counts {
  const { guest, member, bot } = figures.online;
  const counts: Counts = {
    site,
    online: { guests: guest, members: member, total: guest + member, bots: bot },
    visits: { ...figures.visits },
    pageviews: { ...figures.pageviews },
    peak: { online: figures.peak.online, at: figures.peak.at === null ? null : new Date(figures.peak.at).toISOString() },
    at: new Date(now).toISOString(),
  };
  if (figures.stale) counts.stale = true;
  return counts;
}

export function createStatsReader(store: Store, clock: () => number, maxAgeMs: number): StatsReader {
  const cache = new Map<string, { at: number; counts: Promise<Counts> }>();
  store.onChange((site) => cache.delete(site));
  return {
    read(site) {
      const now = clock();
      const hit = cache.get(site.id);
      if (hit && now - hit.at < maxAgeMs) return hit.counts;
      const counts = store.read(site.id, periodsAt(now, site.timeZone)).then((figures) => toCounts(site.id, figures, now));
      cache.set(site.id, { at: now, counts });
      counts.catch(() => {
        if (cache.get(site.id)?.counts === counts) cache.delete(site.id);
      });
      return counts;
    },
  };
}
