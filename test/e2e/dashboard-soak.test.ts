// The newsroom board runs for days without a reload: open on /dashboard/demo?board=1 in chromium while
// readers open and close articles every second (so the top 15 keeps changing), its JS heap after forced
// garbage collection at the end is within a margin of the start, and so are its DOM nodes and listeners.
// HEADCOUNT_BOARD_SOAK_S sets the run: 30 s in npm test, 600 s in `npm run soak:board`.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HeadcountProcess } from '../support/headcount.js';
import type { ArticleSite } from './article.js';
import { readerContext, waitFor } from './browser.js';
import { startNewsSite, type NewsSite } from './news-site.js';
import { describe, heapAfterGc, recordPageErrors, snapshot, type DashboardSnapshot, type HeapReading } from './dashboard-page.js';

const DURATION_S = Number(process.env.HEADCOUNT_BOARD_SOAK_S ?? 30);
/** Warm-up before the first reading: the board's rows, chart and caches reach their working size. */
const WARM_UP_S = 10;
/** Heap growth allowed over the run: a fixed floor for allocator noise, or a share of the start. */
const HEAP_MARGIN_BYTES = 256 * 1024;
const HEAP_MARGIN_SHARE = 0.1;
const DOM_MARGIN_NODES = 50;
const LISTENER_MARGIN = 10;
/** Articles readers move between: more than the board's 15, so rows enter and leave it. */
const ARTICLES = 30;
const OPEN_READERS = 20;
/**
 * Readers are tabs spread over a few browser contexts: a context per reader costs a renderer process
 * each, and on two loaded cores that slowed the run past the test runner's timeout.
 */
const READER_CONTEXTS = 4;
const NAVIGATION_TIMEOUT_MS = 10_000;

let headcount: HeadcountProcess;
let article: ArticleSite;
let browser: Browser;
let site: NewsSite | undefined;

before(async () => {
  site = await startNewsSite();
  ({ headcount, browser, article } = site);
});

after(async () => {
  await site?.close();
});

test(`the board's JS heap stays flat over ${DURATION_S} s of pages coming and going every second`, { timeout: (DURATION_S + WARM_UP_S + 90) * 1000 }, async (t) => {
  assert.ok(Number.isFinite(DURATION_S) && DURATION_S >= 10, `HEADCOUNT_BOARD_SOAK_S: expected at least 10 seconds, got ${process.env.HEADCOUNT_BOARD_SOAK_S}`);
  const boardContext = await browser.newContext({ viewport: { width: 1920, height: 1080 }, deviceScaleFactor: 1 });
  const board = await boardContext.newPage();
  const errors = recordPageErrors(board);
  assert.equal((await board.goto(`${headcount.url}/dashboard/demo?board=1`))?.status(), 200);

  const contexts: BrowserContext[] = [];
  for (let i = 0; i < READER_CONTEXTS; i++) contexts.push(await readerContext(browser));
  const open: Page[] = [];
  let tick = 0;
  let stopped = false;
  // Every second one reader arrives on a pseudo-random article and, once 20 read, the longest-reading one
  // leaves; an arrival is not awaited, so a slow page load does not slow the churn.
  const arrivals: Promise<void>[] = [];
  const arrive = async (n: number) => {
    const page = await contexts[n % READER_CONTEXTS]!.newPage();
    open.push(page);
    if (open.length > OPEN_READERS) await open.shift()!.close();
    await page.goto(`${article.url}/bai/${(n * 7919) % ARTICLES}`, { timeout: NAVIGATION_TIMEOUT_MS }).catch(() => undefined);
  };
  const churn = (async () => {
    while (!stopped) {
      arrivals.push(arrive(++tick).catch(() => undefined));
      if (arrivals.length > OPEN_READERS) await arrivals.shift();
      await sleep(1_000);
    }
    await Promise.all(arrivals);
  })();

  let last: DashboardSnapshot | undefined;
  await waitFor(async () => ((last = await snapshot(board)).rows.length >= 10), (WARM_UP_S + 30) * 1000, 'the board filled with readers', () => describe(last));
  await sleep(WARM_UP_S * 1000);
  const start: HeapReading = await heapAfterGc(board);
  const readings: number[] = [start.usedBytes];
  const startedAt = Date.now();
  while (Date.now() - startedAt < DURATION_S * 1000) {
    await sleep(Math.min(30_000, DURATION_S * 1000 - (Date.now() - startedAt)));
    readings.push((await heapAfterGc(board)).usedBytes);
  }
  const end = await heapAfterGc(board);
  const shown = await snapshot(board);
  stopped = true;
  await churn;
  await Promise.all(contexts.map((context) => context.close()));

  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);
  const figures = `board heap over ${DURATION_S} s, ${tick} readers arrived: start ${mb(start.usedBytes)} MB, end ${mb(end.usedBytes)} MB (${end.usedBytes >= start.usedBytes ? '+' : ''}${((end.usedBytes - start.usedBytes) / 1024).toFixed(0)} KB), max ${mb(Math.max(...readings))} MB; DOM nodes ${start.nodes} -> ${end.nodes}, listeners ${start.listeners} -> ${end.listeners}`;
  t.diagnostic(figures);
  console.log(figures);
  assert.ok(shown.rows.length >= 1 && shown.rows.length <= 15, `the board still shows the top articles at the end: ${describe(shown)}`);
  assert.equal(shown.connection, 'live');
  const margin = Math.max(HEAP_MARGIN_BYTES, start.usedBytes * HEAP_MARGIN_SHARE);
  assert.ok(end.usedBytes - start.usedBytes <= margin, `heap grew ${end.usedBytes - start.usedBytes} bytes, more than ${Math.round(margin)}: ${figures}`);
  assert.ok(end.nodes - start.nodes <= DOM_MARGIN_NODES, `DOM nodes grew: ${figures}`);
  assert.ok(end.listeners - start.listeners <= LISTENER_MARGIN, `listeners grew: ${figures}`);
  assert.deepEqual(errors, [], 'no console error on the board');
  await boardContext.close();
});
