// The few in-process clients of the live view measurement: readers of one article (a hello with the
// article's identity, held) and dashboards subscribed to the live view, noting when each figure of
// the article they watch arrived.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import WebSocket from 'ws';
import { PAGE_ORIGIN, type ArticleFields } from './articles.js';
import { now } from './messages.js';

const OPEN_TIMEOUT_MS = 5_000;

/** What the bench reads of a live push (docs/protocol.md): the pages and their readers. */
interface LivePush {
  t: 'live';
  pages: readonly { url: string; readers: number }[];
}

function connect(wsBase: string): Promise<WebSocket> {
  const ws = new WebSocket(`${wsBase}?site=demo`, { headers: { origin: PAGE_ORIGIN }, perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => ws.terminate(), OPEN_TIMEOUT_MS);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.on('error', () => {}); // 'close' follows and decides
    ws.once('close', (code, reason) => {
      clearTimeout(timer);
      reject(new Error(`closed before open: ${code} ${reason.toString()}`));
    });
  });
}

async function close(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return;
  const closed = once(ws, 'close');
  ws.close(1000);
  const timer = setTimeout(() => ws.terminate(), OPEN_TIMEOUT_MS);
  await closed;
  clearTimeout(timer);
}

export interface Reader {
  close(): Promise<void>;
}

/** A page reading `article`: resolves once welcomed (its pageview is stored). */
export async function openReader(wsBase: string, article: ArticleFields): Promise<Reader> {
  const ws = await connect(wsBase);
  const welcomed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no welcome within ${OPEN_TIMEOUT_MS} ms`)), OPEN_TIMEOUT_MS);
    ws.on('message', (data) => {
      if ((JSON.parse(data.toString()) as { t: string }).t !== 'welcome') return;
      clearTimeout(timer);
      resolve();
    });
    ws.once('close', (code, reason) => {
      clearTimeout(timer);
      reject(new Error(`reader closed before welcome: ${code} ${reason.toString()}`));
    });
  });
  ws.send(JSON.stringify({ t: 'hello', site: 'demo', vid: randomUUID(), psid: randomUUID(), ...article }));
  await welcomed;
  return { close: () => close(ws) };
}

export class LiveDashboard {
  /** Readers of the watched article in the latest live push (0 while it is not listed). */
  readers: number | undefined;
  /** Every change of `readers`, in order of arrival. */
  private readonly changes: { readers: number; at: number }[] = [];

  private constructor(private readonly ws: WebSocket, readonly url: string, readonly instance: 'same' | 'other') {
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { t: string };
      if (message.t !== 'live') return;
      const readers = (message as LivePush).pages.find((page) => page.url === url)?.readers ?? 0;
      if (readers === this.readers) return;
      this.readers = readers;
      this.changes.push({ readers, at: now() });
    });
  }

  /** A dashboard (no hello: never counted) subscribed to the demo site's top `limit` pages. */
  static async open(wsBase: string, url: string, limit: number, instance: 'same' | 'other'): Promise<LiveDashboard> {
    const dashboard = new LiveDashboard(await connect(wsBase), url, instance);
    dashboard.ws.send(JSON.stringify({ t: 'live', on: true, n: limit }));
    return dashboard;
  }

  /** When the first push showing `readers` for the article arrived after `since`. */
  arrivalOf(readers: number, since: number): number | undefined {
    return this.changes.find((change) => change.at >= since && change.readers === readers)?.at;
  }

  close(): Promise<void> {
    return close(this.ws);
  }
}
