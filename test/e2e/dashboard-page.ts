// Reading the dashboard (GET /dashboard/SITE) in chromium through the hooks its DOM carries for tests and
// tools: data-figure="online|guests|members|bots", rows with data-url, data-rank and data-move
// ("up" | "down" | "new" | "") holding a data-readers element, the chart's data-curve with
// data-today-points and data-last-week-points, its hidden table of each hour's peak (data-hours, rows
// data-hour="0".."23": today, last week), and data-connection="live" | "offline".
import type { Page } from 'playwright-core';

export interface DashboardRow {
  url: string;
  rank: number;
  move: string;
  readers: number;
}

export interface DashboardSnapshot {
  online: number | null;
  rows: DashboardRow[];
  todayPoints: number | null;
  lastWeekPoints: number | null;
  connection: string | null;
}

// A string, not a function: the TypeScript loader would add helpers the page does not have.
const SNAPSHOT = `(() => {
  const digits = (text) => { const d = (text || '').replace(/[^0-9]/g, ''); return d === '' ? null : Number(d); };
  const online = document.querySelector('[data-figure="online"]');
  const curve = document.querySelector('[data-curve]');
  const connection = document.querySelector('[data-connection]');
  return {
    online: online ? digits(online.textContent) : null,
    rows: [...document.querySelectorAll('[data-top] [data-url]')].map((row) => ({
      url: row.getAttribute('data-url'),
      rank: Number(row.getAttribute('data-rank')),
      move: row.getAttribute('data-move') || '',
      readers: digits(row.querySelector('[data-readers]')?.textContent) ?? -1,
    })),
    todayPoints: curve ? digits(curve.getAttribute('data-today-points')) : null,
    lastWeekPoints: curve ? digits(curve.getAttribute('data-last-week-points')) : null,
    connection: connection ? connection.getAttribute('data-connection') : null,
  };
})()`;

export const snapshot = (page: Page): Promise<DashboardSnapshot> => page.evaluate(SNAPSHOT) as Promise<DashboardSnapshot>;

export interface HourPeaks {
  today: (number | null)[];
  lastWeek: (number | null)[];
}

const HOURS = `(() => {
  const digits = (text) => { const d = (text || '').replace(/[^0-9]/g, ''); return d === '' ? null : Number(d); };
  const rows = [...document.querySelectorAll('[data-hours] [data-hour]')];
  return { today: rows.map((row) => digits(row.cells[1]?.textContent)), lastWeek: rows.map((row) => digits(row.cells[2]?.textContent)) };
})()`;

/** The chart's table of each hour's peak, today and last week (null: "–", no value). */
export const hourPeaks = (page: Page): Promise<HourPeaks> => page.evaluate(HOURS) as Promise<HourPeaks>;

/** A short description of what the dashboard shows, for failure messages. */
export const describe = (shot: DashboardSnapshot | undefined): string =>
  shot ? JSON.stringify({ online: shot.online, connection: shot.connection, points: shot.todayPoints, rows: shot.rows.map(({ url, rank, move, readers }) => `${rank}:${new URL(url).pathname}=${readers}${move ? `(${move})` : ''}`) }) : 'none';

/** Console errors and CSP refusals the page reports: a strict CSP must not cost the page anything. */
export function recordPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    // The browser's own request for /favicon.ico is not the page's doing.
    if (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico')) errors.push(`${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  return errors;
}

export interface HeapReading {
  usedBytes: number;
  nodes: number;
  listeners: number;
}

/** The page's JS heap in use after a forced garbage collection, with its DOM node and listener counts (CDP). */
export async function heapAfterGc(page: Page): Promise<HeapReading> {
  const cdp = await page.context().newCDPSession(page);
  try {
    for (let i = 0; i < 3; i++) await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize } = await cdp.send('Runtime.getHeapUsage');
    const counters = await cdp.send('Memory.getDOMCounters');
    return { usedBytes: usedSize, nodes: counters.nodes, listeners: counters.jsEventListeners };
  } finally {
    await cdp.detach();
  }
}
