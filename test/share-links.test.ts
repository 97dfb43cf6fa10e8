import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkShareToken, makeShareToken, ShareLinkError, shareUrl } from '../src/share-links.js';
import { parseSites, type Site } from '../src/sites.js';

const NOW = Date.UTC(2026, 11, 1, 8);
const DAY = 86_400_000;
const entry = { origins: ['https://a.vn'], memberSecret: 's'.repeat(32) };
const sites = parseSites({
  sites: [
    { id: 'paper', ...entry, readToken: 'r'.repeat(40) },
    { id: 'other', ...entry, readToken: 'r'.repeat(40) },
    { id: 'bare', ...entry },
  ],
});
const paper = sites.get('paper')!;
const withReadToken = (site: Site, readToken: string): Site => ({ ...site, readToken });

describe('share links', () => {
  it('makes a token that checks out until it expires, and says "expired" after', () => {
    const { token, expiresAt } = makeShareToken(paper, 30, NOW);
    assert.equal(expiresAt, NOW + 30 * DAY);
    assert.match(token, /^paper\.\d+\.[A-Za-z0-9_-]{43}$/, 'URL-safe as it is');
    assert.deepEqual(checkShareToken(paper, token, NOW), { ok: true, expiresAt });
    assert.deepEqual(checkShareToken(paper, token, expiresAt - 1), { ok: true, expiresAt });
    assert.deepEqual(checkShareToken(paper, token, expiresAt), { ok: false, reason: 'expired' });
  });

  it('is revoked by a change of the site\'s readToken', () => {
    const { token } = makeShareToken(paper, 30, NOW);
    assert.deepEqual(checkShareToken(withReadToken(paper, 'n'.repeat(40)), token, NOW), { ok: false, reason: 'invalid' });
  });

  it('refuses a token of another site, a changed date or signature, and garbage as invalid', () => {
    const { token } = makeShareToken(paper, 1, NOW);
    const [site, expiry, mac] = token.split('.') as [string, string, string];
    assert.equal(checkShareToken(sites.get('other')!, token, NOW).ok, false, 'same readToken, other site');
    assert.equal(checkShareToken(sites.get('other')!, `other.${expiry}.${mac}`, NOW).ok, false, 'renamed');
    const later = `${site}.${Number(expiry) + 365 * 86_400}.${mac}`;
    assert.deepEqual(checkShareToken(paper, later, NOW), { ok: false, reason: 'invalid' }, 'extended by hand');
    const flipped = `${site}.${expiry}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`;
    assert.deepEqual(checkShareToken(paper, flipped, NOW), { ok: false, reason: 'invalid' });
    // A forged token with a past date is still "invalid", never "expired": only genuine links expire.
    assert.deepEqual(checkShareToken(paper, `${site}.1.${mac}`, NOW), { ok: false, reason: 'invalid' });
    for (const junk of [undefined, '', 'paper', 'paper..', `${token}.x`, `${token}=`, 'r'.repeat(40), 'x'.repeat(10_000)]) {
      assert.deepEqual(checkShareToken(paper, junk, NOW), { ok: false, reason: 'invalid' }, String(junk).slice(0, 40));
    }
    assert.deepEqual(checkShareToken(sites.get('bare')!, token.replace('paper', 'bare'), NOW), { ok: false, reason: 'invalid' });
  });

  it('refuses to share a site without a readToken, and days outside 1..365', () => {
    assert.throws(() => makeShareToken(sites.get('bare')!, 30, NOW), (error: Error) => error instanceof ShareLinkError && /site "bare" has no readToken/.test(error.message));
    for (const days of [0, 366, 1.5, Number.NaN]) {
      assert.throws(() => makeShareToken(paper, days, NOW), /days: expected a whole number from 1 to 365/);
    }
    assert.equal(makeShareToken(paper, 365, NOW).expiresAt, NOW + 365 * DAY);
  });

  it('builds the dashboard address under the public URL', () => {
    assert.equal(shareUrl('https://stats.example.vn/', paper, 'paper.1.abc'), 'https://stats.example.vn/dashboard/paper?share=paper.1.abc');
    assert.equal(shareUrl('http://localhost:8080', paper, 'paper.1.abc'), 'http://localhost:8080/dashboard/paper?share=paper.1.abc');
  });
});
