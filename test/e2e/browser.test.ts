// The embed in a real browser: Debian's chromium loads an article from its own origin, which embeds
// t.js from a Headcount child process on another port, exactly as a news site would.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { WelcomeMessage } from '../../src/protocol.js';
import type { HeadcountProcess } from '../support/headcount.js';
import type { ArticleSite } from './article.js';
import { launchChromium, memberToken, readerContext, recordWelcomes, setTotals, waitFor, waitForStats } from './browser.js';
import { startNewsSite, type NewsSite } from './news-site.js';

const ADMIN_TOKEN = 'browser-test-admin-token';

let headcount: HeadcountProcess;
let article: ArticleSite;
let browser: Browser;
let site: NewsSite | undefined;
const contexts: BrowserContext[] = [];

before(async () => {
  site = await startNewsSite({ env: { ADMIN_TOKEN } });
  ({ headcount, browser, article } = site);
});

after(async () => {
  await site?.close();
});

/** A human-like reader context, closed after the test (tests that close it themselves may). */
async function reader(options: Parameters<typeof readerContext>[1] = {}): Promise<BrowserContext> {
  const context = await readerContext(browser, options);
  contexts.push(context);
  return context;
}

const welcomes = new WeakMap<Page, WelcomeMessage[]>();

async function open(context: BrowserContext, path = '/article', query = ''): Promise<Page> {
  const page = await context.newPage();
  welcomes.set(page, recordWelcomes(page));
  await page.goto(`${article.url}${path}${query}`);
  return page;
}

/** Each test starts from an empty site and leaves one. */
async function settle(): Promise<void> {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
  await waitForStats(headcount.url, (c) => c.online.total + c.online.bots === 0, 5_000, 'nobody online');
}

const online = (guests: number, members = 0, bots = 0) => (c: { online: { guests: number; members: number; bots: number } }) =>
  c.online.guests === guests && c.online.members === members && c.online.bots === bots;

const widget = (page: Page) => page.locator('[data-headcount]');

/** The number shown next to a label in the widget. */
const figure = (page: Page, label: string) => widget(page).locator(`dt:text-is("${label}") + dd`);

test('two tabs of one visitor count one guest; a second browser counts two, pushed live to the widget', async () => {
  await settle();
  const first = await reader();
  const tab = await open(first);
  await open(first, '/other-article');
  await waitForStats(headcount.url, online(1), 5_000, 'one guest for two tabs');
  await open(await reader());
  await waitForStats(headcount.url, online(2), 5_000, 'two guests');
  await assert.doesNotReject(figure(tab, 'Khách').filter({ hasText: /^2$/ }).waitFor({ timeout: 3_000 }), 'the first tab shows the second guest');
  await settle();
});

test('closing a browser context drops the count within 2 seconds', async () => {
  await settle();
  await open(await reader());
  const leaving = await reader();
  await open(leaving);
  await open(leaving);
  await waitForStats(headcount.url, online(2));
  const closedAt = Date.now();
  await leaving.close();
  await waitForStats(headcount.url, online(1), 2_000, 'the closed context to leave');
  assert.ok(Date.now() - closedAt <= 2_000);
  await settle();
});

test('a member token counts a member, once across two browsers', async () => {
  await settle();
  const token = encodeURIComponent(await memberToken('reader-42'));
  const page = await open(await reader(), '/article', `?token=${token}`);
  await open(await reader(), '/article', `?token=${token}`);
  await waitForStats(headcount.url, online(0, 1), 5_000, 'one member');
  await figure(page, 'Thành viên').filter({ hasText: /^1$/ }).waitFor({ timeout: 3_000 });
  await settle();
});

test('an expired member token still counts the reader, as a guest', async () => {
  await settle();
  await open(await reader(), '/article', `?token=${encodeURIComponent(await memberToken('reader-7', '-1m'))}`);
  await waitForStats(headcount.url, online(1), 5_000, 'the refused member back as a guest');
  await settle();
});

test('a server restart brings every page back with the counts restored and no extra pageviews', async () => {
  await settle();
  const guest = await reader();
  const pages = [await open(guest), await open(guest, '/second')];
  pages.push(await open(await reader(), '/article', `?token=${encodeURIComponent(await memberToken('reader-9'))}`));
  await waitFor(() => pages.every((page) => welcomes.get(page)!.length === 1), 5_000, 'every page welcomed');
  const before = await waitForStats(headcount.url, online(1, 1), 5_000, 'a guest and a member');
  await headcount.restart();
  // Each page opens a new socket on its own, says hello with the same page session and is told it resumed.
  const resumed = () => pages.map((page) => welcomes.get(page)!.map((welcome) => welcome.resumed).join());
  await waitFor(() => resumed().every((list) => list === 'false,true'), 15_000, 'every page to resume', () => resumed().join(' | '));
  const restored = await waitForStats(headcount.url, online(1, 1), 5_000, 'the counts restored');
  assert.equal(restored.pageviews.total, before.pageviews.total, 'no pageview for a reconnect');
  assert.equal(restored.visits.total, before.visits.total);
  assert.equal(welcomes.get(pages[2]!)![1]!.kind, 'member', 'the member stays a member on its ticket');
  // The widgets subscribed again on their new sockets.
  await Promise.all(pages.map((page) => figure(page, 'Tổng').filter({ hasText: /^2$/ }).waitFor({ timeout: 3_000 })));
  await settle();
});

test('the widget formats figures for Vietnamese readers, and for English ones', async () => {
  await settle();
  const context = await reader();
  const vi = await open(context, '/article');
  const en = await open(context, '/article', '?lang=en');
  await waitForStats(headcount.url, online(1));
  await setTotals(headcount.url, ADMIN_TOKEN, { visits: 52_015_394 });
  await figure(vi, 'Tổng lượt truy cập').filter({ hasText: /^52\.015\.394$/ }).waitFor({ timeout: 3_000 });
  await figure(en, 'Total visits').filter({ hasText: /^52,015,394$/ }).waitFor({ timeout: 3_000 });
  assert.equal(await widget(vi).getAttribute('role'), 'region');
  assert.equal(await widget(vi).getAttribute('aria-label'), 'Thống kê truy cập');
  await settle();
});

test('blocked localStorage still counts the reader, without remembering it', async () => {
  await settle();
  const context = await reader();
  await context.addInitScript("Object.defineProperty(window, 'localStorage', { get() { throw new DOMException('blocked', 'SecurityError'); } })");
  await open(context);
  await waitForStats(headcount.url, online(1), 5_000, 'the reader counted');
  // Not remembered: each page has its own id.
  await open(context);
  await waitForStats(headcount.url, online(2), 5_000, 'a second ephemeral id');
  await settle();
});

test('Global Privacy Control: counted, nothing stored', async () => {
  await settle();
  const context = await reader();
  await context.addInitScript("Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true })");
  const page = await open(context);
  await waitForStats(headcount.url, online(1));
  assert.equal(await page.evaluate(() => localStorage.length), 0);
  await settle();
});

test('single-page-app navigation counts a pageview, the reader stays one', async () => {
  await settle();
  const page = await open(await reader());
  const start = await waitForStats(headcount.url, online(1));
  await page.evaluate(() => history.pushState({}, '', '/next-article'));
  await waitForStats(headcount.url, (c) => c.pageviews.total === start.pageviews.total + 1 && online(1)(c), 5_000, 'one more pageview');
  await page.evaluate(() => history.back());
  await waitForStats(headcount.url, (c) => c.pageviews.total === start.pageviews.total + 2 && online(1)(c), 5_000, 'popstate counted');
  await settle();
});

test('a page restored from the back/forward cache resumes without a pageview', async () => {
  await settle();
  // Playwright turns the bfcache off by default; this browser keeps it.
  const bfcacheBrowser = await launchChromium({ bfcache: true });
  try {
    const context = await readerContext(bfcacheBrowser);
    // Playwright reports no socket events for a restored document, so the page keeps its own welcomes.
    await context.addInitScript(`
      window.welcomes = [];
      const Native = WebSocket;
      window.WebSocket = class extends Native {
        constructor(url) {
          super(url);
          this.addEventListener('message', (event) => JSON.parse(event.data).t === 'welcome' && window.welcomes.push(JSON.parse(event.data)));
        }
      };`);
    const page = await context.newPage();
    const welcomes = () => page.evaluate(() => (window as unknown as { welcomes: WelcomeMessage[] }).welcomes);
    const welcomed = (count: number, what: string) => waitFor(async () => (await welcomes()).length === count, 5_000, what);
    await page.goto(`${article.url}/first`);
    await welcomed(1, 'the first page counted');
    await page.goto(`${article.url}/second`);
    await welcomed(1, 'the second page counted');
    const before = await waitForStats(headcount.url, online(1));
    await page.goBack({ waitUntil: 'commit' });
    // The restored document still has its first welcome: a second one means it reconnected.
    await welcomed(2, 'the restored page to reconnect');
    const [first, again] = await welcomes();
    assert.equal(again!.psid, first!.psid, 'the same page session');
    assert.equal(again!.resumed, true);
    const after = await waitForStats(headcount.url, online(1));
    assert.equal(after.pageviews.total, before.pageviews.total);
  } finally {
    await bfcacheBrowser.close();
  }
  await settle();
});

test('an unmasked headless browser is counted as a bot, not a guest', async () => {
  await settle();
  const context = await browser.newContext();
  contexts.push(context);
  await open(context);
  await waitForStats(headcount.url, online(0, 0, 1), 5_000, 'one bot');
  await settle();
});

test('the demo page reserves the block size before the script runs', async () => {
  await settle();
  const height = async (javaScriptEnabled: boolean) => {
    const context = await reader({ javaScriptEnabled });
    const page = await context.newPage();
    await page.goto(`${headcount.url}/`);
    if (javaScriptEnabled) await widget(page).locator('dd').first().filter({ hasText: /^\d/ }).waitFor({ timeout: 3_000 });
    return (await widget(page).boundingBox())!.height;
  };
  const reserved = await height(false);
  const rendered = await height(true);
  assert.ok(Math.abs(reserved - rendered) <= 1, `reserved ${reserved}px, rendered ${rendered}px`);
  // Only the page that ran the script is counted.
  await waitForStats(headcount.url, online(1));
  await settle();
});
