import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_PAGE_URL_LENGTH, normalisePageUrl, OTHER_PAGE, pageUrlFor, type PageSite } from '../../src/audience/page-url.js';
import { hostOnOrigins, urlOnOrigins } from '../../src/sites.js';

const site: PageSite = { origins: ['https://baodanang.vn', 'https://*.baodanang.vn', 'http://localhost:*'] };
const withId: PageSite = { ...site, pageParams: ['id', 'cat'] };

describe('normalisePageUrl', () => {
  for (const [raw, expected] of [
    ['https://baodanang.vn/thoi-su/bai-viet-123.html', 'https://baodanang.vn/thoi-su/bai-viet-123.html'],
    ['HTTPS://BaoDaNang.VN/Thoi-Su/A.html', 'https://baodanang.vn/Thoi-Su/A.html'],
    ['https://baodanang.vn:443/a', 'https://baodanang.vn/a'],
    ['https://user:secret@baodanang.vn/a', 'https://baodanang.vn/a'],
    ['https://baodanang.vn/a#binh-luan', 'https://baodanang.vn/a'],
    ['https://baodanang.vn/a?utm_source=facebook&fbclid=xyz', 'https://baodanang.vn/a'],
    ['https://baodanang.vn/a?', 'https://baodanang.vn/a'],
    ['https://baodanang.vn', 'https://baodanang.vn/'],
    ['https://baodanang.vn/x/../y/./z', 'https://baodanang.vn/y/z'],
    ['https://baodanang.vn/tin tức/đà-nẵng', 'https://baodanang.vn/tin%20t%E1%BB%A9c/%C4%91%C3%A0-n%E1%BA%B5ng'],
    ['https://baodanang.vn/a%2fb%e1%BB', 'https://baodanang.vn/a%2fb%e1%BB'],
    ['  https://baodanang.vn/a\n ', 'https://baodanang.vn/a'],
    ['https://m.baodanang.vn/a', 'https://m.baodanang.vn/a'],
    ['https://xn--nng-hna2c.baodanang.vn/a', 'https://xn--nng-hna2c.baodanang.vn/a'],
    ['http://localhost:5173/a', 'http://localhost:5173/a'],
    ['http://localhost:80/a', 'http://localhost/a'],
  ] as const) {
    it(`turns ${JSON.stringify(raw)} into ${expected}`, () => {
      assert.equal(normalisePageUrl(raw, site), expected);
    });
  }

  it('keeps only the listed query parameters, sorted by name, values in the order sent', () => {
    assert.equal(normalisePageUrl('https://baodanang.vn/news.php?utm_medium=email&id=123&x=1', withId), 'https://baodanang.vn/news.php?id=123');
    assert.equal(normalisePageUrl('https://baodanang.vn/news.php?id=123&cat=4', withId), 'https://baodanang.vn/news.php?cat=4&id=123');
    assert.equal(normalisePageUrl('https://baodanang.vn/p?id=2&cat=1&id=1', withId), 'https://baodanang.vn/p?cat=1&id=2&id=1');
    assert.equal(normalisePageUrl('https://baodanang.vn/p?ID=2', withId), 'https://baodanang.vn/p', 'names are case-sensitive');
    assert.equal(normalisePageUrl('https://baodanang.vn/p?id=a%20b', withId), 'https://baodanang.vn/p?id=a+b');
    assert.equal(normalisePageUrl('https://baodanang.vn/p?x=1', withId), 'https://baodanang.vn/p');
    assert.equal(normalisePageUrl('https://baodanang.vn/p?id=123#c', { ...site, pageParams: [] }), 'https://baodanang.vn/p');
  });

  for (const raw of [
    'https://evil.com/a',
    'https://baodanang.vn.evil.com/a',
    'https://evilbaodanang.vn/a',
    'https://baodanang.vn.',
    'http://baodanang.vn/a',
    'https://baodanang.vn:8443/a',
    'https://localhost:5173/a',
    'javascript:alert(1)',
    'JavaScript:location="https://baodanang.vn/"',
    'data:text/html,<script>alert(1)</script>',
    'blob:https://baodanang.vn/3f6c5b1e-8c1d-4a8e-9f3e-2b1a0c9d8e7f',
    'file:///etc/passwd',
    'about:blank',
    'ws://baodanang.vn/a',
    'ftp://baodanang.vn/a',
    '/thoi-su/a.html',
    '//baodanang.vn/a',
    'baodanang.vn/a',
    '',
    'https://',
    'https://[::1/',
    'http://%zz/',
    `https://baodanang.vn/${'a'.repeat(10_000)}`,
  ]) {
    it(`counts ${JSON.stringify(raw.slice(0, 60))} as (other)`, () => {
      assert.equal(normalisePageUrl(raw, site), OTHER_PAGE);
    });
  }

  it('counts values that are not strings as (other)', () => {
    for (const raw of [undefined, null, 42, {}, [], ['https://baodanang.vn/'], { toString: () => 'https://baodanang.vn/' }]) {
      assert.equal(normalisePageUrl(raw, site), OTHER_PAGE);
    }
  });

  it('cuts overlong URLs to a prefix, never through a percent escape', () => {
    for (let shift = 0; shift < 9; shift++) {
      const raw = `https://baodanang.vn/${'a'.repeat(shift)}${'đ'.repeat(400)}`;
      const full = new URL(raw).href;
      const url = normalisePageUrl(raw, site);
      assert.ok(url.length <= MAX_PAGE_URL_LENGTH && url.length >= MAX_PAGE_URL_LENGTH - 2, `length ${url.length}`);
      assert.ok(full.startsWith(url));
      assert.doesNotMatch(url, /%[0-9A-F]?$/);
    }
    const query = normalisePageUrl(`https://baodanang.vn/${'a'.repeat(1000)}?id=${'9'.repeat(100)}`, withId);
    assert.equal(query.length, MAX_PAGE_URL_LENGTH);
    const cutAtQuery = normalisePageUrl(`https://baodanang.vn/${'a'.repeat(MAX_PAGE_URL_LENGTH - 21)}?id=1`, withId);
    assert.equal(cutAtQuery, `https://baodanang.vn/${'a'.repeat(MAX_PAGE_URL_LENGTH - 21)}`, 'no dangling "?"');
  });

  it('is idempotent', () => {
    for (const raw of ['HTTPS://BaoDaNang.VN:443/x/../tin tức?id=1&b=2#f', 'https://m.baodanang.vn/a?cat=2&id=1&id=0']) {
      const once = normalisePageUrl(raw, withId);
      assert.equal(normalisePageUrl(once, withId), once);
    }
  });

  it('never throws, and answers (other) or a bounded URL on the site, for random input', () => {
    const pieces = ['https://', 'http://', 'baodanang.vn', 'm.baodanang.vn', 'localhost', ':', ':443', ':99999', '/', '?', '#', '&', '=', 'id',
      '%', '%e1', '%zz', '..', '.', '@', '[', ']', '\\', ' ', '\t', '\n', '\u0000', '\ud800', 'đ', '😀', 'javascript:', 'data:', 'blob:', 'xn--', '*'];
    let seed = 11;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    for (let i = 0; i < 5000; i++) {
      let raw = '';
      for (let j = random(12); j >= 0; j--) raw += random(4) === 0 ? String.fromCharCode(random(0x3000)) : pieces[random(pieces.length)];
      const url = normalisePageUrl(raw, withId);
      if (url === OTHER_PAGE) continue;
      assert.ok(url.length <= MAX_PAGE_URL_LENGTH);
      assert.ok(urlOnOrigins(withId.origins, new URL(url)), `${JSON.stringify(raw)} gave ${url}`);
      assert.doesNotMatch(url, /#/);
    }
  });
});

describe('pageUrlFor', () => {
  it('prefers the canonical link when it is on the site, else the location', () => {
    assert.equal(pageUrlFor(site, { canonical: 'https://baodanang.vn/a', location: 'https://m.baodanang.vn/a?ref=home' }), 'https://baodanang.vn/a');
    assert.equal(pageUrlFor(site, { canonical: 'https://syndicated.example/a', location: 'https://m.baodanang.vn/a#x' }), 'https://m.baodanang.vn/a');
    assert.equal(pageUrlFor(site, { canonical: 'javascript:0', location: 'https://baodanang.vn/b' }), 'https://baodanang.vn/b');
    assert.equal(pageUrlFor(site, { location: 'https://baodanang.vn/b' }), 'https://baodanang.vn/b');
    assert.equal(pageUrlFor(site, { canonical: 'https://evil.com/', location: 'https://evil.com/' }), OTHER_PAGE);
    assert.equal(pageUrlFor(site, {}), OTHER_PAGE);
  });
});

describe('origin matching shared with src/sites.ts', () => {
  it('urlOnOrigins matches scheme, host on label boundaries and port', () => {
    const on = (url: string) => urlOnOrigins(site.origins, new URL(url));
    assert.ok(on('https://baodanang.vn/a'));
    assert.ok(on('https://a.b.baodanang.vn/'));
    assert.ok(on('http://localhost:1/'));
    assert.ok(!on('https://xbaodanang.vn/'));
    assert.ok(!on('http://baodanang.vn/'));
    assert.ok(!on('https://baodanang.vn:444/'));
    assert.ok(!urlOnOrigins(['https://*.baodanang.vn'], new URL('https://baodanang.vn/')), '"*." is for subdomains only');
  });

  it('hostOnOrigins ignores scheme and port', () => {
    assert.ok(hostOnOrigins(site.origins, 'baodanang.vn'));
    assert.ok(hostOnOrigins(site.origins, 'm.baodanang.vn'));
    assert.ok(hostOnOrigins(site.origins, 'localhost'));
    assert.ok(!hostOnOrigins(site.origins, 'notbaodanang.vn'));
    assert.ok(!hostOnOrigins(site.origins, 'baodanang.vn.evil.com'));
    assert.ok(!hostOnOrigins(['not a pattern'], 'baodanang.vn'));
  });
});
