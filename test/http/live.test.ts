// GET /api/sites/SITE/live and /pages/today on the embedded store: limits, days, access, caching,
// a real page's hello showing up in both, and the answer when the store cannot be read.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { SOURCES } from '../../src/audience/source.js';
import { periodsAt } from '../../src/calendar.js';
import { cachedRoutes } from '../../src/http/cached-routes.js';
import { unknownSiteResponder } from '../../src/http/errors.js';
import { livePagesRoutes, liveRoute } from '../../src/http/routes/live.js';
import { statsRoute } from '../../src/http/routes/stats.js';
import { loadSites } from '../../src/sites.js';
import { startInProcess, type InProcess } from '../support/in-process.js';
import { startRedisServer } from '../support/redis-server.js';
import { eventually, PageClient } from '../support/page-client.js';

const ADMIN_TOKEN = 'test-admin-token-0123456789';
const READ_TOKEN = 'newsroom-read-token-0123456789abcdef';
const OTHER_TOKEN = 'another-sites-read-token-0123456789';
const TIME_ZONE = 'Asia/Ho_Chi_Minh';
const ARTICLE = 'http://localhost:3000/thoi-su/bai-viet-123';

function sitesFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sites-live-'));
  const file = join(dir, 'sites.json');
  const secret = 's'.repeat(32);
  writeFileSync(
    file,
    JSON.stringify({
      sites: [
        { id: 'demo', origins: ['http://localhost:*'], memberSecret: secret, timeZone: TIME_ZONE, live: 'public' },
        { id: 'newsroom', origins: ['https://newsroom.example'], memberSecret: secret, timeZone: TIME_ZONE, readToken: READ_TOKEN },
        { id: 'closed', origins: ['https://closed.example'], memberSecret: secret, readToken: OTHER_TOKEN },
      ],
    }),
  );
  return file;
}

/** A calendar day `days` after (negative: before) the site's today. */
function dayFromToday(days: number): string {
  const today = periodsAt(Date.now(), TIME_ZONE).day;
  return new Date(Date.parse(`${today}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

describe('live API', () => {
  let hc: InProcess;
  let base: string;
  const get = (path: string, token?: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers } });

  before(async () => {
    hc = await startInProcess({ ADMIN_TOKEN, SITES_FILE: sitesFile() });
    base = `http://127.0.0.1:${hc.server.port}`;
  });
  after(() => hc.stop());

  for (const path of ['/api/sites/demo/live', '/api/sites/demo/pages/today']) {
    it(`${path} refuses limits outside 1-100 with a 400 naming limit`, async () => {
      for (const limit of ['0', '101', '1000', '-1', '1.5', 'ten', '', '1e2', '0x10', '%201']) {
        const res = await get(`${path}?limit=${limit}`);
        assert.equal(res.status, 400, `limit=${limit}`);
        assert.deepEqual(await res.json(), { error: 'limit: expected a whole number from 1 to 100' });
      }
      const twice = await get(`${path}?limit=5&limit=6`);
      assert.equal(twice.status, 400, 'a repeated limit is not a number');
    });

    it(`${path} answers limits 1 and 100 and none`, async () => {
      for (const query of ['?limit=1', '?limit=100', '', '?limit=010']) {
        const res = await get(`${path}${query}`);
        assert.equal(res.status, 200, query);
        assert.ok(Array.isArray((await res.json()).pages));
      }
    });
  }

  it('refuses days that are not dates, in the future or past the 35 kept', async () => {
    const first = dayFromToday(-34);
    const last = dayFromToday(0);
    const outside = { error: `day: expected a day from ${first} to ${last} (the last 35 days of the site's calendar)` };
    for (const [day, body] of [
      [dayFromToday(1), outside],
      [dayFromToday(-35), outside],
      ['1999-01-01', outside],
      ['2026-02-30', { error: 'day: expected a date YYYY-MM-DD' }],
      ['2026-13-01', { error: 'day: expected a date YYYY-MM-DD' }],
      ['20261201', { error: 'day: expected a date YYYY-MM-DD' }],
      ['today', { error: 'day: expected a date YYYY-MM-DD' }],
      ['', { error: 'day: expected a date YYYY-MM-DD' }],
      [`${last}T00:00`, { error: 'day: expected a date YYYY-MM-DD' }],
    ] as const) {
      const res = await get(`/api/sites/demo/pages/today?day=${encodeURIComponent(day)}`);
      assert.equal(res.status, 400, `day=${day}`);
      assert.deepEqual(await res.json(), body, `day=${day}`);
    }
  });

  it('answers today and the oldest kept day', async () => {
    for (const day of [dayFromToday(0), dayFromToday(-34)]) {
      const res = await get(`/api/sites/demo/pages/today?day=${day}`);
      assert.equal(res.status, 200, day);
      assert.deepEqual(await res.json(), { site: 'demo', day, pages: [] });
    }
    const today = await (await get('/api/sites/demo/pages/today')).json();
    assert.equal(today.day, dayFromToday(0), "no day: the site's today");
  });

  it("answers a private site's live data exactly like an unknown site without the right token", async () => {
    const unknown = await get('/api/sites/nope/live');
    const unknownBody = await unknown.text();
    assert.equal(unknown.status, 404);
    assert.deepEqual(JSON.parse(unknownBody), { error: 'unknown site' });
    for (const path of ['/api/sites/newsroom/live', '/api/sites/newsroom/pages/today', '/api/sites/newsroom/live?limit=0', '/api/sites/newsroom/pages/today?day=x']) {
      for (const token of [undefined, 'wrong-token-of-the-same-sort-0123456', OTHER_TOKEN, `${READ_TOKEN}x`, '']) {
        const res = await get(path, token);
        assert.equal(res.status, 404, `${path} with ${token}`);
        assert.equal(await res.text(), unknownBody, `${path} with ${token}`);
        assert.equal(res.headers.get('access-control-allow-origin'), unknown.headers.get('access-control-allow-origin'));
        assert.equal(res.headers.get('cache-control'), unknown.headers.get('cache-control'));
      }
    }
    assert.equal((await get('/api/sites/newsroom/live', undefined, { authorization: READ_TOKEN })).status, 404, 'a token without "Bearer " is none');
    assert.equal((await get('/api/sites/closed/live', READ_TOKEN)).status, 404, "one site's read token does not open another");
  });

  it("opens a private site's live data to its readToken and to ADMIN_TOKEN, uncached by shared caches", async () => {
    for (const token of [READ_TOKEN, ADMIN_TOKEN]) {
      for (const path of ['/api/sites/newsroom/live', '/api/sites/newsroom/pages/today']) {
        const res = await get(path, token);
        assert.equal(res.status, 200, `${path} with ${token}`);
        assert.equal((await res.json()).site, 'newsroom');
        assert.equal(res.headers.get('cache-control'), 'private, max-age=1');
        assert.match(res.headers.get('vary') ?? '', /Authorization/i);
      }
    }
    assert.equal((await get('/api/sites/closed/live', ADMIN_TOKEN)).status, 200, 'ADMIN_TOKEN opens a private site without a readToken');
    assert.equal((await get('/api/sites/closed/live?limit=0', OTHER_TOKEN)).status, 400, 'with the token, bad input is told');
  });

  it('serves a public site to any origin, cacheable for a second with an ETag', async () => {
    for (const path of ['/api/sites/demo/live?limit=3', '/api/sites/demo/pages/today?limit=3']) {
      const res = await get(path);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      assert.equal(res.headers.get('cross-origin-resource-policy'), 'cross-origin');
      assert.equal(res.headers.get('cache-control'), 'public, max-age=1');
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      const etag = res.headers.get('etag');
      assert.ok(etag, path);
      // fetch adds "Cache-Control: no-cache" to conditional requests unless one is given, as browsers do on reload.
      const again = await eventually(
        () => get(path, undefined, { 'if-none-match': etag, 'cache-control': 'max-age=0' }),
        // The view is read afresh each second; a read in the same second must give the same ETag.
        (r) => r.status === 304,
        3_000,
      );
      assert.equal(await again.text(), '');
    }
  });

  it('answers a preflight for a token-carrying dashboard on another origin, the same for every site id', async () => {
    for (const site of ['newsroom', 'nope']) {
      const res = await fetch(`${base}/api/sites/${site}/live`, {
        method: 'OPTIONS',
        headers: { origin: 'https://dashboard.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      assert.match(res.headers.get('access-control-allow-headers') ?? '', /authorization/i);
    }
  });

  it('shows a page read through a real WebSocket hello: readers, engaged, source, and its pageview today', async () => {
    const page = await PageClient.open(hc.wsUrl);
    await page.hello({ url: ARTICLE, title: '  Bài viết\u0000 số 123  ', section: 'Thời sự', ref: 'https://www.google.com/' });
    const second = await PageClient.open(hc.wsUrl);
    await second.hello({ url: `${ARTICLE}?utm_medium=email#comments` });
    const view = await eventually(
      async () => (await get('/api/sites/demo/live?limit=5')).json(),
      (body) => body.pages.some((p: { url: string; readers: number }) => p.url === ARTICLE && p.readers === 2),
    );
    assert.deepEqual(Object.keys(view).sort(), ['at', 'engaged', 'online', 'pages', 'referrers', 'site', 'sources']);
    assert.equal(view.site, 'demo');
    assert.deepEqual(view.online, { guests: 2, members: 0, total: 2, bots: 0 });
    assert.deepEqual(Object.keys(view.sources).sort(), [...SOURCES].sort());
    const article = view.pages.find((p: { url: string }) => p.url === ARTICLE);
    assert.equal(article.title, 'Bài viết số 123');
    assert.equal(article.section, 'Thời sự');
    assert.equal(article.author, undefined, 'unknown meta is left out');
    assert.equal(article.engaged, 2, 'a visible page is engaged at arrival');
    assert.equal(article.sources.search, 1);
    assert.equal(article.sources.email, 1, 'the query and fragment are not part of the page; utm_medium=email is email');
    assert.equal(view.engaged, 2);
    assert.deepEqual(view.referrers, [{ host: 'google.com', readers: 1 }]);

    const today = await eventually(
      async () => (await get('/api/sites/demo/pages/today')).json(),
      (body) => body.pages.some((p: { url: string }) => p.url === ARTICLE),
    );
    const row = today.pages.find((p: { url: string }) => p.url === ARTICLE);
    assert.equal(row.pageviews, 2);
    assert.equal(typeof row.engagedSeconds, 'number');
    assert.deepEqual(Object.keys(row).sort(), ['engagedSeconds', 'pageviews', 'section', 'title', 'url']);

    await page.close();
    await second.close();
    await eventually(
      async () => (await get('/api/sites/demo/live')).json(),
      (body) => !body.pages.some((p: { url: string }) => p.url === ARTICLE),
    );
  });
});

describe('LIVE_PAGES_MAX', () => {
  it('reaches the store: pages beyond it are counted under (other)', async () => {
    const hc = await startInProcess({ SITES_FILE: sitesFile(), LIVE_PAGES_MAX: '2' });
    const pages: PageClient[] = [];
    try {
      for (const n of [1, 2, 3]) {
        const page = await PageClient.open(hc.wsUrl);
        await page.hello({ url: `http://localhost:3000/bai-${n}` });
        pages.push(page);
      }
      const view = await eventually(
        async () => (await fetch(`http://127.0.0.1:${hc.server.port}/api/sites/demo/live`)).json(),
        (body) => body.online.total === 3,
      );
      assert.deepEqual(view.pages.map((p: { url: string }) => p.url).sort(), ['(other)', 'http://localhost:3000/bai-1', 'http://localhost:3000/bai-2']);
    } finally {
      for (const page of pages) page.socket.terminate();
      await hc.stop();
    }
  });
});

describe('live API rate limit', () => {
  it('counts the live routes against HTTP_REQUESTS_PER_MINUTE like every /api request', async () => {
    const hc = await startInProcess({ SITES_FILE: sitesFile(), HTTP_REQUESTS_PER_MINUTE: '3' });
    try {
      const base = `http://127.0.0.1:${hc.server.port}`;
      const statuses = [];
      for (const path of ['/live', '/pages/today', '/live', '/pages/today']) statuses.push((await fetch(`${base}/api/sites/demo${path}`)).status);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
    } finally {
      await hc.stop();
    }
  });
});

describe('live API on Redis', () => {
  it('shows a page read now, then answers 503 once Redis is gone', async () => {
    const redis = await startRedisServer();
    const hc = await startInProcess({ SITES_FILE: sitesFile(), REDIS_URL: redis.url, KEY_PREFIX: 'hc-live-api' });
    const page = await PageClient.open(hc.wsUrl);
    try {
      await page.hello({ url: ARTICLE, title: 'Bài viết' });
      const base = `http://127.0.0.1:${hc.server.port}`;
      const view = await eventually(
        async () => (await fetch(`${base}/api/sites/demo/live`)).json(),
        (body) => body.pages.some((p: { url: string; readers: number }) => p.url === ARTICLE && p.readers === 1),
      );
      assert.equal(view.pages[0].title, 'Bài viết');
      const today = await (await fetch(`${base}/api/sites/demo/pages/today`)).json();
      assert.equal(today.pages[0]?.pageviews, 1);
      await redis.kill();
      for (const path of ['/api/sites/demo/live?limit=2', '/api/sites/demo/pages/today?limit=2']) {
        const res = await eventually(() => fetch(`${base}${path}`), (r) => r.status !== 200, 10_000);
        assert.equal(res.status, 503, path);
        assert.deepEqual(await res.json(), { error: 'store unavailable' });
        assert.ok(Number(res.headers.get('retry-after')) > 0);
      }
    } finally {
      page.socket.terminate();
      await hc.stop();
      await redis.stop();
    }
  });
});

describe('live API without a readable store', () => {
  it('answers 503 with a JSON error and Retry-After', async () => {
    // The routes alone, on readers whose store read fails (the embedded store does not fail reads).
    const down = () => Promise.reject(new Error('store down'));
    const deps = { sites: loadSites(sitesFile()), live: { read: down }, dayPages: { read: down }, adminToken: undefined, clock: Date.now, unknownSite: unknownSiteResponder(() => {}) };
    const app = express().use(livePagesRoutes(deps));
    const failures: unknown[] = [];
    const cached = cachedRoutes({ stats: statsRoute(deps.sites, { read: down }, deps.unknownSite), live: liveRoute(deps) }, () => true, (error) => failures.push(error));
    const server = createServer((req, res) => {
      if (!cached(req, res)) void app(req, res);
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      for (const path of ['/api/sites/demo/live', '/api/sites/demo/pages/today', '/api/sites/demo/stats']) {
        const res = await fetch(`${base}${path}`);
        assert.equal(res.status, 503, path);
        assert.deepEqual(await res.json(), { error: 'store unavailable' });
        assert.ok(Number(res.headers.get('retry-after')) > 0);
        assert.equal(res.headers.get('access-control-allow-origin'), '*', path);
      }
      assert.deepEqual(failures, [], 'a store failure is an answer, not a handler error');
    } finally {
      server.close();
    }
  });
});
