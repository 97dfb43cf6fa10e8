// The site's counts as read-6.lua returns them, and the lifetime totals setTotals may write.
import type { StartingTotals, StoreCounts } from '../store.js';
import { check } from './join-input.js';

function count(value: string | null | undefined): number {
  return value == null ? 0 : Number(value);
}

/** `v`: the flat reply of read-6.lua. */
export function countsFrom(v: readonly (string | null)[]): StoreCounts {
  const peakAt = v[10];
  return {
    online: { guest: count(v[0]), member: count(v[1]), bot: count(v[2]) },
    visits: { total: count(v[3]), today: count(v[5]), month: count(v[7]), yesterday: count(v[11]) },
    pageviews: { total: count(v[4]), today: count(v[6]), month: count(v[8]), yesterday: count(v[12]) },
    peak: { online: count(v[9]), at: peakAt == null ? null : Number(peakAt) },
  };
}

/** The fields of the lifetime totals hash to set; throws for a count that is not a whole number >= 0. */
export function totalFields(totals: StartingTotals): Record<string, number> {
  const fields: Record<string, number> = {};
  for (const name of ['visits', 'pageviews'] as const) {
    const value = totals[name];
    if (value === undefined) continue;
    check(Number.isSafeInteger(value) && value >= 0, `${name}: expected a whole number >= 0`);
    fields[name] = value;
  }
  return fields;
}
