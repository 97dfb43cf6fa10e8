// Figures shared by the client tests: the example of docs/protocol.md §4.
import type { Counts } from '../../src/protocol.js';

export const COUNTS: Counts = {
  site: 'demo',
  online: { guests: 595, members: 3, total: 598, bots: 7 },
  visits: { total: 52_015_394, today: 18_234, month: 401_223, yesterday: 21_005 },
  pageviews: { total: 90_110_233, today: 30_122, month: 700_410, yesterday: 35_870 },
  peak: { online: 2310, at: '2026-11-02T02:14:09.000Z' },
  at: '2026-11-26T09:00:00.000Z',
};
