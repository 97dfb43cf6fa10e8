// Counts this page over one WebSocket (docs/protocol.md): hello, reconnects that resume the same page
// session, visibility, single-page-app navigation, back/forward cache, and a clean leave on pagehide.
import type { ClientMessage, HelloMessage, ServerMessage } from '../src/protocol.js';
import { backoff } from './backoff.js';
import { newId, visitorId } from './ids.js';
import type { Update } from './widget.js';

export interface TrackerOptions {
  /** ws(s)://HOST/ws?site=SITE */
  url: string;
  site: string;
  /** Member token from the site's backend (data-member-token). */
  token?: string | undefined;
  /** data-cookieless: store no visitor id in the browser. */
  cookieless: boolean;
}

/** Close codes after which retrying cannot help: a malformed message, another site, or a newer socket holds the page. */
const PERMANENT = [4400, 4404, 4409];

/** URL and referrer are cut to 1 KB each, so a hello with token and ticket stays under the 4096-byte frame limit. */
const cut = (url: string) => url.slice(0, 1024);
const here = () => cut(location.href.split('#')[0]!);

/** Counts the page; live counts are asked for only when the page shows widgets. */
export function track({ url: wsUrl, site, token, cookieless }: TrackerOptions, widgets: Update[]): void {
  const vid = visitorId(!cookieless);
  let psid = newId();
  let url = here();
  let ref = cut(document.referrer);
  let ticket: string | undefined;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let ws: WebSocket | undefined;

  const send = (message: ClientMessage) => ws && ws.readyState == 1 && ws.send(JSON.stringify(message));

  const connect = () => {
    clearTimeout(timer);
    const socket = (ws = new WebSocket(wsUrl));
    socket.onopen = () => {
      // Undefined fields are left out by JSON.stringify; the server tries the ticket before the token.
      const hello: HelloMessage = { t: 'hello', site, vid, psid, url, ref, ticket, member: token, vis: document.visibilityState, sub: widgets.length > 0, bot: navigator.webdriver };
      socket.send(JSON.stringify(hello));
    };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data) as ServerMessage;
      if (message.t == 'welcome') {
        attempt = 0;
        ticket = message.ticket;
      } else widgets.forEach((update) => update(message));
    };
    socket.onclose = ({ code }) => {
      if (socket != ws) return;
      ws = undefined;
      // A refused ticket is dropped first, then the (probably expired) token: the page stays counted as a guest.
      if (code == 4401) ticket ? (ticket = undefined) : (token = undefined);
      if (!PERMANENT.includes(code)) timer = setTimeout(connect, backoff(attempt++));
    };
  };

  const navigate = () => {
    if (here() == url) return;
    ref = url;
    url = here();
    psid = newId();
    // When no socket is open, the next hello carries the new page session instead.
    send({ t: 'page', psid, url, ref });
  };
  const pushState = history.pushState;
  history.pushState = function (...args) {
    pushState.apply(this, args);
    navigate();
  };
  addEventListener('popstate', navigate);
  document.addEventListener('visibilitychange', () => send({ t: 'vis', vis: document.visibilityState }));
  // Closing at once drops the count now rather than at the next heartbeat, and keeps the page eligible for the bfcache.
  addEventListener('pagehide', () => {
    const socket = ws;
    ws = undefined;
    clearTimeout(timer);
    if (socket) socket.close(1000);
  });
  // Restored from the back/forward cache: the same page session resumes, no new pageview.
  addEventListener('pageshow', (event) => event.persisted && connect());
  connect();
}
