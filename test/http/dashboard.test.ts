// GET /dashboard/SITE and its assets on the embedded store: the shell's CSP and data- attributes, no inline
// script or style, language, access with share links and read tokens (missing, wrong, expired, revoked),
// share tokens on the read routes and the `live` subscription, the socket from the dashboard's own origin,
// asset ETags and the answer while the bundle is not built.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { dashboardRoutes } from '../../src/http/routes/dashboard.js';
import type { ServerMessage } from '../../src/protocol.js';
import { CloseCode } from '../../src/protocol.js';
import { makeShareToken } from '../../src/share-links.js';
import { loadSites, type Site } from '../../src/sites.js';
import { startInProcess, type InProcess } from '../support/in-process.js';
import { PageClient } from '../support/page-client.js';

const READ_TOKEN = 'newsroom-read-token-0123456789abcdef';
const NEW_READ_TOKEN = 'newsroom-read-token-changed-0123456789';
const ADMIN_TOKEN = 'test-admin-token-0123456789';
const DAY_MS = 86_400_000;

function sitesFile(readToken: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sites-dashboard-')), 'sites.json');
  const secret = 's'.repeat(32);
  writeFileSync(
    file,
    JSON.stringify({
      sites: [
        { id: 'demo', origins: ['http://localhost:*'], memberSecret: secret, timeZone: 'Asia/Ho_Chi_Minh', live: 'public' },
        { id: 'newsroom', origins: ['https://newsroom.example'], memberSecret: secret, timeZone: 'Europe/Berlin', public: false, readToken },
      ],
    }),
  );
  return file;
}

/** Every tag of the page, with its attributes and what follows it up to the next tag. */
function tags(html: string): { name: string; attributes: string; text: string }[] {
  return [...html.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>([^<]*)/g)].map(([, name, attributes, text]) => ({ name: name!.toLowerCase(), attributes: attributes!, text: text! }));
}

const attribute = (html: string, name: string) => new RegExp(`<html[^>]* ${name}="([^"]*)"`).exec(html)?.[1];

describe('dashboard', () => {
  let hc: InProcess;
  let base: string;
  let newsroom: Site;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });
  const share = (days = 30, now = Date.now()) => makeShareToken(newsroom, days, now).token;

  before(async () => {
    hc = await startInProcess({ ADMIN_TOKEN, SITES_FILE: sitesFile(READ_TOKEN) });
    base = `http://127.0.0.1:${hc.server.port}`;
    newsroom = hc.sites.get('newsroom')!;
  });
  after(() => hc.stop());

  it('serves a public site\'s shell with a strict CSP, its settings in data- attributes and no inline script or style', async () => {
    const res = await get('/dashboard/demo?lang=en');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/html; charset=utf-8/);
    const csp = res.headers.get('content-security-policy')!;
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", `connect-src 'self' ws://127.0.0.1:${hc.server.port} wss://127.0.0.1:${hc.server.port}`, "frame-ancestors 'none'"]) {
      assert.ok(csp.split('; ').includes(directive), `${directive} in ${csp}`);
    }
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    const html = await res.text();
    assert.equal(attribute(html, 'lang'), 'en');
    assert.equal(attribute(html, 'data-site'), 'demo');
    assert.equal(attribute(html, 'data-board'), '0');
    assert.equal(attribute(html, 'data-tz'), 'Asia/Ho_Chi_Minh');
    assert.equal(attribute(html, 'data-ws'), `ws://127.0.0.1:${hc.server.port}/ws?site=demo`);
    assert.equal(attribute(html, 'data-access'), '');
    const all = tags(html);
    const scripts = all.filter((tag) => tag.name === 'script');
    assert.equal(scripts.length, 1);
    assert.match(scripts[0]!.attributes, /src="\/dashboard\/dashboard\.js\?v=[^"]+"/);
    assert.equal(scripts[0]!.text.trim(), '', 'no inline script');
    assert.ok(all.some((tag) => tag.name === 'link' && /rel="stylesheet" href="\/dashboard\/dashboard\.css\?v=/.test(tag.attributes)));
    assert.ok(!all.some((tag) => tag.name === 'style'), 'no style element');
    assert.ok(!all.some((tag) => /\s(style|on[a-z]+)=/i.test(tag.attributes)), 'no style or event handler attributes');
    assert.equal(attribute(await (await get('/dashboard/demo?board=1')).text(), 'data-board'), '1');
  });

  it('takes the language from ?lang, else from Accept-Language, Vietnamese when it names neither', async () => {
    const langOf = async (path: string, headers: Record<string, string> = {}) => attribute(await (await get(path, headers)).text(), 'data-lang');
    assert.equal(await langOf('/dashboard/demo?lang=vi', { 'accept-language': 'en-US,en;q=0.9' }), 'vi');
    assert.equal(await langOf('/dashboard/demo', { 'accept-language': 'en-GB,en;q=0.9,vi;q=0.5' }), 'en');
    assert.equal(await langOf('/dashboard/demo', { 'accept-language': 'vi-VN,vi;q=0.9,en;q=0.8' }), 'vi');
    assert.equal(await langOf('/dashboard/demo', { 'accept-language': 'fr-FR,de;q=0.5' }), 'vi');
    assert.equal(await langOf('/dashboard/demo'), 'vi');
    const res = await get('/dashboard/demo', { 'accept-language': 'en' });
    assert.match(res.headers.get('vary') ?? '', /Accept-Language/);
  });

  it('answers a bad ?lang or ?board with a 400 page that says what is wrong', async () => {
    for (const [query, message] of [
      ['lang=fr', /lang: expected vi or en/],
      ['board=yes', /board: expected 1/],
      ['lang=vi&lang=en', /lang: give it once/],
    ] as const) {
      const res = await get(`/dashboard/demo?${query}`, { 'accept-language': 'en' });
      assert.equal(res.status, 400, query);
      assert.match(res.headers.get('content-type')!, /^text\/html/);
      assert.match(await res.text(), message);
    }
  });

  it('opens a private site to a fresh share link and to its read token, passing them on as data-access', async () => {
    const token = share();
    const res = await get(`/dashboard/newsroom?share=${token}`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.equal(attribute(html, 'data-access'), token);
    assert.equal(attribute(html, 'data-tz'), 'Europe/Berlin');
    const byKey = await get(`/dashboard/newsroom?key=${READ_TOKEN}`);
    assert.equal(byKey.status, 200);
    assert.equal(attribute(await byKey.text(), 'data-access'), READ_TOKEN);
  });

  it('shows the same 404 page for an unknown site and for a private one asked without credentials', async () => {
    const unknown = await get('/dashboard/nope', { 'accept-language': 'en' });
    const privateOne = await get('/dashboard/newsroom', { 'accept-language': 'en' });
    assert.equal(unknown.status, 404);
    assert.equal(privateOne.status, 404);
    const text = await unknown.text();
    assert.equal(text, await privateOne.text(), 'existence is not disclosed');
    assert.match(text, /<h1>This dashboard is not available<\/h1>/);
    assert.match(text, /Ask the site's owner for a share link/);
    assert.match(unknown.headers.get('content-security-policy')!, /default-src 'none'/);
    assert.match(await (await get('/dashboard/newsroom', { 'accept-language': 'vi' })).text(), /<html lang="vi">[\s\S]*Không xem được bảng số liệu này/);
  });

  it('refuses a wrong, forged, revoked or expired link with a 403 page that says which and what to do', async () => {
    const token = share();
    const [site, expiry, mac] = token.split('.') as [string, string, string];
    for (const wrong of [`${site}.${Number(expiry) + 1}.${mac}`, 'garbage', `${token}x`, makeShareToken({ ...newsroom, readToken: NEW_READ_TOKEN }, 30, Date.now()).token]) {
      const res = await get(`/dashboard/newsroom?share=${encodeURIComponent(wrong)}`, { 'accept-language': 'en' });
      assert.equal(res.status, 403, wrong);
      assert.match(await res.text(), /This link is not valid[\s\S]*revoked/);
    }
    const wrongKey = await get(`/dashboard/newsroom?key=${READ_TOKEN}x`, { 'accept-language': 'en' });
    assert.equal(wrongKey.status, 403);
    const unknown = await get(`/dashboard/nope?share=${token}`, { 'accept-language': 'en' });
    assert.equal(unknown.status, 403, 'a link to an unknown site looks like any invalid link');
    const expired = makeShareToken(newsroom, 1, Date.now() - 2 * DAY_MS).token;
    const res = await get(`/dashboard/newsroom?share=${expired}`, { 'accept-language': 'en' });
    assert.equal(res.status, 403);
    const text = await res.text();
    assert.match(text, /<h1>This link has expired<\/h1>/);
    assert.match(text, /It was valid until [^.]*\d{4}/, 'says until when');
    assert.match(await (await get(`/dashboard/newsroom?share=${expired}`, { 'accept-language': 'vi' })).text(), /Đường dẫn đã hết hạn/);
  });

  it('lets the server clock expire a link', async () => {
    const token = makeShareToken(newsroom, 1, Date.now()).token;
    assert.equal((await get(`/dashboard/newsroom?share=${token}`)).status, 200);
    hc.advance(DAY_MS + 1_000);
    try {
      assert.equal((await get(`/dashboard/newsroom?share=${token}`)).status, 403);
      assert.equal((await get('/api/sites/newsroom/live', { authorization: `Bearer ${token}` })).status, 404);
    } finally {
      hc.advance(-(DAY_MS + 1_000));
    }
  });

  it('takes a share token as Bearer on the live, pages/today and history routes', async () => {
    const token = share();
    const minute = (ms: number) => `${new Date(ms).toISOString().slice(0, 16)}Z`;
    const [from, to] = [minute(Date.now() - 3_600_000), minute(Date.now())];
    for (const path of ['/api/sites/newsroom/live', '/api/sites/newsroom/pages/today', `/api/sites/newsroom/history?period=minute&from=${from}&to=${to}`]) {
      assert.equal((await get(path)).status, 404, `${path} without a token`);
      assert.equal((await get(path, { authorization: `Bearer ${token}x` })).status, 404, `${path} with a wrong one`);
      const res = await get(path, { authorization: `Bearer ${token}` });
      assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
    }
  });

  it('takes a share token in the `live` subscription of a socket from the dashboard\'s own origin, which is never counted', async () => {
    const own = base;
    const dashboard = await PageClient.open(hc.wsUrl, 'newsroom', own);
    dashboard.send({ t: 'live', on: true, n: 15, token: share() });
    dashboard.send({ t: 'sub', on: true });
    const view = await dashboard.next((m: ServerMessage): m is Extract<ServerMessage, { t: 'live' }> => m.t === 'live');
    assert.equal(view.site, 'newsroom');
    assert.equal(view.online.total, 0, 'the dashboard is not a reader');
    dashboard.socket.close();
    const expired = await PageClient.open(hc.wsUrl, 'newsroom', own);
    expired.send({ t: 'live', on: true, token: makeShareToken(newsroom, 1, Date.now() - 2 * DAY_MS).token });
    assert.equal((await Promise.race([expired.closed, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('not closed')), 3_000))])).code, CloseCode.forbidden);
    await assert.rejects(PageClient.open(hc.wsUrl, 'newsroom', 'https://evil.example'), (error: { status?: number }) => error.status === 403, 'other origins are still refused');
    // Admitted only as Headcount's own page, a socket may watch but never be counted.
    const page = await PageClient.open(hc.wsUrl, 'newsroom', own);
    page.send({ t: 'hello', site: 'newsroom', vid: 'visitor-own-origin', psid: 'page-own-origin', url: `${own}/x` });
    assert.equal((await page.closed).code, CloseCode.forbidden, 'a hello from the own origin is refused');
    const stats = await (await get('/api/sites/newsroom/live', { authorization: `Bearer ${share()}` })).json();
    assert.equal(stats.online.total, 0);
  });

  it('serves the assets with ETags per encoding, 304 on a match, immutable under their ?v=hash', async () => {
    for (const asset of ['dashboard.js', 'dashboard.css']) {
      const res = await get(`/dashboard/${asset}`, { 'accept-encoding': 'identity' });
      assert.equal(res.status, 200, asset);
      assert.match(res.headers.get('content-type')!, asset.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      assert.ok((await res.text()).length > 0);
      const etag = res.headers.get('etag')!;
      assert.match(etag, /^"[^"]+"$/);
      assert.equal(res.headers.get('cache-control'), 'public, max-age=300');
      assert.equal((await get(`/dashboard/${asset}`, { 'accept-encoding': 'identity', 'if-none-match': etag, 'cache-control': 'max-age=0' })).status, 304);
      const gzipped = await get(`/dashboard/${asset}`, { 'accept-encoding': 'gzip' });
      assert.equal(gzipped.headers.get('content-encoding'), 'gzip');
      assert.notEqual(gzipped.headers.get('etag'), etag);
      const hash = etag.slice(1, -1);
      assert.equal((await get(`/dashboard/${asset}?v=${hash}`)).headers.get('cache-control'), 'public, max-age=31536000, immutable');
    }
    const html = await (await get('/dashboard/demo')).text();
    const js = await get('/dashboard/dashboard.js', { 'accept-encoding': 'identity' });
    assert.ok(html.includes(`/dashboard/dashboard.js?v=${js.headers.get('etag')!.slice(1, -1)}`), 'the shell names the current build');
  });
});

describe('dashboard without a built bundle, behind a TLS proxy', () => {
  it('answers the assets with 503 JSON, still serves the shell, and opens wss:// under an https PUBLIC_URL', async () => {
    const app = express().use(
      dashboardRoutes({ sites: loadSites(undefined), adminToken: undefined, clock: Date.now, assets: () => Promise.reject(new Error('missing')), unknownSite: () => undefined, publicUrl: 'https://stats.example.vn' }),
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const res = await fetch(`${base}/dashboard/dashboard.js`);
      assert.equal(res.status, 503);
      assert.deepEqual(await res.json(), { error: 'dashboard bundle not built (run `npm run build`)' });
      const shell = await fetch(`${base}/dashboard/demo`);
      assert.equal(shell.status, 200);
      assert.match(await shell.text(), /src="\/dashboard\/dashboard\.js"/);
      const port = (server.address() as AddressInfo).port;
      const viaHost = async (host: string) => {
        const [res] = (await once(request({ port, host: '127.0.0.1', path: '/dashboard/demo', headers: { host } }).end(), 'response')) as [IncomingMessage];
        let body = '';
        for await (const chunk of res) body += chunk;
        return { status: res.statusCode, body, csp: String(res.headers['content-security-policy']) };
      };
      const atPublicUrl = await viaHost('stats.example.vn');
      assert.match(atPublicUrl.body, /data-ws="wss:\/\/stats\.example\.vn\/ws\?site=demo"/, 'https PUBLIC_URL: TLS ends at a proxy');
      assert.match(atPublicUrl.csp, /connect-src 'self' ws:\/\/stats\.example\.vn wss:\/\/stats\.example\.vn;/);
      assert.match((await viaHost('intranet:8080')).body, /data-ws="ws:\/\/intranet:8080\/ws\?site=demo"/, 'another host: as the request came');
      const bad = await viaHost('a b"c');
      assert.equal(bad.status, 400);
      assert.match(bad.body, /Host: not a host name/);
    } finally {
      server.close();
    }
  });
});

describe('dashboard after the readToken changed', () => {
  it('refuses the links made with the old one, everywhere', async () => {
    const hc = await startInProcess({ SITES_FILE: sitesFile(NEW_READ_TOKEN) });
    try {
      const base = `http://127.0.0.1:${hc.server.port}`;
      const old = makeShareToken({ ...hc.sites.get('newsroom')!, readToken: READ_TOKEN }, 30, Date.now()).token;
      assert.equal((await fetch(`${base}/dashboard/newsroom?share=${old}`)).status, 403);
      assert.equal((await fetch(`${base}/api/sites/newsroom/live`, { headers: { authorization: `Bearer ${old}` } })).status, 404);
      const fresh = makeShareToken(hc.sites.get('newsroom')!, 30, Date.now()).token;
      assert.equal((await fetch(`${base}/dashboard/newsroom?share=${fresh}`)).status, 200);
    } finally {
      await hc.stop();
    }
  });
});
