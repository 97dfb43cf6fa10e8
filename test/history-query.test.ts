import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HistoryQueryError, parseHistoryRange, parseInstant } from '../src/history-query.js';
import { DEFAULT_HISTORY_RETENTION } from '../src/store/store.js';

const HANOI = 'Asia/Ho_Chi_Minh';
const NOW = Date.UTC(2026, 10, 26, 3); // 10:00 in Hanoi
const range = (query: Record<string, unknown>, timeZone = HANOI) => parseHistoryRange(query, timeZone, NOW, DEFAULT_HISTORY_RETENTION);

function refused(query: Record<string, unknown>, field: string, message: RegExp): void {
  assert.throws(() => range(query), (error: unknown) => error instanceof HistoryQueryError && error.field === field && message.test(error.message));
}

describe('history range', () => {
  it('reads instants with an offset and bare local dates and months', () => {
    assert.equal(parseInstant('from', '2026-11-26T09:00+07:00', HANOI), Date.UTC(2026, 10, 26, 2));
    assert.equal(parseInstant('from', '2026-11-26T02:00:30.5Z', HANOI), Date.UTC(2026, 10, 26, 2, 0, 30, 500));
    assert.equal(parseInstant('from', '2026-11-26', HANOI), Date.UTC(2026, 10, 25, 17));
    assert.equal(parseInstant('from', '2026-11', HANOI), Date.UTC(2026, 9, 31, 17));
    // São Paulo skipped midnight in 2018: the day began at 01:00 local
    assert.equal(parseInstant('from', '2018-11-04', 'America/Sao_Paulo'), Date.UTC(2018, 10, 4, 3));
  });

  it('lists the buckets whose start lies in [from, to)', () => {
    const { period, buckets } = range({ period: 'hour', from: '2026-11-26T08:30+07:00', to: '2026-11-26T10:00+07:00' });
    assert.equal(period, 'hour');
    assert.deepEqual(buckets.map((b) => b.at), ['2026-11-26T09:00:00+07:00']);
    assert.equal(range({ period: 'day', from: '2026-11-26', to: '2026-11-26' }).buckets.length, 0);
    assert.equal(range({ period: 'minute', from: '2026-11-26', to: '2026-11-27' }).buckets.length, 1_440);
    assert.equal(range({ period: 'day', from: '2025-10-23', to: '2026-11-27' }).buckets.length, 400);
  });

  it('gives a day of 25 hours when clocks go back, with the repeated hour twice', () => {
    const { buckets } = parseHistoryRange({ period: 'hour', from: '2026-11-01', to: '2026-11-02' }, 'America/New_York', Date.UTC(2026, 10, 2), DEFAULT_HISTORY_RETENTION);
    assert.equal(buckets.length, 25);
    assert.deepEqual(buckets.slice(1, 3).map((b) => b.at), ['2026-11-01T01:00:00-04:00', '2026-11-01T01:00:00-05:00']);
  });

  it('refuses bad input naming the field', () => {
    refused({ from: '2026-11-26', to: '2026-11-27' }, 'period', /minute, hour, day, month/);
    refused({ period: 'week', from: '2026-11-26', to: '2026-11-27' }, 'period', /expected one of/);
    refused({ period: 'day', to: '2026-11-27' }, 'from', /missing/);
    refused({ period: 'day', from: '2026-11-26' }, 'to', /missing/);
    refused({ period: 'day', from: 'yesterday', to: '2026-11-27' }, 'from', /ISO 8601/);
    refused({ period: 'day', from: '2026-02-30', to: '2026-11-27' }, 'from', /ISO 8601/);
    refused({ period: 'day', from: '2026-11-26T25:00Z', to: '2026-11-27' }, 'from', /ISO 8601/);
    refused({ period: 'day', from: '2026-11-26T10:00', to: '2026-11-27' }, 'from', /with its offset/);
    refused({ period: 'day', from: ['2026-11-26', '2026-11-25'], to: '2026-11-27' }, 'from', /ISO 8601/);
    refused({ period: 'day', from: '2026-11-27', to: '2026-11-26' }, 'from', /after to/);
    refused({ period: 'minute', from: '2026-11-25', to: '2026-11-26T00:01+07:00' }, 'to', /at most 1440 minutes/);
    refused({ period: 'hour', from: '2025-10-01', to: '2025-10-02' }, 'from', /older than the 400 days hours are kept/);
    refused({ period: 'minute', from: '2026-11-17', to: '2026-11-18' }, 'from', /older than the 8 days minutes are kept/);
    refused({ period: 'day', from: '2020-01-01', to: '2026-01-01' }, 'to', /at most 400 days/);
    refused({ period: 'month', from: '1970-01', to: '9999-01' }, 'to', /at most 400 months/);
  });
});
