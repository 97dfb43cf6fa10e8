// The live view of a site: who is online, engaged, from where, and the most-read pages now.
// Built here only, so GET /api/sites/SITE/live and the WebSocket push say exactly the same thing.
// Reads are shared per site and limit for up to maxAgeMs and dropped when the store reports a
// change, so a burst of requests and pushes costs one store read.
import { createHash, timingSafeEqual } from 'node:crypto';
import { checkShareToken } from './share-links.js';
import type { Site } from './sites.js';
import type { StatsReader } from './stats.js';
import type { Counts, LiveView } from './protocol.js';
import type { LiveFigures, Store } from './store/store.js';

export function buildLiveView(site: string, online: Counts['online'], figures: LiveFigures, now: number): LiveView {
  return {
    site,
    at: new Date(now).toISOString(),
    online: { guests: online.guests, members: online.members, total: online.total, bots: online.bots },
    engaged: figures.engaged,
    sources: { ...figures.sources },
    referrers: figures.referrers.map(({ host, readers }) => ({ host, readers })),
    // Unknown meta is left out rather than sent as null, so the view stays small.
    pages: figures.pages.map(({ url, title, section, author, readers, engaged, sources }) => ({
      url,
      ...(title === undefined ? {} : { title }),
      ...(section === undefined ? {} : { section }),
      ...(author === undefined ? {} : { author }),
      readers,
      engaged,
      sources: { ...sources },
    })),
  };
}

/** What a subscriber receives, less the time it was read: equal signatures mean nothing to push. */
export function liveViewSignature(view: LiveView): string {
  const { at: _at, ...figures } = view;
  return JSON.stringify(figures);
}

export interface LiveReader {
  read(site: Site, limit: number): Promise<LiveView>;
}

export function createLiveReader(store: Store, stats: StatsReader, clock: () => number, maxAgeMs: number): LiveReader {
  // Keyed by site, then limit: at most LIVE_LIMIT_MAX entries per configured site.
  const cache = new Map<string, Map<number, { at: number; view: Promise<LiveView> }>>();
  store.onChange((site) => cache.delete(site));
  return {
    read(site, limit) {
      const now = clock();
      let bySite = cache.get(site.id);
      const hit = bySite?.get(limit);
      if (hit && now - hit.at < maxAgeMs) return hit.view;
      const view = Promise.all([stats.read(site), store.live(site.id, limit)]).then(([counts, figures]) => buildLiveView(site.id, counts.online, figures, now));
      if (!bySite) cache.set(site.id, (bySite = new Map()));
      bySite.set(limit, { at: now, view });
      view.catch(() => {
        const entries = cache.get(site.id);
        if (entries?.get(limit)?.view === view) entries.delete(limit);
      });
      return view;
    },
  };
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Whether a token may read a site's live data at `now`: anyone for a public site; for a private one the
 * site's readToken, ADMIN_TOKEN or an unexpired share link of the site (src/share-links.ts).
 */
export function liveAccessAllowed(site: Site, token: string | undefined, adminToken: string | undefined, now: number): boolean {
  return site.live === 'public' || readTokenAllowed(site, token, adminToken, now);
}

/** Whether a token is the site's readToken, ADMIN_TOKEN, or a share link of the site unexpired at `now`.
 * Tokens are compared in constant time (digests, so the length of a guess tells nothing). */
export function readTokenAllowed(site: Site, token: string | undefined, adminToken: string | undefined, now: number): boolean {
  if (token === undefined) return false;
  const given = digest(token);
  // Each configured token is compared whatever the other gave, so timing does not tell which one matched.
  const byReadToken = site.readToken !== undefined && timingSafeEqual(given, digest(site.readToken));
  const byAdmin = adminToken !== undefined && timingSafeEqual(given, digest(adminToken));
  return byReadToken || byAdmin || checkShareToken(site, token, now).ok;
}
