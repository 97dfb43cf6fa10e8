import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEMO_SITE, isAppOrigin, loadSites, originAllowed, parseSites, SitesError } from '../src/sites.js';

const secret = 'x'.repeat(32);
const site = (fields: object) => ({ id: 'baodanang', origins: ['https://baodanang.vn'], memberSecret: secret, timeZone: 'Asia/Ho_Chi_Minh', ...fields });

describe('sites', () => {
  it('has the demo site when no file is given', () => {
    const sites = loadSites(undefined);
    assert.deepEqual(sites.all().map((s) => s.id), ['demo']);
    assert.equal(sites.get('nope'), undefined);
  });

  it('loads a file and keeps unknown ids unknown', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sites-'));
    const file = join(dir, 'sites.json');
    writeFileSync(file, JSON.stringify({ sites: [site({}), site({ id: 'private-one', public: false })] }));
    const sites = loadSites(file);
    assert.equal(sites.get('baodanang')?.timeZone, 'Asia/Ho_Chi_Minh');
    assert.equal(sites.get('baodanang')?.public, true);
    assert.equal(sites.get('private-one')?.public, false);
    assert.equal(sites.get('__proto__'), undefined);
  });

  for (const [what, entry, message] of [
    ['a bad id', site({ id: 'Bad Id' }), /sites\[0\]\.id/],
    ['no origins', site({ origins: [] }), /origins must be a non-empty array/],
    ['a path in an origin', site({ origins: ['https://a.vn/news'] }), /origin "https:\/\/a.vn\/news"/],
    ['a short secret', site({ memberSecret: 'short' }), /memberSecret must be/],
    ['an unknown time zone', site({ timeZone: 'Asia/Hanoi_City' }), /timeZone "Asia\/Hanoi_City"/],
    ['a non-boolean public', site({ public: 'yes' }), /public must be true or false/],
    ['appOrigins that are not a list', site({ appOrigins: 'https://app.baodanang.vn' }), /appOrigins must be an array/],
    ['a malformed app origin', site({ appOrigins: ['app://baodanang'] }), /appOrigins entry "app:\/\/baodanang" is not scheme/],
    ['an app origin that is a page origin', site({ appOrigins: ['https://baodanang.vn'] }), /appOrigins entry "https:\/\/baodanang.vn" is also one of origins/],
    ['pageParams that are not a list', site({ pageParams: 'id' }), /site "baodanang": pageParams must be an array of at most 20/],
    ['more than 20 pageParams', site({ pageParams: Array.from({ length: 21 }, (_, i) => `p${i}`) }), /site "baodanang": pageParams must be an array of at most 20/],
    ['a pageParams entry with a space', site({ pageParams: ['article id'] }), /site "baodanang": pageParams entry "article id" is not a query parameter name/],
    ['an empty pageParams entry', site({ pageParams: [''] }), /site "baodanang": pageParams entry "" is not/],
    ['a 65-character pageParams entry', site({ pageParams: ['p'.repeat(65)] }), /site "baodanang": pageParams entry "p{65}" is not/],
    ['a non-string pageParams entry', site({ pageParams: [7] }), /site "baodanang": pageParams entry 7 is not/],
    ['an unknown live setting', site({ live: 'open' }), /site "baodanang": live must be "public" or "private"/],
    ['a boolean live setting', site({ live: true }), /site "baodanang": live must be "public" or "private"/],
    ['a short readToken', site({ readToken: 'r'.repeat(31) }), /site "baodanang": readToken must be a string of at least 32 characters/],
    ['a non-string readToken', site({ readToken: 12345 }), /site "baodanang": readToken must be a string/],
  ] as const) {
    it(`refuses ${what}`, () => {
      assert.throws(() => parseSites({ sites: [entry] }), (error: unknown) => error instanceof SitesError && message.test(error.message));
    });
  }

  it('refuses duplicate ids and unreadable files', () => {
    assert.throws(() => parseSites({ sites: [site({}), site({})] }), /listed twice/);
    assert.throws(() => loadSites('/nonexistent/sites.json'), /cannot read \/nonexistent\/sites.json/);
  });

  it('matches origins exactly, by sub-domain wildcard and by port wildcard', () => {
    const sites = parseSites({ sites: [site({ origins: ['https://baodanang.vn', 'https://*.baodanang.vn', 'http://localhost:*'] })] });
    const s = sites.get('baodanang')!;
    assert.ok(originAllowed(s, 'https://baodanang.vn'));
    assert.ok(originAllowed(s, 'https://m.baodanang.vn'));
    assert.ok(originAllowed(s, 'http://localhost:5173'));
    assert.ok(originAllowed(s, 'http://localhost'));
    assert.ok(!originAllowed(s, 'http://baodanang.vn'), 'scheme must match');
    assert.ok(!originAllowed(s, 'https://baodanang.vn.evil.com'));
    assert.ok(!originAllowed(s, 'https://evilbaodanang.vn'));
    assert.ok(!originAllowed(s, 'https://baodanang.vn:8443'));
    assert.ok(!originAllowed(s, undefined));
    assert.ok(!originAllowed(s, 'null'));
    assert.ok(originAllowed(DEMO_SITE, 'http://127.0.0.1:3000'));
    assert.ok(!originAllowed(DEMO_SITE, 'https://example.com'));
  });

  // Each rule docs/protocol.md §1 states about origin patterns.
  const allowed = (pattern: string, origin: string) => originAllowed(parseSites({ sites: [site({ origins: [pattern] })] }).get('baodanang')!, origin);

  it('"*." matches sub-domains at any depth, never the bare domain', () => {
    assert.ok(allowed('https://*.a.vn', 'https://x.a.vn'));
    assert.ok(allowed('https://*.a.vn', 'https://x.y.a.vn'));
    assert.ok(!allowed('https://*.a.vn', 'https://a.vn'));
    assert.ok(!allowed('https://*.a.vn', 'https://xa.vn'));
  });

  it('a pattern without a port means the scheme\'s default port only; ":*" means any port or none', () => {
    assert.ok(allowed('https://a.vn', 'https://a.vn'));
    assert.ok(allowed('https://a.vn', 'https://a.vn:443'), 'the default port written out is the same origin');
    assert.ok(!allowed('https://a.vn', 'https://a.vn:8443'));
    assert.ok(allowed('https://a.vn:443', 'https://a.vn'));
    assert.ok(allowed('http://localhost:3000', 'http://localhost:3000'));
    assert.ok(!allowed('http://localhost:3000', 'http://localhost'));
    assert.ok(allowed('http://localhost:*', 'http://localhost'), 'a missing port matches ":*"');
    assert.ok(allowed('http://localhost:*', 'http://localhost:65535'));
    assert.ok(allowed('https://*.a.vn:*', 'https://x.y.a.vn:8443'));
  });

  it('compares scheme exactly and host case-insensitively, with IPv6 in brackets', () => {
    assert.ok(!allowed('https://a.vn', 'http://a.vn'));
    assert.ok(!allowed('http://a.vn', 'https://a.vn'));
    assert.ok(allowed('https://a.vn', 'https://A.VN'), 'browsers send lower case; the host is compared as URL parsing gives it');
    assert.ok(!allowed('https://a.vn', 'https://a.vn.'), 'a trailing dot is another host');
    assert.ok(allowed('http://[::1]:*', 'http://[::1]:8080'));
    assert.ok(!allowed('https://a.vn', 'null'));
    assert.ok(!allowed('https://a.vn', 'not an origin'));
    assert.throws(() => parseSites({ sites: [site({ origins: ['https://A.vn'] })] }), /lower case/);
  });

  it('admits app origins and tells them apart from page origins', () => {
    const s = parseSites({ sites: [site({ appOrigins: ['https://app.baodanang.vn'] })] }).get('baodanang')!;
    assert.deepEqual(s.appOrigins, ['https://app.baodanang.vn']);
    assert.ok(originAllowed(s, 'https://app.baodanang.vn'));
    assert.ok(isAppOrigin(s, 'https://app.baodanang.vn'));
    assert.ok(originAllowed(s, 'https://baodanang.vn'));
    assert.ok(!isAppOrigin(s, 'https://baodanang.vn'));
    assert.ok(!isAppOrigin(s, undefined));
    assert.deepEqual(parseSites({ sites: [site({})] }).get('baodanang')!.appOrigins, [], 'none by default');
  });

  it('reads pageParams, live and readToken, with private live data and no token by default', () => {
    const plain = parseSites({ sites: [site({})] }).get('baodanang')!;
    assert.deepEqual(plain.pageParams, []);
    assert.equal(plain.live, 'private');
    assert.equal(plain.readToken, undefined);
    const token = 'r'.repeat(32);
    const s = parseSites({ sites: [site({ pageParams: ['id', 'p', 'filter[cat]', 'a.b-c_d'], live: 'public', readToken: token })] }).get('baodanang')!;
    assert.deepEqual(s.pageParams, ['id', 'p', 'filter[cat]', 'a.b-c_d']);
    assert.equal(s.live, 'public');
    assert.equal(s.readToken, token);
    assert.ok(Object.isFrozen(s.pageParams));
    assert.equal(parseSites({ sites: [site({ pageParams: Array.from({ length: 20 }, (_, i) => `p${i}`) })] }).get('baodanang')!.pageParams.length, 20);
  });

  it('serves the demo site\'s live view publicly', () => {
    assert.equal(DEMO_SITE.live, 'public');
    assert.deepEqual(DEMO_SITE.pageParams, []);
    assert.equal(loadSites(undefined).get('demo')?.live, 'public');
  });
});
