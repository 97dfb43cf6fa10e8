// Cookieless mode: a guest is a keyed hash of (site, address, user agent) under a random salt that
// changes every day and is deleted after 48 hours, so nothing is stored in the browser and yesterday's
// hashes cannot be linked to today's. Readers behind one address with one browser build count as one.
import { createHmac } from 'node:crypto';
import { periodsAt } from '../calendar.js';
import type { Site } from '../sites.js';
import type { Store } from '../store/store.js';

export type CookielessIdentity = (site: Site, address: string, userAgent: string, now: number) => Promise<string>;

export function cookielessIdentities(store: Store): CookielessIdentity {
  // Once known, a site's salt of the day is kept (only the current day). Until then every hello asks the
  // store itself, so each one waiting for an unreachable Redis counts against its bound of waiting hellos.
  const salts = new Map<string, { day: string; salt: string }>();
  return async (site, address, userAgent, now) => {
    const day = periodsAt(now, site.timeZone).day;
    let salt = salts.get(site.id);
    if (salt?.day !== day) {
      salt = { day, salt: await store.dailySalt(site.id, day, now) };
      salts.set(site.id, salt);
    }
    return createHmac('sha256', salt.salt).update(`${site.id}\n${address}\n${userAgent}`).digest('base64url').slice(0, 22);
  };
}
