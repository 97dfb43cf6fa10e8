// Counts this page over one WebSocket (docs/protocol.md): hello with the page's identity, reconnects that
// resume the same page session, visibility, engagement, single-page-app navigation, back/forward cache,
// a clean leave on pagehide, and the page's widgets and readers spans, also those added after load.
import type { ClientMessage, HelloMessage, ServerMessage } from '../src/protocol.js';
import { backoff } from './backoff.js';
import { doc } from './doc.js';
import { newId, visitorId } from './ids.js';
import { readersSpan, SELECTOR, widget, type View } from './widget.js';

export interface TrackerOptions {
  /** ws(s)://HOST/ws?site=SITE */
  url: string;
  site: string;
  /** Member token from the site's backend (data-member-token). */
  token?: string | undefined;
  /** data-cookieless: store no visitor id in the browser. */
  cookieless: boolean;
}

/** window.headcount (docs/embed.md §4). */
export interface Api {
  /** Reports a navigation, for routers that do not use pushState: `url` (absolute) defaults to location. */
  page(url?: string): void;
  /** Fills `element` once: a footer block when it has data-headcount, else a readers span. For shadow roots. */
  mount(element: HTMLElement): void;
}

// URLs are cut to 1 KB and titles, sections and authors to 200 characters (as much as the server keeps),
// within the protocol's limits and, for real pages, the 8192-byte frame limit with token and ticket.
// Empty values are left out.
const cut = (text = '', max = 1024) => text.slice(0, max) || undefined;
const here = () => cut(location.href.split('#')[0])!;
/** The first element `selector` finds, read as a link (href, absolute) or a meta (content). */
const tag = (selector: string) => (doc.querySelector(selector) || {}) as HTMLLinkElement & HTMLMetaElement;
const meta = (selector: string) => cut(tag(selector).content, 200);

export function track({ url: wsUrl, site, token, cookieless }: TrackerOptions): Api {
  const vid = visitorId(!cookieless);
  let psid = newId();
  let url = here();
  let ref = cut(doc.referrer);
  let ticket: string | undefined;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let ws: WebSocket | undefined;
  // The page's views by the push they show, and the latest push of each kind for views mounted later.
  const views: Record<string, View[]> = { counts: [], readers: [] };
  const last: Record<string, ServerMessage> = {};
  // Engagement: checks since the last input, 1 at the start (arriving is an input made just before a first
  // check: idle 15 s after arrival); `engaged` is what the server was last told.
  let quiet = 1;
  let engaged: boolean | undefined;

  /** A hello or page message: the page session and the page's identity as it is now. */
  const about = <T extends 'hello' | 'page'>(t: T) => ({
    t,
    psid,
    url,
    ref,
    canon: cut(tag('[rel=canonical]').href),
    title: cut(doc.title, 200),
    section: meta('[property$=section]'),
    author: meta('[property$=author],[name=author]'),
  });
  // A closed socket sends nothing: the next hello carries the state instead.
  const send = (message: ClientMessage) => ws && ws.readyState == 1 && ws.send(JSON.stringify(message));
  /** Asks for the pushes a kind of view shows. */
  const subscribe = (kind: string) => send({ t: kind == 'counts' ? 'sub' : 'readers', on: true });

  // Engaged = visible and input in the last 15 s (src/audience/engagement.ts). One check every 5 s sends
  // what changed, so at most one change per 5 s and a change inside the interval goes out at the next
  // check if it still holds: idle once 3 checks in a row saw no input (15-20 s after the last one).
  setInterval(() => {
    // Counted while hidden too: a reader back after a while has had no input for that while.
    const on = quiet++ < 3 && !doc.hidden;
    // Sent or not, `engaged` follows: a socket that opens later starts from its hello's state.
    if (on != engaged) send({ t: 'eng', on: (engaged = on) });
  }, 5e3);
  const touched = () => (quiet = 0);

  const mount = (el: HTMLElement & { hc?: 1 }) => {
    if (el.hc) return;
    el.hc = 1;
    const kind = el.dataset.headcount == null ? 'readers' : 'counts';
    const update = (kind == 'counts' ? widget : readersSpan)(el);
    // The first view of a kind subscribes now (on a socket already open; else the next hello does).
    if (views[kind]!.push(update) == 1) subscribe(kind);
    if (last[kind]) update(last[kind]!);
  };
  const scan = () => doc.querySelectorAll<HTMLElement>(SELECTOR).forEach(mount);

  // Called at start, by the reconnect timer, and on a bfcache restore (pagehide cleared the timer).
  const connect = () => {
    const socket = (ws = new WebSocket(wsUrl));
    socket.onopen = () => {
      // Undefined fields are left out by JSON.stringify; the server tries the ticket before the token.
      // Only the current socket opens (an old one was closed first), so `send` uses this one.
      send(Object.assign(about('hello'), { site, vid, ticket, member: token, vis: doc.visibilityState, bot: navigator.webdriver }) satisfies HelloMessage);
      // Messages are handled in order, so subscriptions may follow the hello at once.
      for (const kind in views) if (views[kind]![0]) subscribe(kind);
      engaged = !doc.hidden;
    };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data) as ServerMessage;
      if (message.t == 'welcome') {
        attempt = 0;
        ticket = message.ticket;
      } else (views[message.t] || []).forEach((update) => update((last[message.t] = message)));
    };
    socket.onclose = ({ code }) => {
      if (socket != ws) return;
      ws = undefined;
      // A refused ticket is dropped first, then the (probably expired) token: the page stays counted as a guest.
      if (code == 4401) ticket ? (ticket = undefined) : (token = undefined);
      // Retrying cannot help after a malformed message, another site, or a newer socket holding the page.
      if (![4400, 4404, 4409].includes(code)) timer = setTimeout(connect, backoff(attempt++));
    };
  };

  const navigate = (next = here()) => {
    if (next == url) return;
    ref = url;
    url = next;
    psid = newId();
    // When no socket is open, the next hello carries the new page session instead.
    send(about('page'));
  };
  // Routers update the title and canonical link after they change the address; 300 ms later (Umami's
  // delay) the page message names the new article, not the previous one.
  const later = () => setTimeout(navigate, 300);
  const pushState = history.pushState;
  history.pushState = function (...args) {
    pushState.apply(this, args);
    later();
  };
  addEventListener('popstate', later);
  // visibilitychange bubbles from the document to the window.
  addEventListener('visibilitychange', () => {
    send({ t: 'vis', vis: doc.visibilityState });
    // A hidden page is idle on the server at once; visible again, it is engaged only with recent input.
    if (doc.hidden) engaged = false;
  });
  'scroll keydown pointerdown pointermove'.split(' ').forEach((type) => addEventListener(type, touched, true));
  // Closing at once drops the count now rather than at the next heartbeat, and keeps the page eligible for the bfcache.
  addEventListener('pagehide', () => {
    clearTimeout(timer);
    // onclose runs later and finds ws cleared: no reconnect.
    if (ws) ws.close(1000);
    ws = undefined;
  });
  // Restored from the back/forward cache: the same page session resumes, no new pageview.
  addEventListener('pageshow', (event) => event.persisted && connect());
  scan();
  // Widgets and spans that frameworks or lazy footers add later: a native attribute query per batch of changes.
  new MutationObserver(scan).observe(doc, { childList: true, subtree: true });
  connect();
  return { page: (next) => navigate(cut(next)), mount };
}
