// Regenerates docs/demo-footer.png: the demo article's footer with a few readers online.
// Run: node --import tsx test/e2e/screenshot.ts
import { fileURLToPath } from 'node:url';
import { startHeadcount } from '../support/headcount.js';
import { startArticleSite } from './article.js';
import { launchChromium, memberToken, readerContext, setTotals, waitForStats } from './browser.js';

const ADMIN_TOKEN = 'screenshot-admin-token';
const OUT = fileURLToPath(new URL('../../docs/demo-footer.png', import.meta.url));

const headcount = await startHeadcount({ env: { ADMIN_TOKEN } });
const browser = await launchChromium();
const article = await startArticleSite({ headcount: headcount.url });
try {
  await setTotals(headcount.url, ADMIN_TOKEN, { visits: 52_015_394, pageviews: 90_110_233 });
  // Two more guests and a member reading elsewhere on the site.
  const token = await memberToken('demo-member');
  for (const query of ['', '', `?token=${encodeURIComponent(token)}`]) await (await (await readerContext(browser)).newPage()).goto(`${article.url}/article${query}`);
  const page = await (await readerContext(browser, { viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 })).newPage();
  await page.goto(`${headcount.url}/`);
  await waitForStats(headcount.url, (c) => c.online.guests === 3 && c.online.members === 1);
  await page.locator('[data-headcount] dd').nth(2).filter({ hasText: '4' }).waitFor();
  await page.locator('footer').screenshot({ path: OUT });
  console.log(`wrote ${OUT}`);
} finally {
  await browser.close();
  await article.close();
  await headcount.dispose();
}
