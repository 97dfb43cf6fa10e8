// Share links: a signed, expiring token that opens one site's dashboard and live data without handing
// out its readToken. TOKEN = SITE.EXPIRY.MAC, EXPIRY in Unix seconds, MAC = HMAC-SHA256 (base64url) of
// "SITE.EXPIRY" under a key derived from the site's readToken, so changing readToken revokes every link.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Site } from './sites.js';

export const SHARE_DAYS_MIN = 1;
export const SHARE_DAYS_MAX = 365;
export const SHARE_DAYS_DEFAULT = 30;

const DAY_MS = 86_400_000;
/** Keeps the key of share links apart from any other use of the readToken. */
const KEY_CONTEXT = 'headcount share link v1';
const TOKEN = /^([a-z0-9][a-z0-9_-]{0,63})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

export class ShareLinkError extends Error {}

export type ShareCheck = { ok: true; expiresAt: number } | { ok: false; reason: 'invalid' | 'expired' };

const keyOf = (readToken: string) => createHmac('sha256', readToken).update(KEY_CONTEXT).digest();
const macOf = (readToken: string, body: string) => createHmac('sha256', keyOf(readToken)).update(body).digest();

/** A token for `site` valid for `days` days from `now`; a site without a readToken cannot be shared. */
export function makeShareToken(site: Site, days: number, now: number): { token: string; expiresAt: number } {
  if (site.readToken === undefined) {
    throw new ShareLinkError(`site "${site.id}" has no readToken: add one to its entry in SITES_FILE to make share links (changing it later revokes them)`);
  }
  if (!Number.isInteger(days) || days < SHARE_DAYS_MIN || days > SHARE_DAYS_MAX) {
    throw new ShareLinkError(`days: expected a whole number from ${SHARE_DAYS_MIN} to ${SHARE_DAYS_MAX}, got ${days}`);
  }
  const expiry = Math.floor((now + days * DAY_MS) / 1000);
  const body = `${site.id}.${expiry}`;
  return { token: `${body}.${macOf(site.readToken, body).toString('base64url')}`, expiresAt: expiry * 1000 };
}

/** Whether `token` is a share token of this site signed with its current readToken, and unexpired at `now`. */
export function checkShareToken(site: Site, token: string | undefined, now: number): ShareCheck {
  const match = TOKEN.exec(token ?? '');
  if (!match || site.readToken === undefined || match[1] !== site.id) return { ok: false, reason: 'invalid' };
  const given = Buffer.from(match[3]!, 'base64url');
  const expected = macOf(site.readToken, `${match[1]}.${match[2]}`);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' };
  // Expiry is told only for a genuine token: a forged one is "invalid" whatever its date says.
  const expiresAt = Number(match[2]) * 1000;
  return now < expiresAt ? { ok: true, expiresAt } : { ok: false, reason: 'expired' };
}

/** The dashboard address a share token opens. */
export function shareUrl(publicUrl: string, site: Site, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/dashboard/${encodeURIComponent(site.id)}?share=${encodeURIComponent(token)}`;
}
