// Entry of dashboard.js, loaded by the shell of GET /dashboard/SITE. Its configuration comes from the
// shell's data- attributes (the CSP allows no inline script): data-site, data-board, data-lang,
// data-tz, data-ws, data-access. Live figures arrive by push; the history and today's pages are read
// once a minute (and yesterday's and last week's once a day).
import { makeApi } from './api.js';
import { makeChart, type Chart } from './chart.js';
import { DaySeries } from './day-series.js';
import { addDays, localClock, makeFormats } from './format.js';
import { DASHBOARD_LABELS, dashboardLang, fill } from './labels.js';
import { openLiveSocket, type SocketState } from './live-socket.js';
import { Ranking } from './ranking.js';
import { makeView, type LiveMessage } from './view.js';

const BOARD_PAGES = 15;
const DASHBOARD_PAGES = 10;
const MINUTE_MS = 60_000;

const config = { ...document.documentElement.dataset, ...document.body.dataset };
const site = config.site ?? '';
const board = config.board === '1' || config.board === 'true';
const timeZone = config.tz || 'UTC';
const token = config.access || undefined;
const labels = DASHBOARD_LABELS[dashboardLang(config.lang, navigator.language)];
// undefined: the viewer's own locale, whatever the labels' language.
const formats = makeFormats(undefined, timeZone);
const pages = board ? BOARD_PAGES : DASHBOARD_PAGES;
// The API sits beside /dashboard/: relative to this script, so a path prefix carries over.
const script = document.querySelector<HTMLScriptElement>('script[src*="dashboard.js"]');
const base = new URL('../', script?.src ?? location.href).href;
const wsUrl = config.ws || `${base.replace(/^http/, 'ws')}ws?site=${encodeURIComponent(site)}`;

document.documentElement.classList.toggle('board', board);
document.title = `${board ? labels.board : labels.title}: ${site}`;

const root = document.getElementById('app') ?? document.body;
const view = makeView(root, site, board, pages, labels, formats);
const api = makeApi(base, site, token);
const series = new DaySeries();
const ranking = new Ranking();
const chart: Chart | undefined = view.chartBox ? makeChart(view.chartBox, series, labels, formats) : undefined;

let day = '';
let today = { visits: 0, pageviews: 0 };
let figuresAt: string | undefined;
let state: SocketState = 'connecting';

function showStatus(): void {
  const from = figuresAt ? `${labels.figuresFrom} ${formats.time(new Date(figuresAt))}` : '';
  if (state === 'refused') return view.status(labels.refused, 'refused');
  if (state === 'disconnected') return view.status(`${labels.disconnected} ${from}`.trim(), 'offline');
  if (state === 'connecting') return view.status(labels.connecting, 'connecting');
  view.status(from ? `${labels.live} · ${from}` : labels.live, 'live');
}

function showCurve(): void {
  if (!chart) return;
  const { minute } = localClock(Date.now(), timeZone);
  const peak = series.peak();
  view.peak(peak);
  chart.redraw();
  view.chartText(
    fill(labels.chartText, {
      now: formats.number(series.today[minute] ?? 0),
      peak: formats.number(peak?.online ?? 0),
      at: peak ? formats.minute(peak.minute) : '–',
      week: formats.number(series.lastWeek[minute] ?? 0),
    }),
    series,
  );
}

function showCounts(): void {
  const { minute } = localClock(Date.now(), timeZone);
  view.counts(today, series.yesterdayLoaded ? series.yesterdayUntil(minute) : undefined);
}

/** A failed read leaves the figures as they were: the next minute tries again. */
const quietly = (read: Promise<unknown>) => read.catch(() => undefined);

/**
 * Last week's same weekday by minute; by hour when its minutes are refused (HISTORY_MINUTE_DAYS under 8
 * keeps no minutes from a week ago, and a 25-hour day has more minutes than one request may ask for).
 */
async function lastWeek(from: string, to: string): Promise<void> {
  try {
    series.setLastWeek(await api.history(from, to));
  } catch {
    series.setLastWeek(await api.history(from, to, 'hour'), 60);
  }
}

/** Once a minute: today's new minutes and most-read pages; on a new local day, yesterday's and last week's series too. */
async function refresh(): Promise<void> {
  if (board) return;
  const now = Date.now();
  const clock = localClock(now, timeZone);
  // Buckets starting before now: the current minute's included, never more than a day's 1,440.
  const to = new Date(now).toISOString();
  if (clock.day !== day) {
    day = clock.day;
    series.clear();
    await Promise.all([
      quietly(api.history(day, to).then((points) => series.setToday(points))),
      quietly(lastWeek(addDays(day, -7), addDays(day, -6))),
      quietly(api.history(addDays(day, -1), day).then((points) => series.setYesterday(points))),
    ]);
  } else {
    // Only the minutes since the last one known (that one again: it was still filling).
    const last = series.lastMinute();
    const from = last < 0 ? day : new Date(now - (clock.minute - last + 1) * MINUTE_MS).toISOString();
    await quietly(api.history(from, to).then((points) => series.setToday(points)));
  }
  await quietly(api.pagesToday(DASHBOARD_PAGES).then((list) => view.mostRead(list)));
  showCurve();
  showCounts();
}

function onLive(message: LiveMessage): void {
  figuresAt = message.at;
  const shown = message.pages.slice(0, pages);
  view.live({ ...message, pages: shown }, ranking.update(shown.map((page) => page.url)));
  if (!board) {
    const clock = localClock(Date.parse(message.at) || Date.now(), timeZone);
    if (clock.day === day) series.observe(clock.minute, message.online.total);
    showCurve();
  }
  showStatus();
}

openLiveSocket({
  url: wsUrl,
  pages,
  token,
  onState(next) {
    state = next;
    showStatus();
  },
  onMessage(message) {
    if (message.t === 'live') onLive(message as unknown as LiveMessage);
    else if (message.t === 'counts') {
      const counts = message as unknown as { visits: { today: number }; pageviews: { today: number } };
      today = { visits: counts.visits.today, pageviews: counts.pageviews.today };
      showCounts();
    }
  },
});

showStatus();
void refresh();
// Aligned on the minute so the new point comes right after the minute closes.
setTimeout(() => {
  void refresh();
  setInterval(() => void refresh(), MINUTE_MS);
}, MINUTE_MS - (Date.now() % MINUTE_MS) + 1_000);
