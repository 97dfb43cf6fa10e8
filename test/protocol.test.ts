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
  ] as const) {
    it(`refuses ${what} with a short reason`, () => {
      assert.throws(
        () => parseClientMessage(text),
        (error: unknown) => error instanceof ProtocolError && reason.test(error.message) && Buffer.byteLength(error.message) < 123,
      );
    });
  }
});
