import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseClientMessage, ProtocolError } from '../src/protocol.js';

const vid = '9b2c6c1e-0f7a-4c55-9d3e-2f1d6f0c8a11';
const psid = '5a1f0d2e-61c4-4a3e-8f5e-7c0b9d1e2f30';
const hello = { t: 'hello', site: 'demo', vid, psid, url: 'https://example.vn/a.html' };

describe('parseClientMessage', () => {
  it('accepts every message type', () => {
    assert.deepEqual(parseClientMessage(JSON.stringify({ ...hello, ref: '', sub: true, vis: 'hidden', member: 'a.b.c', bot: false })), {
      ...hello,
      ref: '',
      sub: true,
      vis: 'hidden',
      member: 'a.b.c',
      bot: false,
    });
    assert.deepEqual(parseClientMessage(JSON.stringify({ t: 'page', psid, url: '/b' })), { t: 'page', psid, url: '/b' });
    assert.deepEqual(parseClientMessage('{"t":"vis","vis":"visible"}'), { t: 'vis', vis: 'visible' });
    assert.deepEqual(parseClientMessage('{"t":"sub","on":false}'), { t: 'sub', on: false });
    assert.deepEqual(parseClientMessage('{"t":"eng","on":true}'), { t: 'eng', on: true });
    assert.deepEqual(parseClientMessage('{"t":"readers","on":true}'), { t: 'readers', on: true });
  });

  it('accepts the page identity fields in hello and page', () => {
    const page = { canon: 'https://example.vn/a', title: 'Tin nóng', section: 'Thời sự', author: 'An' };
    assert.deepEqual(parseClientMessage(JSON.stringify({ ...hello, ...page })), { ...hello, ...page });
    assert.deepEqual(parseClientMessage(JSON.stringify({ t: 'page', psid, url: '/b', ref: '/a', ...page })), { t: 'page', psid, url: '/b', ref: '/a', ...page });
    // Raw lengths up to the caps pass: page-meta cleans and shortens them.
    const long = { title: 'x'.repeat(1024), section: 's'.repeat(256), author: 'a'.repeat(256), canon: 'c'.repeat(2048) };
    assert.deepEqual(parseClientMessage(JSON.stringify({ ...hello, ...long })), { ...hello, ...long });
  });

  it('reads a live subscription with its default page count and token', () => {
    assert.deepEqual(parseClientMessage('{"t":"live","on":true}'), { t: 'live', on: true, n: 10 });
    assert.deepEqual(parseClientMessage('{"t":"live","on":true,"n":100,"token":"secret"}'), { t: 'live', on: true, n: 100, token: 'secret' });
    assert.deepEqual(parseClientMessage('{"t":"live","on":false,"n":1}'), { t: 'live', on: false, n: 1 });
  });

  for (const [what, text, reason] of [
    ['not JSON', '{"t":', /not JSON/],
    ['an array', '[]', /expected a JSON object/],
    ['null', 'null', /expected a JSON object/],
    ['no type', '{}', /missing message type/],
    ['an unknown type', '{"t":"join"}', /unknown message type "join"/],
    ['an unknown field', JSON.stringify({ ...hello, extra: 1 }), /unknown field "extra"/],
    ['a short vid', JSON.stringify({ ...hello, vid: 'abc' }), /vid:/],
    ['a psid with spaces', JSON.stringify({ ...hello, psid: 'a b c d e f g h' }), /psid:/],
    ['a numeric site', JSON.stringify({ ...hello, site: 7 }), /site:/],
    ['an empty url', JSON.stringify({ ...hello, url: '' }), /url:/],
    ['a huge url', JSON.stringify({ ...hello, url: 'x'.repeat(3000) }), /url:/],
    ['a bad visibility', '{"t":"vis","vis":"gone"}', /vis:/],
    ['sub without on', '{"t":"sub"}', /on:/],
    ['a string for a boolean', JSON.stringify({ ...hello, sub: 'yes' }), /sub:/],
    ['an overlong title', JSON.stringify({ ...hello, title: 'x'.repeat(1025) }), /title: expected a string of 0-1024 characters/],
    ['an overlong section', JSON.stringify({ t: 'page', psid, url: '/b', section: 'x'.repeat(257) }), /section:/],
    ['an overlong author', JSON.stringify({ ...hello, author: 'x'.repeat(257) }), /author:/],
    ['an overlong canonical url', JSON.stringify({ ...hello, canon: 'x'.repeat(2049) }), /canon:/],
    ['a numeric title', JSON.stringify({ ...hello, title: 7 }), /title:/],
    ['eng without on', '{"t":"eng"}', /on:/],
    ['eng with a state name', '{"t":"eng","on":"engaged"}', /on:/],
    ['eng with a claimed duration', '{"t":"eng","on":true,"ms":60000}', /unknown field "ms"/],
    ['live with n 0', '{"t":"live","on":true,"n":0}', /n: expected a whole number from 1 to 100/],
    ['live with n 101', '{"t":"live","on":true,"n":101}', /n: expected a whole number from 1 to 100/],
    ['live with a fractional n', '{"t":"live","on":true,"n":2.5}', /n: expected a whole number/],
    ['live with a string n', '{"t":"live","on":true,"n":"10"}', /n: expected a whole number/],
    ['live with an overlong token', JSON.stringify({ t: 'live', on: true, token: 'x'.repeat(257) }), /token:/],
    ['live without on', '{"t":"live"}', /on:/],
    ['readers with an unknown field', '{"t":"readers","on":true,"url":"/x"}', /unknown field "url"/],
  ] as const) {
    it(`refuses ${what} with a short reason`, () => {
      assert.throws(
        () => parseClientMessage(text),
        (error: unknown) => error instanceof ProtocolError && reason.test(error.message) && Buffer.byteLength(error.message) < 123,
      );
    });
  }
});
