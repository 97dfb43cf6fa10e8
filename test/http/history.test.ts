// GET and PUT /api/sites/SITE/history on the embedded store: ranges and their errors, access, ETag, CSV,
// explicit zeros, and an old counter's three years of days imported, read back byte for byte, imported twice.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { periodsAt } from '../../src/calendar.js';
import { startInProcess, type InProcess } from '../support/in-process.js';
import { eventually, PageClient } from '../support/page-client.js';

const ADMIN_TOKEN = 'test-admin-token-0123456789';
const READ_TOKEN = 'newsroom-read-token-0123456789abcdef';
const TIME_ZONE = 'Asia/Ho_Chi_Minh';
const DAY_MS = 86_400_000;

function sitesFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sites-history-'));
  const file = join(dir, 'sites.json');
  const secret = 's'.repeat(32);
  writeFileSync(
    file,
    JSON.stringify({
      sites: [
        { id: 'demo', origins: ['http://localhost:*'], memberSecret: secret, timeZone: TIME_ZONE },
        { id: 'newsroom', origins: ['https://newsroom.example'], memberSecret: secret, timeZone: TIME_ZONE, public: false, readToken: READ_TOKEN },
        { id: 'archive', origins: ['https://archive.example'], memberSecret: secret, timeZone: TIME_ZONE },
      ],
    }),
  );
  return file;
}

/** The calendar day `days` after (negative: before) the site's today. */
function dayFromToday(days: number): string {
  const today = periodsAt(Date.now(), TIME_ZONE).day;
  return new Date(Date.parse(`${today}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

const ZERO_PEAK = { online: 0, guests: 0, members: 0, bots: 0 };

describe('history API', () => {
  let hc: InProcess;
  let base: string;
  const auth = (token?: string): Record<string, string> => (token === undefined ? {} : { authorization: `Bearer ${token}` });
  const get = (path: string, token?: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers: { ...auth(token), ...headers } });
  const put = (site: string, body: string, token: string | null = ADMIN_TOKEN, type = 'text/csv') =>
    fetch(`${base}/api/sites/${site}/history`, { method: 'PUT', headers: { ...auth(token ?? undefined), 'content-type': type }, body });
  const days = (site: string, from: string, to: string, format = 'json', token?: string) => get(`/api/sites/${site}/history?period=day&from=${from}&to=${to}&format=${format}`, token);

  before(async () => {
    hc = await startInProcess({ ADMIN_TOKEN, SITES_FILE: sitesFile() });
    base = `http://127.0.0.1:${hc.server.port}`;
  });
  after(() => hc.stop());

  it('refuses bad ranges with a 400 naming the field', async () => {
    const minuteAgo = new Date(Date.now() - 60_000).toISOString();
    const now = new Date().toISOString();
    for (const [query, field] of [
      [`period=week&from=${minuteAgo}&to=${now}`, 'period'],
      [`from=${minuteAgo}&to=${now}`, 'period'],
      [`period=minute&to=${now}`, 'from'],
      [`period=minute&from=${minuteAgo}`, 'to'],
      [`period=day&from=last-week&to=${now}`, 'from'],
      [`period=day&from=2026-02-30&to=${now}`, 'from'],
      [`period=day&from=${dayFromToday(-1)}&to=2026-13-01`, 'to'],
      [`period=day&from=${dayFromToday(0)}&to=${dayFromToday(-1)}`, 'from'],
      [`period=minute&from=${dayFromToday(-2)}&to=${dayFromToday(0)}`, 'to'],
      [`period=hour&from=${dayFromToday(-20)}&to=${dayFromToday(0)}`, 'to'],
      [`period=day&from=${dayFromToday(-500)}&to=${dayFromToday(0)}`, 'to'],
      [`period=minute&from=${dayFromToday(-9)}&to=${dayFromToday(-8)}`, 'from'],
      [`period=hour&from=${dayFromToday(-402)}&to=${dayFromToday(-401)}`, 'from'],
      [`period=day&from=${dayFromToday(-1)}&to=${dayFromToday(0)}&format=xml`, 'format'],
    ] as const) {
      const res = await get(`/api/sites/demo/history?${query}`);
      assert.equal(res.status, 400, query);
      const body = await res.json();
      assert.match(body.error, new RegExp(`^${field}: `), query);
    }
  });

  it('fills a range with explicit zeros, one point a minute, and counts a pageview in its minute', async () => {
    const from = new Date(Date.now() - 10 * 60_000).toISOString();
    const to = new Date(Date.now() + 2 * 60_000).toISOString();
    const path = `/api/sites/archive/history?period=minute&from=${from}&to=${to}`;
    const empty = await (await get(path)).json();
    assert.equal(empty.site, 'archive');
    assert.equal(empty.timeZone, TIME_ZONE);
    assert.equal(empty.period, 'minute');
    assert.equal(empty.points.length, 12);
    for (const point of empty.points) {
      assert.match(point.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:00\+07:00$/);
      assert.deepEqual({ ...point, at: undefined }, { at: undefined, pageviews: 0, visits: 0, peak: ZERO_PEAK });
    }
    const page = await PageClient.open(hc.wsUrl, 'archive', 'https://archive.example');
    await page.hello({ site: 'archive', url: 'https://archive.example/bai-1' });
    const counted = await eventually(
      async () => (await get(path)).json(),
      (body) => body.points.some((p: { pageviews: number }) => p.pageviews === 1),
    );
    const busy = counted.points.filter((p: { pageviews: number }) => p.pageviews > 0);
    assert.equal(busy.length, 1, 'one minute holds the pageview');
    assert.equal(busy[0].visits, 1);
    assert.equal(busy[0].peak.online, 1);
    assert.equal(busy[0].peak.guests, 1);
    await page.close();
  });

  it('gives a CSV with a header row, the day columns, and an ETag that answers 304', async () => {
    const path = `/api/sites/demo/history?period=day&from=${dayFromToday(-2)}&to=${dayFromToday(0)}&format=csv`;
    const res = await get(path);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.match(res.headers.get('cache-control') ?? '', /^public, max-age=\d+$/);
    assert.equal(await res.text(), [
      'at,pageviews,visits,peak_online,peak_guests,peak_members,peak_bots,peak_at,imported',
      `${dayFromToday(-2)}T00:00:00+07:00,0,0,0,0,0,0,,false`,
      `${dayFromToday(-1)}T00:00:00+07:00,0,0,0,0,0,0,,false`,
      '',
    ].join('\r\n'));
    const etag = res.headers.get('etag');
    assert.ok(etag);
    // fetch adds Cache-Control: no-cache to a conditional request unless told otherwise.
    assert.equal((await get(path, undefined, { 'if-none-match': etag, 'cache-control': 'max-age=0' })).status, 304);
    const json = await get(path.replace('format=csv', 'format=json'));
    assert.ok(json.headers.get('etag'));
    assert.notEqual(json.headers.get('etag'), etag);
    assert.deepEqual((await json.json()).points[0], { at: `${dayFromToday(-2)}T00:00:00+07:00`, pageviews: 0, visits: 0, peak: ZERO_PEAK, peakAt: null });
  });

  it('lets a private site be read only with its read token or ADMIN_TOKEN, and answers others like an unknown site', async () => {
    const path = `/api/sites/newsroom/history?period=day&from=${dayFromToday(-1)}&to=${dayFromToday(0)}`;
    for (const token of [undefined, 'wrong-token-0123456789']) {
      const res = await get(path, token);
      assert.equal(res.status, 404);
      assert.deepEqual(await res.json(), { error: 'unknown site' });
    }
    for (const token of [READ_TOKEN, ADMIN_TOKEN]) {
      const res = await get(path, token);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('cache-control') ?? '', /^private/);
    }
    assert.equal((await get(path.replace('newsroom', 'nope'))).status, 404);
    assert.equal((await put('nope', 'date,visits,pageviews\n2020-01-01,1,1\n')).status, 404, 'no series for an unknown site');
  });

  it('imports only with ADMIN_TOKEN and text/csv', async () => {
    const csv = `date,visits,pageviews\n${dayFromToday(-3)},5,9\n`;
    assert.equal((await put('demo', csv, null)).status, 401);
    assert.equal((await put('demo', csv, READ_TOKEN)).status, 401);
    assert.equal((await put('demo', csv, ADMIN_TOKEN, 'application/json')).status, 415);
    const tooBig = `date,visits,pageviews\n${'2020-01-01,1,1\n'.repeat(160_000)}`;
    assert.equal((await put('demo', tooBig)).status, 413);
    const points = (await (await days('demo', dayFromToday(-3), dayFromToday(-2))).json()).points;
    assert.equal(points[0].visits, 0, 'nothing written');
  });

  it('refuses a CSV with a bad row naming its line and field, and writes none of its rows', async () => {
    const good = `${dayFromToday(-6)},5,9`;
    for (const [row, field, message] of [
      [`${dayFromToday(-5)},-1,3`, 'visits', /whole number/],
      [`${dayFromToday(-5)},1.5,3`, 'visits', /whole number/],
      [`${dayFromToday(-5)},1,lots`, 'pageviews', /whole number/],
      [`${dayFromToday(1)},1,3`, 'date', /future/],
      ['2026-02-30,1,3', 'date', /YYYY-MM-DD/],
      [`${dayFromToday(-5)},1`, 'row', /3 columns/],
      [good, 'date', /already given on line 2/],
    ] as const) {
      const res = await put('demo', `date,visits,pageviews\n${good}\n${row}\n`);
      assert.equal(res.status, 400, row);
      const body = await res.json();
      assert.equal(body.line, 3, row);
      assert.equal(body.field, field, row);
      assert.match(body.error, /^line 3: /);
      assert.match(body.error, message, row);
    }
    const header = await put('demo', `day,visits,pageviews\n${good}\n`);
    assert.deepEqual(await header.json(), { error: 'line 1: header: expected "date,visits,pageviews" (days) or "month,visits,pageviews" (months), got "day,visits,pageviews"', field: 'header', line: 1 });
    const points = (await (await days('demo', dayFromToday(-6), dayFromToday(-4))).json()).points;
    assert.deepEqual(points.map((p: { visits: number }) => p.visits), [0, 0], 'nothing written');
  });

  it('imports three years of days that read back byte for byte, marked imported; twice changes nothing; totals stay', async () => {
    const before = (await hc.stats('demo')).body;
    const rows: string[] = [];
    for (let i = 1_096; i >= 1; i--) rows.push(`${dayFromToday(-i)},${(i * 7_919) % 40_000},${(i * 104_729) % 90_000 + 40_000}`);
    const csv = `date,visits,pageviews\n${rows.join('\n')}\n`;
    for (let round = 0; round < 2; round++) {
      const res = await put('demo', csv);
      assert.equal(res.status, 200, await res.clone().text());
      assert.deepEqual(await res.json(), { site: 'demo', period: 'day', imported: 1_096 });
      const exported: string[] = [];
      for (let start = -1_096; start < 0; start += 400) {
        const res = await days('demo', dayFromToday(start), dayFromToday(Math.min(start + 400, 0)), 'csv');
        assert.equal(res.status, 200);
        const [header, ...lines] = (await res.text()).trimEnd().split('\r\n');
        assert.equal(header, 'at,pageviews,visits,peak_online,peak_guests,peak_members,peak_bots,peak_at,imported');
        for (const line of lines) {
          const [at, pageviews, visits, , , , , , imported] = line.split(',');
          assert.equal(imported, 'true', at);
          exported.push(`${at!.slice(0, 10)},${visits},${pageviews}`);
        }
      }
      assert.equal(`date,visits,pageviews\n${exported.join('\n')}\n`, csv, `round ${round + 1}`);
    }
    const json = await (await days('demo', dayFromToday(-2), dayFromToday(0))).json();
    assert.equal(json.points[1].imported, true);
    assert.equal(json.points[1].visits, 7_919 % 40_000);
    const after = (await hc.stats('demo')).body;
    assert.equal(after.visits.total, before.visits.total, 'lifetime totals untouched');
    assert.equal(after.pageviews.total, before.pageviews.total);
  });

  it('imports months', async () => {
    const res = await put('archive', 'month,visits,pageviews\n2024-01,1000,3000\n2024-02,1100,3300\n');
    assert.equal(res.status, 200);
    const body = await (await get('/api/sites/archive/history?period=month&from=2024-01&to=2024-03')).json();
    assert.deepEqual(body.points.map((p: object) => ({ ...p, peak: undefined })), [
      { at: '2024-01-01T00:00:00+07:00', pageviews: 3000, visits: 1000, peak: undefined, peakAt: null, imported: true },
      { at: '2024-02-01T00:00:00+07:00', pageviews: 3300, visits: 1100, peak: undefined, peakAt: null, imported: true },
    ]);
  });
});
