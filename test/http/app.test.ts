// HTTP endpoints: stats, admin, health, metrics, and JSON errors for everything else.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcess } from '../support/in-process.js';
import { PageClient } from '../support/page-client.js';

const ADMIN_TOKEN = 'test-admin-token-0123456789';

describe('HTTP API', () => {
  let hc: InProcess;
  let base: string;
  const put = (site: string, body: string, token: string | null = ADMIN_TOKEN) =>
    fetch(`${base}/api/sites/${site}/totals`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sites-'));
    const sitesFile = join(dir, 'sites.json');
    const secret = 's'.repeat(32);
    writeFileSync(
      sitesFile,
      JSON.stringify({
        sites: [
          { id: 'demo', origins: ['http://localhost:*'], memberSecret: secret, timeZone: 'Asia/Ho_Chi_Minh' },
          { id: 'intranet', origins: ['https://intra.example'], memberSecret: secret, public: false },
        ],
      }),
    );
    hc = await startInProcess({ ADMIN_TOKEN, SITES_FILE: sitesFile });
    base = `http://127.0.0.1:${hc.server.port}`;
  });
  after(() => hc.stop());

  it('serves the documented stats shape, open to other origins and cacheable for a second', async () => {
    const page = await PageClient.open(hc.wsUrl);
    await page.hello();
    const { status, body, headers } = await hc.stats();
    assert.equal(status, 200);
    assert.deepEqual(Object.keys(body).sort(), ['at', 'online', 'pageviews', 'peak', 'site', 'visits']);
    assert.deepEqual(body.online, { guests: 1, members: 0, total: 1, bots: 0 });
    assert.deepEqual(body.visits, { total: 1, today: 1, month: 1, yesterday: 0 });
    assert.equal(body.peak.online, 1);
    assert.ok(!Number.isNaN(Date.parse(body.peak.at)) && !Number.isNaN(Date.parse(body.at)));
    assert.equal(headers.get('access-control-allow-origin'), '*');
    assert.equal(headers.get('cross-origin-resource-policy'), 'cross-origin');
    assert.match(headers.get('cache-control') ?? '', /max-age=1/);
    const etag = headers.get('etag');
    assert.ok(etag);
    // fetch adds "Cache-Control: no-cache" to conditional requests unless one is given, as browsers do on reload.
    const again = await fetch(`${base}/api/sites/demo/stats`, { headers: { 'if-none-match': etag, 'cache-control': 'max-age=0' } });
    assert.equal(again.status, 304);
    await page.close();
  });

  it('answers 404 with JSON for unknown and private sites, counted by reason, and for unknown routes', async () => {
    const unknownSites = async () =>
      Number(/headcount_sessions_rejected_total\{reason="unknown_site"\} (\d+)/.exec(await (await fetch(`${base}/metrics`)).text())?.[1]);
    const before = await unknownSites();
    const paths = ['/api/sites/nope/stats', '/api/sites/intranet/stats', '/api/sites/%7Bdemo%7D/stats', '/api/sites/nope/badge.svg', '/api/sites/intranet/badge.svg'];
    for (const path of paths) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 404);
      assert.deepEqual(await res.json(), { error: 'unknown site' });
    }
    assert.equal(await unknownSites(), before + paths.length);
    const res = await fetch(`${base}/nothing-here`);
    assert.equal(res.status, 404);
    assert.match((await res.json()).error, /no route for GET \/nothing-here/);
  });

  it('sets starting totals only with the admin token', async () => {
    assert.equal((await put('demo', '{"visits":52015394}', null)).status, 401);
    assert.equal((await put('demo', '{"visits":52015394}', 'wrong-token-0000000000')).status, 401);
    for (const [body, error] of [
      ['{"visits":-1}', /visits: expected a whole number/],
      ['{"visits":1.5}', /visits: expected a whole number/],
      ['{"hits":3}', /unknown field "hits"/],
      ['{}', /give visits, pageviews or both/],
      ['[1]', /expected a JSON object/],
      ['{"visits":', /not valid JSON/],
    ] as const) {
      const res = await put('demo', body);
      assert.equal(res.status, 400, body);
      assert.match((await res.json()).error, error);
    }
    assert.equal((await put('nope', '{"visits":1}')).status, 404);
    const before = (await hc.stats()).body.visits.total;
    assert.ok(before < 52_015_394);
    const ok = await put('demo', '{"visits":52015394,"pageviews":90000000}');
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { site: 'demo', visits: 52_015_394, pageviews: 90_000_000 });
    const after = (await hc.stats()).body;
    assert.equal(after.visits.total, 52_015_394);
    assert.equal(after.pageviews.total, 90_000_000);
  });

  it('reports liveness, readiness and Prometheus metrics', async () => {
    assert.deepEqual(await (await fetch(`${base}/healthz`)).json(), { status: 'ok' });
    assert.deepEqual(await (await fetch(`${base}/readyz`)).json(), { status: 'ready' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^headcount_online_visitors\{site="demo",kind="guest"\} \d+$/m);
    assert.match(metrics, /^headcount_visits_total\{site="demo"\} 52015394$/m);
    assert.doesNotMatch(metrics, /site="nope"/);
  });
});

describe('HTTP API without ADMIN_TOKEN', () => {
  it('keeps the admin API disabled', async () => {
    const hc = await startInProcess();
    try {
      const res = await fetch(`http://127.0.0.1:${hc.server.port}/api/sites/demo/totals`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: 'Bearer anything-at-all-here' },
        body: '{"visits":5}',
      });
      assert.equal(res.status, 403);
      assert.match((await res.json()).error, /admin API disabled/);
    } finally {
      await hc.stop();
    }
  });
});

describe('HTTP API rate limit', () => {
  it('answers 429 with JSON past the per-address limit, and counts it', async () => {
    const hc = await startInProcess({ HTTP_REQUESTS_PER_MINUTE: '5' });
    try {
      const statuses = [];
      for (let i = 0; i < 7; i++) statuses.push((await hc.stats()).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
      const res = await hc.stats();
      assert.match(res.body.error, /more than 5 API requests per minute/);
      const metrics = await (await fetch(`http://127.0.0.1:${hc.server.port}/metrics`)).text();
      assert.match(metrics, /headcount_sessions_rejected_total\{reason="http_rate_limit"\} 3/);
    } finally {
      await hc.stop();
    }
  });
});
