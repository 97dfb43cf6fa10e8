// The checker itself must fail when the count breaks, or every fault test that uses it proves nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Counts, WelcomeMessage } from '../../src/protocol.js';
import { GroundTruth, type Reading } from './ground-truth.js';

function counts(pageviews: number, visits: number, guests = 0): Counts {
  const period = (total: number) => ({ total, today: total, month: total, yesterday: 0 });
  return { site: 'demo', online: { guests, members: 0, total: guests, bots: 0 }, visits: period(visits), pageviews: period(pageviews), peak: { online: 0, at: null }, at: '' };
}
const welcome = (psid: string, resumed = false): WelcomeMessage => ({ t: 'welcome', psid, resumed, kind: 'guest', hb: 1000 });
const reading = (instance: string, c: Counts, readers = 0): Reading => ({
  instance,
  counts: c,
  live: { site: 'demo', at: '', online: c.online, engaged: 0, sources: {} as never, referrers: [], pages: readers ? [{ url: 'http://x/a', readers, engaged: 0, sources: {} as never }] : [] },
});

/** Three page sessions of two visitors, all welcomed, one resumed once, all left. */
function run(): GroundTruth {
  const truth = new GroundTruth();
  for (const [psid, vid] of [['p1', 'v1'], ['p2', 'v1'], ['p3', 'v2']] as const) {
    truth.hello(psid, vid);
    truth.welcome(welcome(psid));
  }
  truth.hello('p1', 'v1');
  truth.welcome(welcome('p1', true));
  for (const psid of ['p1', 'p2', 'p3']) truth.left(psid);
  return truth;
}

describe('ground-truth checker', () => {
  const before = counts(10, 5);

  it('passes a run whose figures match, and counts attempted and acknowledged page sessions', () => {
    const verdict = run().check([reading('a', counts(13, 7)), reading('b', counts(13, 7))], { before, settled: true });
    assert.deepEqual(verdict, { attempted: 3, acknowledged: 3, stored: 3, lost: 0, violations: [] });
  });

  it('reports lost acknowledged pageviews, unless the fault is allowed to lose them', () => {
    assert.match(run().check([reading('a', counts(12, 7))], { before, settled: true }).violations.join(), /1 lost, 0 allowed/);
    assert.deepEqual(run().check([reading('a', counts(12, 7))], { before, settled: true, allowedLoss: 1 }).violations, []);
  });

  it('reports pageviews counted twice, a psid welcomed as new twice, and more visits than pageviews or visitors', () => {
    assert.match(run().check([reading('a', counts(14, 7))], { before, settled: true }).violations.join(), /counted twice/);
    const twice = run();
    twice.hello('p2', 'v1');
    twice.welcome(welcome('p2'));
    assert.match(twice.check([reading('a', counts(13, 7))], { before, settled: true }).violations.join(), /welcomed as new more than once/);
    assert.match(run().check([reading('a', counts(13, 8))], { before, settled: true }).violations.join(), /visits 3 > visitors that said hello 2/);
  });

  it('reports ghosts once settled, online above the open pages before, and instances that disagree', () => {
    assert.match(run().check([reading('a', counts(13, 7, 1))], { before, settled: true }).violations.join(), /after every page left/);
    assert.match(run().check([reading('a', counts(13, 7), 2)], { before, settled: true }).violations.join(), /still have readers/);
    assert.match(run().check([reading('a', counts(13, 7, 1))], { before, settled: false }).violations.join(), /online 1 > 0 page sessions still open/);
    assert.match(run().check([reading('a', counts(13, 7)), reading('b', counts(12, 7))], { before, settled: true }).violations.join(), /instances disagree/);
  });

  it('refuses a welcome for a page session that never said hello', () => {
    assert.throws(() => new GroundTruth().welcome(welcome('nobody')), /never said hello/);
  });
});
