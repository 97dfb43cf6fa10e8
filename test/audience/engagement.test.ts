import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHANGE_INTERVAL_MS, Engagement, isEngagementChange, type EngagementChange } from '../../src/audience/engagement.js';

/** A page session driven by a fake server clock. */
function session(startAt = 1_000_000) {
  let now = startAt;
  const state = new Engagement(now);
  const limited: number[] = [];
  return {
    advance(ms: number) {
      now += ms;
    },
    send(change: EngagementChange) {
      const rateLimited = state.change(change, now);
      if (rateLimited) limited.push(now);
      return rateLimited;
    },
    engagedMs: () => state.engagedMsAt(now),
    report: () => state.report(now),
    state,
    limited,
    started: startAt,
    get now() {
      return now;
    },
  };
}

describe('engagement', () => {
  it('starts idle with nothing engaged, or engaged when the hello says so', () => {
    const s = new Engagement(5);
    assert.equal(s.engaged, false);
    assert.equal(s.engagedMsAt(1_000_000), 0);
    const e = new Engagement(5, true);
    assert.equal(e.engaged, true);
    assert.equal(e.engagedMsAt(10_005), 10_000);
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

  it('ends the open span on idle() whatever the allowance, and says whether it was engaged', () => {
    const s = session();
    s.send('engaged');
    s.advance(CHANGE_INTERVAL_MS);
    s.send('idle');
    s.send('engaged');
    s.advance(3_000);
    assert.equal(s.send('engaged'), true, 'the allowance is used up');
    assert.equal(s.state.idle(s.now), true);
    assert.equal(s.state.engaged, false);
    s.advance(3_000);
    assert.equal(s.state.idle(s.now), false, 'already idle');
    assert.equal(s.engagedMs(), CHANGE_INTERVAL_MS + 3_000);
  });

  it('refuses changes faster than one per 5 s (after a burst of two) and flags them', () => {
    const s = session();
    s.advance(CHANGE_INTERVAL_MS * 10);
    assert.equal(s.send('engaged'), false);
    assert.equal(s.send('idle'), false, 'two changes may arrive together');
    assert.equal(s.send('engaged'), true);
    assert.equal(s.state.engaged, false, 'a refused "engaged" is ignored');
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
    const lasted = s.now - s.started;
    const engaged = s.report();
    assert.ok(engaged <= lasted, `${engaged} > ${lasted}`);
    assert.ok(s.limited.length > 9_000, 'the flood is flagged for the transport to close with 4429');
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

  it('reports engaged time once: each report takes what accrued since the previous one', () => {
    const s = session();
    s.send('engaged');
    s.advance(12_345);
    assert.equal(s.report(), 12_345);
    assert.equal(s.state.engaged, true, 'a report does not end the span');
    s.advance(1_000);
    s.send('idle');
    s.advance(60_000);
    assert.equal(s.report(), 1_000);
    assert.equal(s.report(), 0);
    s.advance(5_000);
    s.send('engaged');
    s.advance(2_000);
    assert.equal(s.engagedMs(), 2_000);
    assert.equal(s.report(), 2_000);
  });

  it('survives a clock that steps back or is not a number', () => {
    const state = new Engagement(100_000);
    state.change('engaged', 110_000);
    state.change('idle', 90_000);
    assert.equal(state.engagedMsAt(200_000), 0, 'a step back ends the span where it began, not below');
    state.change('engaged', NaN);
    assert.equal(state.engaged, false, 'a time that is not a number changes nothing');
    state.change('engaged', 300_000);
    assert.equal(state.report(NaN), 0);
    assert.equal(state.report(Infinity), 0);
    assert.equal(state.engagedMsAt(310_000), 10_000, 'the span goes on from where it was after odd report times');
  });

  it('knows which messages are changes', () => {
    assert.ok(isEngagementChange('engaged'));
    assert.ok(isEngagementChange('idle'));
    for (const value of ['hidden', 'ENGAGED', '', undefined, 1, {}]) assert.ok(!isEngagementChange(value));
  });
});
