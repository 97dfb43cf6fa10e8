import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRequestTarget } from '../src/request-target.js';

describe('parseRequestTarget', () => {
  for (const [target, path, site] of [
    ['/ws?site=demo', '/ws', 'demo'],
    ['/ws', '/ws', null],
    ['/ws?site=demo#x', '/ws', 'demo'],
    ['http://stats.example.vn/ws?site=demo', '/ws', 'demo'],
    ['http://stats.example.vn:8080?site=demo', '/', 'demo'],
    ['https://[::1]:443/ws?site=d%C3%A0', '/ws', 'dà'],
    ['//[/ws', '//[/ws', null],
    ['/ws?site=%FF', '/ws', '\uFFFD'],
  ] as const) {
    it(`splits ${target}`, () => {
      const parsed = parseRequestTarget(target);
      assert.ok(parsed.ok);
      assert.equal(parsed.path, path);
      assert.equal(parsed.query.get('site'), site);
    });
  }

  for (const [target, why] of [
    ['http://a:99999/ws', /invalid host or port/],
    ['http://[::1', /invalid host or port/],
    ['http://user@host/ws', /invalid host or port/],
    ['http:///ws', /invalid host or port/],
    ['*', /path starting with \//],
    ['example.vn:443', /path starting with \//],
    ['', /path starting with \//],
    ['/%zz', /percent-encoding/],
    ['/ws?site=%E0%A4%A', /percent-encoding/],
    ['/ws?site=demo%', /percent-encoding/],
  ] as const) {
    it(`refuses ${JSON.stringify(target)} without throwing`, () => {
      const parsed = parseRequestTarget(target);
      assert.ok(!parsed.ok);
      assert.match(parsed.error, /^malformed request target: /);
      assert.match(parsed.error, why);
    });
  }

  it('never throws on random targets', () => {
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const alphabet = '/?#%[]:@!$&\'()*+,;=abcAZ09-._~\u00e0\u0000 ';
    for (let i = 0; i < 20_000; i++) {
      const target = Array.from({ length: Math.floor(next() * 24) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
      parseRequestTarget(next() < 0.3 ? `http://${target}` : target);
    }
  });
});
