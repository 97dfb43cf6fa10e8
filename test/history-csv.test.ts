import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketsBetween } from '../src/audience/calendar-buckets.js';
import { CsvError, formatHistoryCsv, parseImportCsv } from '../src/history-csv.js';

const TODAY = '2026-11-26';

function refused(text: string, line: number, field: string, message: RegExp): void {
  assert.throws(
    () => parseImportCsv(text, TODAY),
    (error: unknown) => error instanceof CsvError && error.line === line && error.field === field && message.test(error.message),
  );
}

describe('history CSV import', () => {
  it('reads days and months, columns in any order, with a BOM, CRLF and trailing blank lines', () => {
    assert.deepEqual(parseImportCsv('\uFEFFdate,visits,pageviews\r\n2026-01-01,10,25\r\n2026-11-26,0,0\r\n\r\n', TODAY), {
      period: 'day',
      rows: [{ key: '2026-01-01', visits: 10, pageviews: 25 }, { key: '2026-11-26', visits: 0, pageviews: 0 }],
    });
    assert.deepEqual(parseImportCsv('pageviews,Month,visits\n900,2026-11,400\n', TODAY), {
      period: 'month',
      rows: [{ key: '2026-11', visits: 400, pageviews: 900 }],
    });
  });

  it('names the line and the field of the first bad row', () => {
    refused('day,visits,pageviews\n2026-01-01,1,1', 1, 'header', /date,visits,pageviews/);
    refused('date,visits\n2026-01-01,1', 1, 'header', /date,visits,pageviews/);
    refused('', 1, 'header', /expected/);
    refused('date,visits,pageviews\n', 2, 'row', /no rows/);
    refused('date,visits,pageviews\n2026-01-01,1,1\n2026-02-30,1,1', 3, 'date', /YYYY-MM-DD.*"2026-02-30"/);
    refused('date,visits,pageviews\n26-01-01,1,1', 2, 'date', /YYYY-MM-DD/);
    refused('date,visits,pageviews\n1969-12-31,1,1', 2, 'date', /from 1970/);
    refused('month,visits,pageviews\n2026-13,1,1', 2, 'month', /YYYY-MM/);
    refused('date,visits,pageviews\n2026-11-27,1,1', 2, 'date', /future.*2026-11-26/);
    refused('month,visits,pageviews\n2026-12,1,1', 2, 'month', /future.*2026-11/);
    refused('date,visits,pageviews\n2026-01-01,-5,1', 2, 'visits', /whole number >= 0, got "-5"/);
    refused('date,visits,pageviews\n2026-01-01,1,2.5', 2, 'pageviews', /whole number/);
    refused('date,visits,pageviews\n2026-01-01,1,', 2, 'pageviews', /whole number/);
    refused('date,visits,pageviews\n2026-01-01,1,99999999999999999', 2, 'pageviews', /whole number/);
    refused('date,visits,pageviews\n2026-01-01,1,1\n2026-01-02,1,1\n2026-01-01,2,2', 4, 'date', /already given on line 2/);
    refused('date,visits,pageviews\n2026-01-01,1,1,1', 2, 'row', /3 columns, got 4/);
    refused('date,visits,pageviews\n2026-01-01,1,1\n\n2026-01-03,1,1', 3, 'row', /3 columns, got 1/);
  });
});

describe('history CSV export', () => {
  const zone = 'Asia/Ho_Chi_Minh';
  const zero = { online: 0, guests: 0, members: 0, bots: 0 };

  it('has a header row and one row a bucket; days add the peak time and the imported mark', () => {
    const days = [...bucketsBetween(Date.UTC(2026, 0, 1, -7), Date.UTC(2026, 0, 3, -7), zone, 'day')];
    const csv = formatHistoryCsv('day', days, [
      { pageviews: 5, visits: 3, peak: { online: 2, guests: 1, members: 1, bots: 4 }, peakAt: Date.UTC(2026, 0, 1, 2, 30), imported: false },
      { pageviews: 9, visits: 7, peak: zero, peakAt: null, imported: true },
    ], zone);
    assert.equal(csv, [
      'at,pageviews,visits,peak_online,peak_guests,peak_members,peak_bots,peak_at,imported',
      '2026-01-01T00:00:00+07:00,5,3,2,1,1,4,2026-01-01T09:30:00+07:00,false',
      '2026-01-02T00:00:00+07:00,9,7,0,0,0,0,,true',
      '',
    ].join('\r\n'));
  });

  it('gives minutes and hours without the day columns', () => {
    const minutes = [...bucketsBetween(Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1, 0, 1), zone, 'minute')];
    assert.equal(formatHistoryCsv('minute', minutes, [{ pageviews: 0, visits: 0, peak: zero }], zone),
      'at,pageviews,visits,peak_online,peak_guests,peak_members,peak_bots\r\n2026-01-01T07:00:00+07:00,0,0,0,0,0,0\r\n');
  });
});
