// Issue 11's "done when" in a real browser: Debian's chromium reads articles served from their own origin,
// each embedding t.js from a Headcount child process, and GET /api/sites/demo/live says exactly who reads
// which article now, where they came from and whether they are engaged, as each change happens.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { LiveView, LiveViewPage } from '../../src/protocol.js';
import type { WelcomeMessage } from '../../src/protocol.js';
import type { HeadcountProcess } from '../support/headcount.js';
import type { ArticleSite } from './article.js';
import { readerContext, recordWelcomes, waitFor, waitForStats } from './browser.js';
import { startNewsSite, type NewsSite } from './news-site.js';

/** The bounds: /live within 1 s of a change, a closed tab gone within 2 s; plus slack for a shared machine. */
const LIVE_BOUND_MS = 1_000 + 500;
const CLOSE_BOUND_MS = 2_000 + 500;

let headcount: HeadcountProcess;
let article: ArticleSite;
let browser: Browser;
let site: NewsSite | undefined;
const contexts: BrowserContext[] = [];

before(async () => {
  site = await startNewsSite();
  ({ headcount, browser, article } = site);
});

after(async () => {
  await site?.close();
});

async function reader(): Promise<BrowserContext> {
  const context = await readerContext(browser);
  contexts.push(context);
  return context;
}

const welcomes = new WeakMap<Page, WelcomeMessage[]>();

/** Opens an article and waits until the server has welcomed its page session (the change has happened). */
async function open(context: BrowserContext, path: string, options: { query?: string; referer?: string } = {}): Promise<Page> {
  const page = await context.newPage();
  welcomes.set(page, recordWelcomes(page));
  await page.goto(`${article.url}${path}${options.query ?? ''}`, options.referer ? { referer: options.referer } : {});
  await waitFor(() => welcomes.get(page)!.length > 0, 5_000, `${path} welcomed`);
  return page;
}

async function readLive(): Promise<LiveView> {
  const response = await fetch(`${headcount.url}/api/sites/demo/live?limit=100`);
  if (!response.ok) throw new Error(`live: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as LiveView;
}

/** Polls /live until `check` holds, within `timeoutMs`; the error shows the last view's pages. */
async function waitForLive(check: (view: LiveView) => boolean, timeoutMs: number, what: string): Promise<LiveView> {
  let last: LiveView | undefined;
  await waitFor(
    async () => check((last = await readLive())),
    timeoutMs,
    what,
    () => JSON.stringify(last && { engaged: last.engaged, sources: last.sources, pages: last.pages.map(({ url, readers, engaged }) => ({ url, readers, engaged })) }),
  );
  return last!;
}

/** The normalised url of an article path: the canonical link's, on the article's origin. */
const urlOf = (path: string) => `${article.url}${path}`;
const pageOf = (view: LiveView, path: string): LiveViewPage | undefined => view.pages.find((page) => page.url === urlOf(path));
const readersOf = (view: LiveView, path: string) => pageOf(view, path)?.readers ?? 0;
/** Every article of `expected` has exactly that many readers, and no other page is read. */
const readersAre = (expected: Record<string, number>) => (view: LiveView) =>
  view.pages.length === Object.values(expected).filter((n) => n > 0).length && Object.entries(expected).every(([path, n]) => readersOf(view, path) === n);

/** Each test starts from an empty site and leaves one. */
async function settle(): Promise<void> {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
  await waitForStats(headcount.url, (c) => c.online.total + c.online.bots === 0, 5_000, 'nobody online');
  await waitForLive((view) => view.pages.length === 0, 2_000, 'no live pages');
}

const readersSpan = (page: Page) => page.locator('[data-headcount-readers]');

test('three articles: exact readers per article in /live within 1 s of each change, two tabs of one reader count 1', async () => {
  await settle();
  const first = await reader();
  const tabA = await open(first, '/tin/1');
  let view = await waitForLive(readersAre({ '/tin/1': 1 }), LIVE_BOUND_MS, 'one reader of /tin/1');
  assert.deepEqual(
    { title: pageOf(view, '/tin/1')!.title, section: pageOf(view, '/tin/1')!.section, author: pageOf(view, '/tin/1')!.author },
    { title: 'Bài viết /tin/1', section: 'Thời sự', author: 'Minh Anh' },
    'the page meta the tracker read',
  );
  const tabB = await open(first, '/tin/1', { query: '?utm_source=zalo#binh-luan' });
  await waitForLive(readersAre({ '/tin/1': 1 }), LIVE_BOUND_MS, 'a second tab of the same reader: still one');
  const second = await reader();
  await open(second, '/tin/1');
  await waitForLive(readersAre({ '/tin/1': 2 }), LIVE_BOUND_MS, 'a second reader of /tin/1');
  await open(second, '/tin/2');
  await waitForLive(readersAre({ '/tin/1': 2, '/tin/2': 1 }), LIVE_BOUND_MS, 'the second reader also on /tin/2');
  const third = await reader();
  await open(third, '/tin/3');
  view = await waitForLive(readersAre({ '/tin/1': 2, '/tin/2': 1, '/tin/3': 1 }), LIVE_BOUND_MS, 'a third reader on /tin/3');
  assert.equal(view.pages[0]!.url, urlOf('/tin/1'), 'the most-read article first');
  assert.equal(view.online.guests, 3);

  // Closing one of two tabs of the same reader changes nothing; closing the other drops the article's count.
  await tabB.close();
  await waitForLive(readersAre({ '/tin/1': 2, '/tin/2': 1, '/tin/3': 1 }), LIVE_BOUND_MS, 'one tab of two closed');
  const closedAt = Date.now();
  await tabA.close();
  await waitForLive(readersAre({ '/tin/1': 1, '/tin/2': 1, '/tin/3': 1 }), CLOSE_BOUND_MS, 'the closed tab leaves /tin/1');
  assert.ok(Date.now() - closedAt <= CLOSE_BOUND_MS);
  await third.close();
  await waitForLive(readersAre({ '/tin/1': 1, '/tin/2': 1 }), CLOSE_BOUND_MS, '/tin/3 leaves the live pages with its last reader');
  await settle();
});

test('the readers span on each article shows its own count, pushed as readers come and go', async () => {
  await settle();
  const one = await open(await reader(), '/doc/1');
  const two = await open(await reader(), '/doc/2', { query: '?lang=en' });
  await readersSpan(one).filter({ hasText: /^1 người đang đọc$/ }).waitFor({ timeout: 3_000 });
  await readersSpan(two).filter({ hasText: /^1 reading now$/ }).waitFor({ timeout: 3_000 });
  const another = await reader();
  await open(another, '/doc/1');
  await readersSpan(one).filter({ hasText: /^2 người đang đọc$/ }).waitFor({ timeout: 3_000 });
  assert.equal(await readersSpan(two).textContent(), '1 reading now', 'the other article keeps its own count');
  await another.close();
  await readersSpan(one).filter({ hasText: /^1 người đang đọc$/ }).waitFor({ timeout: 3_000 });
  // A span and a footer block a framework adds later are filled too, at once.
  await two.evaluate(() => document.body.insertAdjacentHTML('beforeend', '<p><span id="late" data-headcount-readers></span></p><div id="late-block" data-headcount></div>'));
  await two.locator('#late').filter({ hasText: /^1 reading now$/ }).waitFor({ timeout: 3_000 });
  await two.locator('#late-block dt:text-is("Guests") + dd').filter({ hasText: /^2$/ }).waitFor({ timeout: 3_000 });
  await settle();
});

test('readers from Google, Zalo, Facebook and an e-mail campaign land in their sources', async () => {
  await settle();
  await open(await reader(), '/nguon', { referer: 'https://www.google.com/' });
  await open(await reader(), '/nguon', { referer: 'https://zalo.me/' });
  await open(await reader(), '/nguon', { referer: 'https://www.facebook.com/' });
  await open(await reader(), '/nguon', { query: '?utm_source=newsletter&utm_medium=email' });
  await open(await reader(), '/nguon');
  await open(await reader(), '/nguon', { referer: `${article.url}/trang-chu` });
  const expected = { direct: 1, internal: 1, search: 1, social: 2, ai: 0, email: 1, other: 0 };
  const view = await waitForLive((v) => readersOf(v, '/nguon') === 6, LIVE_BOUND_MS, 'six readers of /nguon');
  assert.deepEqual(pageOf(view, '/nguon')!.sources, expected, "the article's sources");
  assert.deepEqual(view.sources, expected, "the site's sources");
  const hosts = view.referrers.map(({ host }) => host).sort();
  assert.equal(hosts.length, 3, `referring hosts: ${hosts.join(', ')}`);
  assert.match(hosts.join(' '), /facebook\.com.*google\.com.*zalo\.me/);
  assert.ok(!hosts.some((host) => host.startsWith('127.0.0.1')), 'internal referrers are not referring hosts');
  await settle();
});

/** Makes the tab hidden as the browser would report it: headless chromium keeps every tab visible. */
const hide = (page: Page) =>
  page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { value: true, configurable: true });
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
  });

test('a reader who stops interacting for 15 s turns idle, input makes them engaged again; a hidden tab is idle at once', async () => {
  await settle();
  const idle = await open(await reader(), '/cho/1');
  const arrivedAt = Date.now();
  const hiddenContext = await reader();
  const sent: string[] = [];
  hiddenContext.on('page', (page) => page.on('websocket', (socket) => socket.on('framesent', ({ payload }) => sent.push(String(payload)))));
  const hidden = await open(hiddenContext, '/cho/2');
  const engagedOf = (view: LiveView, path: string) => pageOf(view, path)?.engaged;
  await waitForLive((v) => engagedOf(v, '/cho/1') === 1 && engagedOf(v, '/cho/2') === 1, LIVE_BOUND_MS, 'both readers engaged on arrival');

  await hide(hidden);
  let view = await waitForLive((v) => engagedOf(v, '/cho/2') === 0, LIVE_BOUND_MS, 'the hidden tab idle');
  assert.equal(readersOf(view, '/cho/2'), 1, 'a hidden tab is still a reader');
  assert.ok(sent.includes('{"t":"vis","vis":"hidden"}'), `the tab reported itself hidden: ${sent.join(' ')}`);
  assert.ok(!sent.some((frame) => frame.startsWith('{"t":"eng"')), 'idle through vis alone, no eng message');

  // No input on /cho/1: idle 15 s after arriving, not before (checked every 5 s, pushed within 1 s).
  view = await waitForLive((v) => engagedOf(v, '/cho/1') === 0, 15_000 + 5_000 + LIVE_BOUND_MS, 'the reader without input idle');
  assert.ok(Date.now() - arrivedAt >= 14_000, `idle after ${Date.now() - arrivedAt} ms, before 15 s without input`);
  assert.equal(readersOf(view, '/cho/1'), 1);
  assert.equal(view.engaged, 0, "the site's engaged readers");

  await idle.mouse.move(40, 60);
  await idle.mouse.wheel(0, 200);
  view = await waitForLive((v) => engagedOf(v, '/cho/1') === 1, 5_000 + LIVE_BOUND_MS, 'input makes the reader engaged again');
  assert.equal(view.engaged, 1);
  await settle();
});
