import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressGroup } from '../src/client-address.js';

describe('addressGroup', () => {
  it('keeps an IPv4 address as it is, also when IPv4-mapped', () => {
    assert.equal(addressGroup('203.113.7.9'), '203.113.7.9');
    assert.equal(addressGroup('::ffff:203.113.7.9'), '203.113.7.9');
    assert.equal(addressGroup('::ffff:cb71:709'), '203.113.7.9');
  });

  it('groups IPv6 addresses by their /64', () => {
    const a = addressGroup('2001:db8:1:2::1');
    assert.equal(a, addressGroup('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    assert.equal(a, addressGroup('2001:0db8:0001:0002:0000:0000:0000:0042'), 'the same /64 however it is written');
    assert.notEqual(a, addressGroup('2001:db8:1:3::1'), 'the next /64 is another client');
    assert.notEqual(addressGroup('::1'), addressGroup('::2:0:0:0:1'));
  });
});
