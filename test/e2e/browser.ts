// Debian's chromium driven by playwright-core (never a downloaded browser), and helpers to drive a
// running Headcount: member tokens, starting totals, and reading figures with a deadline instead of fixed sleeps.
import { SignJWT } from 'jose';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import type { Counts, ServerMessage, WelcomeMessage } from '../../src/protocol.js';
import { DEMO_SITE } from '../../src/sites.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** `bfcache` keeps the back/forward cache, which playwright turns off by default. */
export function launchChromium({ bfcache = false } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    ignoreDefaultArgs: bfcache ? ['--disable-back-forward-cache'] : [],
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

const DESKTOP_CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

/**
 * A context that emulates a human reader: headless Chromium says "HeadlessChrome" in its user agent and
 * sets navigator.webdriver, and Headcount rightly counts both as bots. Tests of guest and member
 * counting therefore present a desktop Chrome user agent and hide the webdriver flag.
 */
export async function readerContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ userAgent: DESKTOP_CHROME, ...options });
  // A string, not a function: the TypeScript loader would add helpers the page does not have.
  await context.addInitScript("Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => false })");
  return context;
}

export async function readStats(baseUrl: string, site = 'demo'): Promise<Counts> {
  const response = await fetch(`${baseUrl}/api/sites/${site}/stats`);
  if (!response.ok) throw new Error(`stats: HTTP ${response.status}`);
  return (await response.json()) as Counts;
}

/** Polls until `check` holds; on timeout the error names `what` and describes the last state. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string, last: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Polls the stats API until `check` holds, or fails with the last figures after `timeoutMs`. */
export async function waitForStats(baseUrl: string, check: (counts: Counts) => boolean, timeoutMs = 5_000, what = 'expected figures'): Promise<Counts> {
  let last: Counts | undefined;
  let error: unknown;
  const read = async () => {
    try {
      last = await readStats(baseUrl);
      return check(last);
    } catch (caught) {
      // The server may be restarting; keep polling until the deadline.
      error = caught;
      return false;
    }
  };
  await waitFor(read, timeoutMs, what, () => (last ? JSON.stringify({ online: last.online, pageviews: last.pageviews.total }) : String(error)));
  return last!;
}

/** Every `welcome` a page's sockets receive, in order; attach before the page loads. */
export function recordWelcomes(page: Page): WelcomeMessage[] {
  const welcomes: WelcomeMessage[] = [];
  page.on('websocket', (socket) =>
    socket.on('framereceived', ({ payload }) => {
      const message = JSON.parse(String(payload)) as ServerMessage;
      if (message.t === 'welcome') welcomes.push(message);
    }),
  );
  return welcomes;
}

/** A member token as the demo site's backend would make it (docs/protocol.md §5). */
export function memberToken(sub: string, expiresIn = '5m'): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setAudience(DEMO_SITE.id).setExpirationTime(expiresIn).sign(new TextEncoder().encode(DEMO_SITE.memberSecret));
}

/** Sets the demo site's lifetime totals through the admin API. */
export async function setTotals(baseUrl: string, adminToken: string, totals: { visits?: number; pageviews?: number }): Promise<void> {
  const response = await fetch(`${baseUrl}/api/sites/demo/totals`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(totals),
  });
  if (!response.ok) throw new Error(`PUT totals: HTTP ${response.status} ${await response.text()}`);
}
