// Cookieless mode: a guest is a keyed hash of (site, address, user agent) under a random salt that
// changes every day and is deleted after 48 hours, so nothing is stored in the browser and yesterday's
// hashes cannot be linked to today's. Readers behind one address with one browser build count as one.
import { createHmac } from 'node:crypto';
import { periodsAt } from '../calendar.js';
import type { Site } from '../sites.js';
import type { Store } from '../store/store.js';

export type CookielessIdentity = (site: Site, address: string, userAgent: string, now: number) => Promise<string>;

export function cookielessIdentities(store: Store): CookielessIdentity {
  // One salt lookup per site and day, not per hello; only the current day is kept.
  const salts = new Map<string, { day: string; salt: Promise<string> }>();
  return async (site, address, userAgent, now) => {
    const day = periodsAt(now, site.timeZone).day;
    let entry = salts.get(site.id);
    if (entry?.day !== day) {
      entry = { day, salt: store.dailySalt(site.id, day, now) };
      salts.set(site.id, entry);
      entry.salt.catch(() => salts.delete(site.id));
    }
    return createHmac('sha256', await entry.salt).update(`${site.id}\n${address}\n${userAgent}`).digest('base64url').slice(0, 22);
  };
}
