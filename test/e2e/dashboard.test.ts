// Issue 13's "done when" in Debian's chromium: readers on three demo articles served from their own origin,
// the dashboard and the newsroom board (GET /dashboard/demo, ?board=1) show each article's exact readers
// within 1 s of each change, the arrows follow a change of rank, the curve has today's points; axe-core finds
// no serious or critical violation; a private site's dashboard refuses a missing, wrong or expired link and
// accepts a fresh one; last week's same weekday, written into the store's history before the service starts,
// is drawn behind today with the figures it holds; at phone width the articles stack, nothing scrolls
// sideways. With HEADCOUNT_SCREENSHOTS=1 it also writes docs/dashboard-{desktop,phone,board}.png.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { WelcomeMessage } from '../../src/protocol.js';
import { parseInstant } from '../../src/history-query.js';
import { makeShareToken } from '../../src/share-links.js';
import { DEMO_SITE, parseSites } from '../../src/sites.js';
import { startHeadcount, type HeadcountProcess } from '../support/headcount.js';
import { startArticleSite, type ArticleSite } from './article.js';
import { readerContext, recordWelcomes, waitFor, waitForStats } from './browser.js';
import { startNewsSite, type NewsSite } from './news-site.js';
import { localDays, seedDays, seededHourPeaks } from './dashboard-history.js';
import { describe, hourPeaks, recordPageErrors, snapshot, type DashboardSnapshot } from './dashboard-page.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The issue's bound: the dashboard within 1 s of a change; plus slack for a shared machine. */
const DASHBOARD_BOUND_MS = 1_000 + 500;
const CLOSE_BOUND_MS = 2_000 + 500;
const SCREENSHOTS = process.env.HEADCOUNT_SCREENSHOTS === '1';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const DEMO_ZONE = DEMO_SITE.timeZone;
/** Each seeded day's level: last week's readersAt() as is, yesterday and today a little higher. */
const LAST_WEEK_SCALE = 1;

let headcount: HeadcountProcess;
let article: ArticleSite;
let browser: Browser;
let site: NewsSite | undefined;
const readers: BrowserContext[] = [];
const readerPages: Page[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'headcount-dashboard-data-'));

/** The demo site's past in the store before the service starts: last week's same weekday and yesterday
 * whole, today up to two minutes ago (its readers all gone by then). */
async function seedHistory(): Promise<void> {
  const now = Date.now();
  const { today, yesterday, lastWeek } = localDays(now, DEMO_ZONE);
  const todayMinutes = Math.floor((now - parseInstant('day', today, DEMO_ZONE)) / 60_000) - 2;
  await seedDays(dataDir, 'demo', DEMO_ZONE, [
    { day: lastWeek, scale: LAST_WEEK_SCALE, minutes: 1440 },
    { day: yesterday, scale: 1.1, minutes: 1440 },
    ...(todayMinutes > 0 ? [{ day: today, scale: 1.2, minutes: todayMinutes }] : []),
  ]);
}

before(async () => {
  await seedHistory();
  site = await startNewsSite({ dataDir });
  ({ headcount, browser, article } = site);
});

after(async () => {
  await site?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const urlOf = (path: string) => `${article.url}${path}`;

/** Opens an article as a new reader and waits until the server has welcomed its page session. */
async function read(path: string, options: { query?: string; referer?: string } = {}): Promise<BrowserContext> {
  const context = await readerContext(browser);
  readers.push(context);
  const page = await context.newPage();
  readerPages.push(page);
  const welcomes: WelcomeMessage[] = recordWelcomes(page);
  await page.goto(`${article.url}${path}${options.query ?? ''}`, options.referer ? { referer: options.referer } : {});
  await waitFor(() => welcomes.length > 0, 5_000, `${path} welcomed`);
  return context;
}

/**
 * Moves the pointer on every open article every few seconds, so no reader turns idle (15 s without input):
 * ties are then ordered by url alone and no idle change makes an update of its own that resets the arrows.
 */
function keepEngaged(): () => void {
  let step = 0;
  const timer = setInterval(() => {
    step++;
    for (const page of readerPages) if (!page.isClosed()) page.mouse.move(20 + (step % 2) * 10, 40).catch(() => undefined);
  }, 3_000);
  // A failing test must not keep the process alive.
  timer.unref();
  return () => clearInterval(timer);
}

async function settle(): Promise<void> {
  readerPages.length = 0;
  await Promise.all(readers.splice(0).map((context) => context.close()));
  await waitForStats(headcount.url, (c) => c.online.total + c.online.bots === 0, 5_000, 'nobody online');
}

interface Dashboard {
  page: Page;
  errors: string[];
}

/** Opens a dashboard the way a browser with a headless user agent does (a dashboard is never a reader). */
async function openDashboard(path: string, viewport = { width: 1440, height: 900 }, { bypassCSP = false } = {}): Promise<Dashboard> {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, bypassCSP, locale: 'vi-VN' });
  const page = await context.newPage();
  const errors = recordPageErrors(page);
  const response = await page.goto(`${headcount.url}${path}`);
  assert.equal(response?.status(), 200, `${path}: HTTP ${response?.status()}`);
  return { page, errors };
}

/** Polls the dashboard until `check` holds, within `timeoutMs`; the error shows what it showed last. */
async function waitForDashboard(page: Page, check: (shot: DashboardSnapshot) => boolean, timeoutMs: number, what: string): Promise<DashboardSnapshot> {
  let last: DashboardSnapshot | undefined;
  await waitFor(async () => check((last = await snapshot(page))), timeoutMs, what, () => describe(last));
  return last!;
}

const rowOf = (shot: DashboardSnapshot, path: string) => shot.rows.find((row) => row.url === urlOf(path));
/** Exactly these articles, with exactly these readers. */
const showsReaders = (expected: Record<string, number>) => (shot: DashboardSnapshot) =>
  shot.rows.length === Object.keys(expected).length && Object.entries(expected).every(([path, n]) => rowOf(shot, path)?.readers === n);
/** Rank and arrow of each article. */
const showsRanks = (expected: Record<string, [rank: number, move: string]>) => (shot: DashboardSnapshot) =>
  Object.entries(expected).every(([path, [rank, move]]) => rowOf(shot, path)?.rank === rank && rowOf(shot, path)?.move === move);

/** Both views must agree: `check` holds on the dashboard and on the board, each within the bound after the change. */
async function bothShow(views: Dashboard[], check: (shot: DashboardSnapshot) => boolean, what: string, bound = DASHBOARD_BOUND_MS): Promise<void> {
  const changedAt = Date.now();
  await Promise.all(views.map(({ page }, i) => waitForDashboard(page, check, bound, `${i === 0 ? 'dashboard' : 'board'}: ${what}`)));
  assert.ok(Date.now() - changedAt <= bound + 200, `${what}: shown after ${Date.now() - changedAt} ms`);
}

test('three articles: the dashboard and the board show exact readers within 1 s, arrows follow the ranks, the curve has today', async () => {
  await settle();
  const dashboard = await openDashboard('/dashboard/demo');
  const board = await openDashboard('/dashboard/demo?board=1', { width: 1920, height: 1080 });
  const views = [dashboard, board];
  await bothShow(views, (shot) => shot.connection === 'live' && shot.online === 0 && shot.rows.length === 0, 'connected, nobody online', 10_000);

  // Ties are ordered by url (all readers engaged), so each step's ranks are exact: /tin/1 < /tin/2 < /tin/3.
  const stopEngaging = keepEngaged();
  await read('/tin/1');
  await bothShow(views, showsReaders({ '/tin/1': 1 }), 'one reader of /tin/1');
  await read('/tin/1');
  await read('/tin/1');
  await bothShow(views, showsReaders({ '/tin/1': 3 }), 'three readers of /tin/1');
  await read('/tin/2');
  await bothShow(views, (s) => showsReaders({ '/tin/1': 3, '/tin/2': 1 })(s) && showsRanks({ '/tin/1': [1, ''], '/tin/2': [2, 'new'] })(s), '/tin/2 new at rank 2');
  await read('/tin/2');
  await bothShow(views, showsReaders({ '/tin/1': 3, '/tin/2': 2 }), 'two readers of /tin/2');
  const third = await read('/tin/3');
  await bothShow(views, (s) => showsReaders({ '/tin/1': 3, '/tin/2': 2, '/tin/3': 1 })(s) && showsRanks({ '/tin/3': [3, 'new'] })(s), '/tin/3 new at rank 3');
  assert.equal((await snapshot(dashboard.page)).online, 6, 'online now: six readers');

  await read('/tin/3');
  await bothShow(views, (s) => showsReaders({ '/tin/1': 3, '/tin/2': 2, '/tin/3': 2 })(s) && showsRanks({ '/tin/1': [1, ''], '/tin/2': [2, ''], '/tin/3': [3, ''] })(s), 'a tie keeps the ranks');
  await read('/tin/3');
  await bothShow(views, (s) => showsReaders({ '/tin/1': 3, '/tin/2': 2, '/tin/3': 3 })(s) && showsRanks({ '/tin/1': [1, ''], '/tin/2': [3, 'down'], '/tin/3': [2, 'up'] })(s), '/tin/3 up past /tin/2');
  await read('/tin/3');
  await bothShow(views, (s) => showsReaders({ '/tin/1': 3, '/tin/2': 2, '/tin/3': 4 })(s) && showsRanks({ '/tin/1': [2, 'down'], '/tin/2': [3, ''], '/tin/3': [1, 'up'] })(s), '/tin/3 up to the top');

  stopEngaging();

  // A reader leaving: within the close bound (the socket's end) plus the dashboard's bound.
  await third.close();
  await bothShow(views, (s) => showsReaders({ '/tin/1': 3, '/tin/2': 2, '/tin/3': 3 })(s), 'a reader of /tin/3 left', CLOSE_BOUND_MS + DASHBOARD_BOUND_MS);
  const shot = await snapshot(dashboard.page);
  assert.equal(shot.online, 8, 'online now after one left');
  assert.equal((await snapshot(board.page)).online, 8, 'the board shows the same online figure');

  // The curve: today's per-minute series from the site's midnight, with at least this minute's pageviews.
  const curve = await waitForDashboard(dashboard.page, (s) => (s.todayPoints ?? 0) >= 1, 61_000, "today's points on the curve");
  assert.ok(curve.todayPoints! >= 1);
  assert.ok(await dashboard.page.locator('[data-curve] canvas').count(), 'the curve is drawn (uPlot canvas)');

  for (const { page, errors } of views) {
    assert.deepEqual(errors, [], `${page.url()}: no console error and no CSP refusal`);
    await page.context().close();
  }
  await settle();
});

test("the curve draws last week's same weekday behind today, with the figures its history holds", async () => {
  const { page, errors } = await openDashboard('/dashboard/demo');
  const shot = await waitForDashboard(page, (s) => s.lastWeekPoints === 1440 && (s.todayPoints ?? 0) >= 1, 10_000, "last week's 1,440 minutes on the curve");
  assert.equal(shot.lastWeekPoints, 1440);
  // Each hour's peak as the page gives it to screen readers, against what was seeded for that day.
  const peaks = await hourPeaks(page);
  const expected = seededHourPeaks(LAST_WEEK_SCALE);
  assert.deepEqual(peaks.lastWeek, expected, "last week's peak of each hour");
  assert.ok(expected.some((online) => online >= 30) && expected.some((online) => online <= 5), `a day with peaks and troughs: ${expected.join(' ')}`);
  const hourNow = Math.floor((Date.now() - parseInstant('day', localDays(Date.now(), DEMO_ZONE).today, DEMO_ZONE)) / 3_600_000);
  assert.ok(peaks.today.slice(0, hourNow + 1).every((online) => online !== null), `today has every hour up to now: ${peaks.today.join(' ')}`);
  assert.ok(peaks.today.slice(hourNow + 1).every((online) => online === null), 'and none after it');

  // Drawn: last week's dashed grey line (#8a8f98) climbs over many pixel rows of the canvas, not one flat line.
  const greyRows = (await page.evaluate(`(() => {
    const canvas = document.querySelector('[data-curve] canvas');
    const { data, width, height } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    const rows = new Set();
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      if (Math.abs(data[i] - 138) < 24 && Math.abs(data[i + 1] - 143) < 24 && Math.abs(data[i + 2] - 152) < 24 && data[i + 3] > 200) { rows.add(y); break; }
    }
    return rows.size;
  })()`)) as number;
  assert.ok(greyRows >= 40, `last week's line spans ${greyRows} pixel rows of the chart`);
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("with last week's minutes no longer kept (HISTORY_MINUTE_DAYS=3) the curve draws last week by hour", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'headcount-dashboard-hours-'));
  const { lastWeek } = localDays(Date.now(), DEMO_ZONE);
  await seedDays(dir, 'demo', DEMO_ZONE, [{ day: lastWeek, scale: LAST_WEEK_SCALE, minutes: 1440 }]);
  const hc = await startHeadcount({ dataDir: dir, env: { HISTORY_MINUTE_DAYS: '3' } });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'vi-VN' });
  try {
    const page = await context.newPage();
    const errors = recordPageErrors(page);
    await page.goto(`${hc.url}/dashboard/demo`);
    await waitForDashboard(page, (s) => s.lastWeekPoints === 1440, 10_000, "last week's 24 hours on the curve");
    const expected = seededHourPeaks(LAST_WEEK_SCALE);
    assert.deepEqual((await hourPeaks(page)).lastWeek, expected, "last week's peak of each hour, from the hour series");
    // The refused minute request is the page's own fallback, not an error: only that one may show.
    assert.ok(errors.every((error) => /400/.test(error)), errors.join('\n'));
  } finally {
    await context.close();
    await hc.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('axe-core finds no serious or critical violation on the dashboard and the board', async () => {
  await settle();
  await read('/axe/1', { referer: 'https://www.google.com/' });
  await read('/axe/2', { referer: 'https://zalo.me/' });
  await read('/axe/2');
  // The page's CSP (script-src 'self') refuses the injected axe source: this context bypasses it for the audit only.
  for (const [path, viewport] of [
    ['/dashboard/demo', { width: 1440, height: 900 }],
    ['/dashboard/demo?lang=en', { width: 390, height: 844 }],
    ['/dashboard/demo?board=1', { width: 1920, height: 1080 }],
  ] as const) {
    const { page } = await openDashboard(path, viewport, { bypassCSP: true });
    await waitForDashboard(page, showsReaders({ '/axe/1': 1, '/axe/2': 2 }), 10_000, `${path}: the readers shown`);
    await page.addScriptTag({ content: AXE_SOURCE });
    const violations = (await page.evaluate(
      `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) })))`,
    )) as { id: string }[];
    assert.deepEqual(violations, [], `${path}: ${JSON.stringify(violations, null, 1)}`);
    await page.context().close();
  }
  await settle();
});

test('at phone width each article stacks: its title takes the width, nothing scrolls sideways or is cut off', async () => {
  await settle();
  for (const { path, title } of ARTICLES.slice(0, 4)) await read(path, { query: `?title=${encodeURIComponent(title)}` });
  for (const [path, viewport] of [
    ['/dashboard/demo', { width: 390, height: 844 }],
    // Vietnamese labels are the longer ones: "Đang tương tác" beside the bar on a 320 px screen.
    ['/dashboard/demo', { width: 320, height: 640 }],
    ['/dashboard/demo?lang=en', { width: 320, height: 640 }],
    ['/dashboard/demo?board=1', { width: 390, height: 844 }],
  ] as const) {
    const { page, errors } = await openDashboard(path, viewport);
    await waitForDashboard(page, (s) => s.rows.length === 4, 10_000, `${path}: the four articles`);
    const layout = (await page.evaluate(`(() => {
      const width = window.innerWidth;
      const inside = (node) => { const box = node.getBoundingClientRect(); return box.left >= -0.5 && box.right <= width + 0.5; };
      return {
        width,
        scrollWidth: document.scrollingElement.scrollWidth,
        titles: [...document.querySelectorAll('[data-top] [data-url] .title')].map((cell) => Math.round(cell.getBoundingClientRect().width)),
        titleFont: Math.min(...[...document.querySelectorAll('[data-top] [data-url] .title a')].map((link) => parseFloat(getComputedStyle(link).fontSize))),
        cut: [...document.querySelectorAll('[data-top] [data-url] td, [data-figure], h1, h2')].filter((node) => !inside(node)).map((node) => node.className || node.tagName),
      };
    })()`)) as { width: number; scrollWidth: number; titles: number[]; titleFont: number; cut: string[] };
    const what = `${path} at ${viewport.width} px: ${JSON.stringify(layout)}`;
    assert.ok(layout.scrollWidth <= layout.width, `no sideways scroll: ${what}`);
    assert.equal(layout.titles.length, 4, what);
    assert.ok(layout.titles.every((w) => w >= Math.min(200, 0.6 * layout.width)), `each title at least 60 % of the width or 200 px: ${what}`);
    assert.ok(layout.titleFont >= 14, `titles readable: ${what}`);
    assert.deepEqual(layout.cut, [], `nothing cut off: ${what}`);
    assert.deepEqual(errors, [], path);
    await page.context().close();
  }
  await settle();
});

test("a private site's dashboard refuses a missing, wrong or expired link and accepts a fresh one", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'headcount-dashboard-'));
  const sitesFile = join(dir, 'sites.json');
  const readToken = 'newsroom-read-token-0123456789abcdef';
  const site = { id: 'newsroom', origins: ['http://127.0.0.1:*'], memberSecret: 'newsroom-member-secret-0123456789abcdef', timeZone: 'Asia/Ho_Chi_Minh', public: false, live: 'private', readToken };
  writeFileSync(sitesFile, JSON.stringify({ sites: [site] }));
  const privateHc = await startHeadcount({ env: { SITES_FILE: sitesFile } });
  const privateArticle = await startArticleSite({ headcount: privateHc.url, site: 'newsroom' });
  const context = await browser.newContext({ locale: 'en-US' });
  try {
    const share = (days: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'share', 'newsroom', '--days', days], { cwd: ROOT, env: { PATH: process.env.PATH, SITES_FILE: sitesFile, PORT: String(privateHc.port), DATA_DIR: privateHc.dataDir }, encoding: 'utf8' });
    const made = share('30');
    assert.equal(made.status, 0, `share: ${made.stderr}`);
    const link = /https?:\/\/\S+\/dashboard\/newsroom\?share=(\S+)/.exec(made.stdout);
    assert.ok(link, `share printed a dashboard link: ${made.stdout}`);
    const token = decodeURIComponent(link[1]!);
    // A link made for one day, two days ago: genuine, but expired.
    const expired = makeShareToken(parseSites({ sites: [site] }).get('newsroom')!, 1, Date.now() - 2 * 86_400_000).token;

    const visit = async (query: string) => {
      const page = await context.newPage();
      const response = await page.goto(`${privateHc.url}/dashboard/newsroom${query}`);
      const text = (await page.locator('body').innerText()).trim();
      return { page, status: response?.status(), text };
    };
    const refused = async (query: string, status: number, says: RegExp) => {
      const { page, status: got, text } = await visit(query);
      assert.equal(got, status, `${query || 'no link'}: HTTP ${got}`);
      assert.match(text, says, `${query || 'no link'}: a clear page, not a blank one`);
      assert.equal(await page.locator('[data-top]').count(), 0, `${query || 'no link'}: no dashboard`);
      await page.close();
      return text;
    };
    const missing = await refused('', 404, /\w{3,}/);
    const unknown = await context.newPage();
    const unknownResponse = await unknown.goto(`${privateHc.url}/dashboard/nosuchsite`);
    assert.equal(unknownResponse?.status(), 404);
    assert.equal((await unknown.locator('body').innerText()).trim().replaceAll('nosuchsite', 'newsroom'), missing, 'a private site without a link looks like an unknown site');
    await refused(`?share=${encodeURIComponent(`${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`)}`, 403, /not valid/i);
    await refused('?share=not-a-token', 403, /not valid/i);
    await refused(`?share=${encodeURIComponent(expired)}`, 403, /expired/i);
    await refused('?key=wrong-read-token-0123456789abcdefgh', 403, /not valid/i);

    // The fresh link: the dashboard renders and shows the private site's reader live.
    const reader = await readerContext(browser);
    const readerPage = await reader.newPage();
    await readerPage.goto(`${privateArticle.url}/rieng/1`);
    const { page, status } = await visit(`?share=${encodeURIComponent(token)}`);
    assert.equal(status, 200);
    await waitForDashboard(page, (s) => s.connection === 'live' && s.rows.length === 1 && s.rows[0]!.url === `${privateArticle.url}/rieng/1` && s.rows[0]!.readers === 1, 10_000, 'the private reader through the share link');
    const withKey = await visit(`?key=${readToken}`);
    assert.equal(withKey.status, 200, 'the read token opens the dashboard too');
    await waitForDashboard(withKey.page, (s) => s.rows.length === 1 && s.online === 1, 10_000, 'the private reader through the read token');
    await reader.close();

    // A new readToken revokes every link made before.
    writeFileSync(sitesFile, JSON.stringify({ sites: [{ ...site, readToken: 'newsroom-new-read-token-0123456789abcdef' }] }));
    await privateHc.restart();
    await refused(`?share=${encodeURIComponent(token)}`, 403, /not valid/i);
  } finally {
    await context.close();
    await privateArticle.close();
    await privateHc.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

const ARTICLES = [
  { path: '/thoi-su/mua-lu-mien-trung', title: 'Mưa lũ miền Trung: hàng nghìn hộ dân được sơ tán trong đêm', readers: 7, referer: 'https://www.google.com/' },
  { path: '/kinh-te/gia-vang-hom-nay', title: 'Giá vàng hôm nay tăng mạnh, vượt mốc kỷ lục', readers: 5, referer: 'https://www.facebook.com/' },
  { path: '/the-thao/doi-tuyen-viet-nam', title: 'Đội tuyển Việt Nam công bố danh sách dự AFF Cup', readers: 4, referer: 'https://zalo.me/' },
  { path: '/giao-duc/tuyen-sinh-lop-10', title: 'Tuyển sinh lớp 10: điểm chuẩn các trường công lập', readers: 3, referer: undefined },
  { path: '/suc-khoe/mua-cum', title: 'Mùa cúm: bác sĩ khuyên tiêm phòng sớm cho trẻ', readers: 2, referer: 'https://coccoc.com/' },
  { path: '/van-hoa/le-hoi-pho-co', title: 'Lễ hội phố cổ về đêm hút khách du lịch', readers: 1, referer: undefined },
];

test('screenshots of the dashboard (desktop, phone) and the board in docs/', { skip: !SCREENSHOTS && 'set HEADCOUNT_SCREENSHOTS=1 to write docs/dashboard-*.png' }, async () => {
  await settle();
  for (const { path, title, readers: count, referer } of ARTICLES) {
    for (let i = 0; i < count; i++) await read(path, { query: `?title=${encodeURIComponent(title)}`, ...(referer && i % 2 === 0 ? { referer } : {}) });
  }
  const total = ARTICLES.reduce((sum, { readers: count }) => sum + count, 0);
  for (const [name, path, viewport] of [
    ['desktop', '/dashboard/demo', { width: 1440, height: 900 }],
    ['phone', '/dashboard/demo', { width: 390, height: 844 }],
    ['board', '/dashboard/demo?board=1', { width: 1920, height: 1080 }],
  ] as const) {
    const { page } = await openDashboard(path, viewport);
    await waitForDashboard(page, (s) => s.online === total && s.rows.length === ARTICLES.length, 10_000, `${name}: every reader shown`);
    // The chart draws on the next animation frame after its data.
    await page.waitForTimeout(500);
    const out = fileURLToPath(new URL(`../../docs/dashboard-${name}.png`, import.meta.url));
    await page.screenshot({ path: out });
    await page.context().close();
  }
  await settle();
});
