// The page's sections, built once into the shell's #app. Every update rewrites text and widths in
// place; the dashboard and the board (?board=1: the online figure and the top 15) share this code.
import { el, RowPool, setText } from './dom.js';
import { change, engagedShare, type Formats } from './format.js';
import { SOURCES, type DashboardLabels, type Source } from './labels.js';
import type { Move } from './ranking.js';
import type { DayPage } from './api.js';
import { hourPeak, type DaySeries } from './day-series.js';

export type SourceCounts = Record<Source, number>;

export interface LivePage {
  url: string;
  title?: string;
  section?: string;
  readers: number;
  engaged: number;
  sources: SourceCounts;
}

export interface LiveMessage {
  at: string;
  online: { guests: number; members: number; total: number; bots: number };
  engaged: number;
  sources: SourceCounts;
  referrers: { host: string; readers: number }[];
  pages: LivePage[];
}

interface Mix {
  bar: HTMLElement;
  segments: HTMLElement[];
}

function makeMix(parent: HTMLElement): Mix {
  const bar = el('span', 'mix', parent);
  bar.setAttribute('role', 'img');
  return { bar, segments: SOURCES.map((source) => el('span', `seg s-${source}`, bar)) };
}

/** Segment widths and the bar's text alternative ("Search 25, Social 21"). */
function setMix(mix: Mix, sources: SourceCounts, labels: DashboardLabels, formats: Formats): void {
  let total = 0;
  for (const source of SOURCES) total += sources[source] ?? 0;
  const parts: string[] = [];
  SOURCES.forEach((source, i) => {
    const count = sources[source] ?? 0;
    const width = total > 0 ? `${((count / total) * 100).toFixed(1)}%` : '0%';
    const segment = mix.segments[i]!;
    if (segment.style.width !== width) segment.style.width = width;
    if (count > 0) parts.push(`${labels.source[source]} ${formats.number(count)}`);
  });
  const text = `${labels.sourceMix}: ${parts.join(', ') || labels.nothingYet}`;
  if (mix.bar.getAttribute('aria-label') !== text) mix.bar.setAttribute('aria-label', text);
}

function section(parent: HTMLElement, id: string, heading: string): HTMLElement {
  const box = el('section', `card ${id}`, parent);
  box.setAttribute('aria-labelledby', `h-${id}`);
  el('h2', '', box, heading).id = `h-${id}`;
  return box;
}

interface ArticleRow {
  item: HTMLElement;
  rank: HTMLElement;
  move: HTMLElement;
  link: HTMLAnchorElement;
  section: HTMLElement;
  readers: HTMLElement;
  engaged: HTMLElement;
  mix: Mix;
}

export interface View {
  status(text: string, connection: 'live' | 'offline' | 'connecting' | 'refused'): void;
  live(message: LiveMessage, moves: readonly Move[]): void;
  counts(today: { visits: number; pageviews: number }, yesterday: { visits: number; pageviews: number } | undefined): void;
  peak(peak: { online: number; minute: number } | undefined): void;
  mostRead(pages: readonly DayPage[]): void;
  chartBox: HTMLElement | undefined;
  /** The chart's text alternative: a summary and a table of each hour's peak, today and last week. */
  chartText(text: string, series: DaySeries): void;
}

export function makeView(root: HTMLElement, site: string, board: boolean, pages: number, labels: DashboardLabels, formats: Formats): View {
  const header = el('header', 'top', root);
  el('h1', '', header, `${board ? labels.board : labels.title}: ${site}`);
  const status = el('p', 'status', header);
  status.setAttribute('role', 'status');
  const main = el('main', 'grid', root);

  const online = section(main, 'online', labels.online);
  const total = el('p', 'big', online, '–');
  total.setAttribute('aria-live', 'polite');
  total.dataset.figure = 'online';
  const figures = el('dl', 'figures', online);
  const figure = (label: string, name: string) => {
    const box = el('div', '', figures);
    el('dt', '', box, label);
    const value = el('dd', '', box, '–');
    value.dataset.figure = name;
    return value;
  };
  const guests = figure(labels.guests, 'guests');
  const members = figure(labels.members, 'members');
  const bots = figure(labels.bots, 'bots');
  const engaged = figure(labels.engaged, 'engaged');

  let chartBox: HTMLElement | undefined;
  let peakText: HTMLElement | undefined;
  const hourCells: { today: HTMLElement; lastWeek: HTMLElement }[] = [];
  if (!board) {
    const curve = section(main, 'curve', labels.curve);
    peakText = el('p', 'peak', curve, `${labels.peak}: –`);
    chartBox = el('div', 'chart', curve);
    chartBox.setAttribute('role', 'img');
    chartBox.dataset.curve = '';
    // The chart's figures for screen readers (and tests): each hour's peak, today and last week.
    // In a box of its own: a table is never narrower than its content, so it cannot be the 1 px box itself.
    const hours = el('table', '', el('div', 'visually-hidden', curve));
    hours.dataset.hours = '';
    el('caption', '', hours, labels.hourTable);
    const hoursHead = el('tr', '', el('thead', '', hours));
    for (const text of [labels.time, labels.today, labels.lastWeek]) el('th', '', hoursHead, text).setAttribute('scope', 'col');
    const hoursBody = el('tbody', '', hours);
    for (let hour = 0; hour < 24; hour++) {
      const row = el('tr', '', hoursBody);
      row.dataset.hour = String(hour);
      el('th', '', row, formats.minute(hour * 60)).setAttribute('scope', 'row');
      hourCells.push({ today: el('td', '', row, '–'), lastWeek: el('td', '', row, '–') });
    }
  }

  const top = section(main, 'articles', labels.topNow);
  const table = el('table', 'ranking', top);
  table.dataset.top = '';
  const head = el('tr', '', el('thead', '', table));
  for (const [text, className] of [[labels.rank, 'n'], [labels.article, ''], [labels.readers, 'n'], [labels.engaged, 'n'], [labels.sourceMix, 'mixcol']] as const) {
    el('th', className, head, text).setAttribute('scope', 'col');
  }
  const articleRows = new RowPool<ArticleRow>(
    el('tbody', '', table),
    pages,
    (item) => {
      const rankCell = el('td', 'n rank', item);
      const rank = el('span', '', rankCell);
      const move = el('span', 'move', rankCell);
      const title = el('td', 'title', item);
      const link = el('a', '', title);
      const sectionName = el('span', 'section', title);
      const readers = el('td', 'n readers', item);
      readers.dataset.readers = '';
      // Narrow screens hide the column heads and show these beside the figures instead.
      readers.dataset.label = labels.readers;
      const engagedCell = el('td', 'n engaged', item);
      engagedCell.dataset.label = labels.engaged;
      const mix = makeMix(el('td', 'mixcol', item));
      return { item, rank, move, link, section: sectionName, readers, engaged: engagedCell, mix };
    },
    'tr',
  );
  articleRows.show(0);
  const noArticles = el('p', 'empty', top, labels.nothingYet);

  let sourceRows: { item: HTMLElement; count: HTMLElement; mix: HTMLElement }[] = [];
  let referrerRows: RowPool<{ item: HTMLElement; host: HTMLElement; readers: HTMLElement }> | undefined;
  let noReferrers: HTMLElement | undefined;
  let compare: { visits: HTMLElement; pageviews: HTMLElement; visitsBefore: HTMLElement; pageviewsBefore: HTMLElement } | undefined;
  let mostReadRows: RowPool<{ item: HTMLElement; link: HTMLAnchorElement; views: HTMLElement }> | undefined;
  let noMostRead: HTMLElement | undefined;
  if (!board) {
    const sources = section(main, 'sources', labels.sources);
    const list = el('ul', 'bars', sources);
    sourceRows = SOURCES.map((source) => {
      const item = el('li', '', list);
      el('span', `dot s-${source}`, item).setAttribute('aria-hidden', 'true');
      el('span', 'label', item, labels.source[source]);
      const count = el('span', 'n', item, '0');
      const track = el('span', 'track', item);
      track.setAttribute('aria-hidden', 'true');
      return { item, count, mix: el('span', `fill s-${source}`, track) };
    });

    const referrers = section(main, 'referrers', labels.referrers);
    referrerRows = new RowPool(el('ol', 'plain', referrers), 10, (item) => ({ item, host: el('span', 'label', item), readers: el('span', 'n', item) }));
    referrerRows.show(0);
    noReferrers = el('p', 'empty', referrers, labels.noReferrers);

    const versus = section(main, 'compare', labels.versusYesterday);
    const dl = el('dl', 'figures', versus);
    const pair = (label: string) => {
      const box = el('div', '', dl);
      el('dt', '', box, label);
      const dd = el('dd', '', box);
      const value = el('span', 'value', dd, '–');
      const before = el('span', 'before', dd);
      return [value, before] as const;
    };
    const [visits, visitsBefore] = pair(labels.visits);
    const [pageviews, pageviewsBefore] = pair(labels.pageviews);
    compare = { visits, visitsBefore, pageviews, pageviewsBefore };

    const mostRead = section(main, 'most-read', labels.mostRead);
    mostReadRows = new RowPool(el('ol', 'plain', mostRead), 10, (item) => ({ item, link: el('a', 'label', item), views: el('span', 'n', item) }));
    mostReadRows.show(0);
    noMostRead = el('p', 'empty', mostRead, labels.nothingYet);
  }

  const setLink = (link: HTMLAnchorElement, url: string, title: string | undefined) => {
    if (link.getAttribute('href') !== url) link.href = url;
    setText(link, title || url);
  };

  const versusText = (now: number, before: number | undefined) => {
    if (before === undefined) return '';
    const delta = change(now, before);
    const sign = delta === undefined ? '' : `${delta >= 0 ? '+' : ''}${formats.percent(delta)} · `;
    return `${sign}${formats.number(before)} ${labels.yesterdaySameTime}`;
  };

  return {
    chartBox,
    status(text, connection) {
      setText(status, text);
      status.dataset.connection = connection;
      status.classList.toggle('warn', connection === 'offline' || connection === 'refused');
    },
    live(message, moves) {
      setText(total, formats.number(message.online.total));
      setText(guests, formats.number(message.online.guests));
      setText(members, formats.number(message.online.members));
      setText(bots, formats.number(message.online.bots));
      setText(engaged, formats.percent(engagedShare(message.engaged, message.online.total)));

      const shown = Math.min(message.pages.length, articleRows.rows.length);
      for (let i = 0; i < shown; i++) {
        const page = message.pages[i]!;
        const row = articleRows.rows[i]!;
        const move = moves[i] ?? 'same';
        setText(row.rank, formats.number(i + 1));
        // Hooks for tests and tools (test/e2e/dashboard-page.ts): the row's page, rank and move.
        if (row.item.dataset.url !== page.url) row.item.dataset.url = page.url;
        row.item.dataset.rank = String(i + 1);
        row.item.dataset.move = move === 'same' ? '' : move;
        setText(row.move, move === 'up' ? '▲' : move === 'down' ? '▼' : move === 'new' ? labels.isNew : '');
        row.move.className = `move ${move}`;
        const moveText = move === 'up' ? labels.movedUp : move === 'down' ? labels.movedDown : move === 'new' ? labels.isNew : '';
        if (moveText) row.move.setAttribute('aria-label', moveText);
        else row.move.removeAttribute('aria-label');
        row.move.setAttribute('role', moveText ? 'img' : 'presentation');
        setLink(row.link, page.url, page.title);
        setText(row.section, page.section ?? '');
        setText(row.readers, formats.number(page.readers));
        setText(row.engaged, formats.percent(engagedShare(page.engaged, page.readers)));
        setMix(row.mix, page.sources, labels, formats);
      }
      for (let i = shown; i < articleRows.rows.length; i++) delete articleRows.rows[i]!.item.dataset.url;
      articleRows.show(shown);
      noArticles.hidden = shown > 0;

      let sum = 0;
      for (const source of SOURCES) sum += message.sources[source] ?? 0;
      SOURCES.forEach((source, i) => {
        const row = sourceRows[i];
        if (!row) return;
        const count = message.sources[source] ?? 0;
        setText(row.count, formats.number(count));
        row.mix.style.width = sum > 0 ? `${((count / sum) * 100).toFixed(1)}%` : '0%';
      });
      if (referrerRows && noReferrers) {
        const referrers = message.referrers.slice(0, referrerRows.rows.length);
        referrers.forEach(({ host, readers }, i) => {
          const row = referrerRows!.rows[i]!;
          setText(row.host, host);
          setText(row.readers, formats.number(readers));
        });
        referrerRows.show(referrers.length);
        noReferrers.hidden = referrers.length > 0;
      }
    },
    counts(today, yesterday) {
      if (!compare) return;
      setText(compare.visits, formats.number(today.visits));
      setText(compare.pageviews, formats.number(today.pageviews));
      setText(compare.visitsBefore, versusText(today.visits, yesterday?.visits));
      setText(compare.pageviewsBefore, versusText(today.pageviews, yesterday?.pageviews));
    },
    peak(peak) {
      if (peakText) setText(peakText, `${labels.peak}: ${peak ? `${formats.number(peak.online)} (${formats.minute(peak.minute)})` : '–'}`);
    },
    mostRead(pages) {
      if (!mostReadRows || !noMostRead) return;
      const shown = Math.min(pages.length, mostReadRows.rows.length);
      for (let i = 0; i < shown; i++) {
        const page = pages[i]!;
        const row = mostReadRows.rows[i]!;
        setLink(row.link, page.url, page.title);
        setText(row.views, formats.number(page.pageviews));
      }
      mostReadRows.show(shown);
      noMostRead.hidden = shown > 0;
    },
    chartText(text, series) {
      if (!chartBox) return;
      chartBox.dataset.todayPoints = String(series.todayPoints());
      chartBox.dataset.lastWeekPoints = String(series.lastWeekPoints());
      if (chartBox.getAttribute('aria-label') !== text) chartBox.setAttribute('aria-label', text);
      const figure = (online: number | null) => (online === null ? '–' : formats.number(online));
      hourCells.forEach((cells, hour) => {
        setText(cells.today, figure(hourPeak(series.today, hour)));
        setText(cells.lastWeek, figure(hourPeak(series.lastWeek, hour)));
      });
    },
  };
}
