import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyChange,
  CHANGE_INTERVAL_MS,
  closeEngagement,
  engagedMsAt,
  isEngagementChange,
  startEngagement,
  type EngagementChange,
  type EngagementState,
} from '../../src/audience/engagement.js';

/** A page session driven by a fake server clock. */
function session(startAt = 1_000_000) {
  let now = startAt;
  let state: EngagementState = startEngagement(now);
  const limited: number[] = [];
  return {
    advance(ms: number) {
      now += ms;
    },
    send(change: EngagementChange) {
      const step = applyChange(state, change, now);
      state = step.state;
      if (step.rateLimited) limited.push(now);
      return step.rateLimited;
    },
    close() {
      state = closeEngagement(state, now);
    },
    engagedMs: () => engagedMsAt(state, now),
    get state() {
      return state;
    },
    limited,
    started: startAt,
    get now() {
      return now;
    },
  };
}

describe('engagement', () => {
  it('starts idle with nothing engaged, or engaged when the hello says so', () => {
    const s = startEngagement(5);
    assert.equal(s.engaged, false);
    assert.equal(engagedMsAt(s, 1_000_000), 0);
    const e = startEngagement(5, true);
    assert.equal(engagedMsAt(e, 10_005), 10_000);
  });

  it('counts engaged time by the server clock between changes', () => {
    const s = session();
    s.advance(2_000);
    assert.equal(s.send('engaged'), false);
    s.advance(20_000);
    assert.equal(s.engagedMs(), 20_000, 'the open span counts while engaged');
    assert.equal(s.send('idle'), false);
    s.advance(60_000);
    assert.equal(s.engagedMs(), 20_000, 'nothing accrues while idle');
    s.send('engaged');
    s.advance(7_000);
    s.send('idle');
    assert.equal(s.engagedMs(), 27_000);
    assert.deepEqual(s.limited, []);
  });

  it('turns idle at once when the page is hidden, even inside the 5 s allowance', () => {
    const s = session();
    s.send('engaged');
    s.advance(500);
    s.send('idle');
    s.advance(4_500);
    assert.equal(s.send('engaged'), false);
    s.advance(500);
    const limited = s.send('idle');
    assert.equal(limited, true, 'the fourth change in 5.5 s is beyond the allowance');
    assert.equal(s.state.engaged, false, 'but a turn to idle is honoured');
    s.advance(60_000);
    assert.equal(s.engagedMs(), 1_000);
    assert.equal(s.send('engaged'), false);
    s.advance(1_000);
    assert.equal(s.send('idle'), false);
    assert.equal(s.send('engaged'), true);
    s.advance(60_000);
    assert.equal(s.engagedMs(), 2_000, 'a refused "engaged" starts no span');
  });

  it('refuses changes faster than one per 5 s (after a burst of two) and flags them', () => {
    const s = session();
    s.advance(CHANGE_INTERVAL_MS * 10);
    assert.equal(s.send('engaged'), false);
    assert.equal(s.send('idle'), false, 'two changes may arrive together');
    assert.equal(s.send('engaged'), true);
    assert.equal(s.state.engaged, false, 'a refused "engaged" is ignored');
    assert.equal(s.state.violations, 1);
    s.advance(CHANGE_INTERVAL_MS);
    assert.equal(s.send('engaged'), false, 'allowed again after 5 s');
    assert.equal(s.state.engaged, true);
  });

  it('accepts a tracker that keeps to one change per 5 s for ever', () => {
    const s = session();
    for (let i = 0; i < 1000; i++) {
      s.advance(CHANGE_INTERVAL_MS);
      s.send(i % 2 === 0 ? 'engaged' : 'idle');
    }
    assert.deepEqual(s.limited, []);
    assert.equal(s.engagedMs(), 500 * CHANGE_INTERVAL_MS);
  });

  it('never counts more engaged time than the session lasted, whatever a flood claims', () => {
    const s = session();
    for (let i = 0; i < 10_000; i++) {
      s.advance(1);
      s.send(i % 3 === 0 ? 'idle' : 'engaged');
    }
    s.advance(30_000);
    s.close();
    const lasted = s.now - s.started;
    assert.ok(s.state.engagedMs <= lasted, `${s.state.engagedMs} > ${lasted}`);
    assert.ok(s.limited.length > 9_000, 'the flood is flagged for the transport to close with 4429');
    assert.equal(s.state.violations, s.limited.length);
  });

  it('repeats change nothing but use the allowance', () => {
    const s = session();
    s.send('engaged');
    s.advance(10_000);
    s.send('engaged');
    s.advance(10_000);
    assert.equal(s.engagedMs(), 20_000, 'a repeated "engaged" does not restart the span');
    assert.equal(s.send('engaged'), false);
    assert.equal(s.send('engaged'), false);
    assert.equal(s.send('engaged'), true);
  });

  it('finalises on close: the open span counts up to the close, later messages change nothing', () => {
    const s = session();
    s.send('engaged');
    s.advance(12_345);
    s.close();
    assert.equal(s.state.closed, true);
    assert.equal(s.state.engaged, false);
    assert.equal(s.state.engagedMs, 12_345);
    s.advance(60_000);
    assert.equal(s.send('engaged'), false);
    s.advance(60_000);
    assert.equal(s.engagedMs(), 12_345);
    const again = closeEngagement(s.state, s.now + 1_000);
    assert.equal(again, s.state, 'closing twice is harmless');
  });

  it('survives a clock that steps back or is not a number', () => {
    let state = startEngagement(100_000);
    state = applyChange(state, 'engaged', 110_000).state;
    state = applyChange(state, 'idle', 90_000).state;
    assert.equal(state.engagedMs, 0, 'a step back ends the span where it began, not below');
    state = applyChange(state, 'engaged', NaN).state;
    state = closeEngagement(state, Infinity);
    assert.ok(Number.isFinite(state.engagedMs) && state.engagedMs >= 0);
  });

  it('knows which messages are changes', () => {
    assert.ok(isEngagementChange('engaged'));
    assert.ok(isEngagementChange('idle'));
    for (const value of ['hidden', 'ENGAGED', '', undefined, 1, {}]) assert.ok(!isEngagementChange(value));
  });
});
