// What the browser tests stand on: Headcount run as `npm start` runs it, Debian's chromium, and a news
// site's article page with the script tag, served from another origin. Closed in the reverse order.
import type { Browser } from 'playwright-core';
import { startHeadcount, type HeadcountProcess, type StartOptions } from '../support/headcount.js';
import { startAll } from '../support/start-all.js';
import { startArticleSite, type ArticleSite } from './article.js';
import { launchChromium } from './browser.js';

export interface NewsSite {
  headcount: HeadcountProcess;
  browser: Browser;
  article: ArticleSite;
  close(): Promise<void>;
}

export async function startNewsSite(options: StartOptions = {}): Promise<NewsSite> {
  const [headcount, browser] = await startAll(startHeadcount(options), launchChromium());
  const article = await startArticleSite({ headcount: headcount.url }).catch(async (error: unknown) => {
    await Promise.allSettled([browser.close(), headcount.dispose()]);
    throw error;
  });
  return {
    headcount,
    browser,
    article,
    async close() {
      await browser.close();
      await article.close();
      await headcount.dispose();
    },
  };
}
