import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeldSessions } from '../../src/transport/held-sessions.js';
import { RateRule } from '../../src/transport/rate-limit.js';

/** Messages at the given times through one rule from a full allowance: which passed. */
function passes(rule: RateRule, times: readonly number[]): boolean[] {
  let state = 0;
  return times.map((now) => {
    const next = rule.take(state, now);
    if (next < 0) return false;
    state = next;
    return true;
  });
}

describe('RateRule', () => {
  it('lets a burst through back to back, then refuses', () => {
    const rule = new RateRule(30, 120);
    const burst = passes(rule, Array.from({ length: 31 }, () => 1_000_000));
    assert.deepEqual(burst, [...Array(30).fill(true), false]);
  });

  it('refills at the per-minute rate, and a refused message uses nothing', () => {
    const rule = new RateRule(5, 20); // one message per 3 s after a burst of 5
    const t0 = 1_700_000_000_000;
    const result = passes(rule, [t0, t0, t0, t0, t0, t0, t0 + 2_999, t0 + 3_000, t0 + 3_001, t0 + 6_000]);
    assert.deepEqual(result, [true, true, true, true, true, false, false, true, false, true]);
  });

  it('gives a quiet socket its whole burst again, never more', () => {
    const rule = new RateRule(3, 60);
    const t0 = 5_000_000;
    const first = passes(rule, [t0, t0, t0]);
    assert.deepEqual(first, [true, true, true]);
    let state = 0;
    for (const now of [t0, t0, t0]) state = rule.take(state, now);
    const later = t0 + 3_600_000;
    const again = [0, 0, 0, 0].map(() => {
      const next = rule.take(state, later);
      if (next >= 0) state = next;
      return next >= 0;
    });
    assert.deepEqual(again, [true, true, true, false]);
  });
});

describe('HeldSessions', () => {
  it('keeps one holder per site and psid, and releases only for that holder', () => {
    const held = new HeldSessions<string>();
    held.set('a', 'p1', 'socket 1');
    held.set('b', 'p1', 'socket 2');
    assert.equal(held.get('a', 'p1'), 'socket 1');
    assert.equal(held.get('b', 'p1'), 'socket 2');
    held.set('a', 'p1', 'socket 3');
    assert.equal(held.release('a', 'p1', 'socket 1'), false, 'a replaced holder releases nothing');
    assert.equal(held.get('a', 'p1'), 'socket 3');
    assert.equal(held.release('a', 'p1', 'socket 3'), true);
    assert.equal(held.get('a', 'p1'), undefined);
    assert.equal(held.release('c', 'p1', 'socket 3'), false);
  });

  it("lists a site's holders, and none for a site it holds nothing in", () => {
    const held = new HeldSessions<string>();
    held.set('a', 'p1', 'socket 1');
    held.set('a', 'p2', 'socket 2');
    held.set('b', 'p1', 'socket 3');
    held.set('a', 'p1', 'socket 4');
    assert.deepEqual([...held.holders('a')].sort(), ['socket 2', 'socket 4']);
    held.release('a', 'p2', 'socket 2');
    assert.deepEqual([...held.holders('a')], ['socket 4']);
    assert.deepEqual([...held.holders('c')], []);
  });
});
