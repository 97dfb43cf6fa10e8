// Admission at the HTTP upgrade: the site and the page's Origin are checked before a socket exists,
// so a refused page costs one HTTP response and creates nothing.
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { originAllowed, type Site, type SiteRegistry } from '../sites.js';
import type { RejectReason } from '../metrics/metrics.js';
import { parseRequestTarget } from '../request-target.js';

export const WS_PATH = '/ws';

/** `viewer`: admitted only as Headcount's own page (the dashboard): it may watch, never be counted. */
export type Admission = { ok: true; site: Site; viewer: boolean } | { ok: false; status: number; reason: RejectReason; error: string };

export function admit(request: IncomingMessage, sites: SiteRegistry): Admission {
  const target = parseRequestTarget(request.url);
  if (!target.ok) return { ok: false, status: 400, reason: 'bad_request', error: target.error };
  if (target.path !== WS_PATH) {
    return { ok: false, status: 404, reason: 'unknown_site', error: `no WebSocket endpoint at ${target.path.slice(0, 100)}; use ${WS_PATH}?site=SITE` };
  }
  const siteId = target.query.get('site') ?? '';
  const site = sites.get(siteId);
  if (!site) return { ok: false, status: 404, reason: 'unknown_site', error: 'unknown site' };
  if (originAllowed(site, request.headers.origin)) return { ok: true, site, viewer: false };
  if (fromOwnPage(request)) return { ok: true, site, viewer: true };
  return { ok: false, status: 403, reason: 'origin', error: `origin not allowed for site "${site.id}"` };
}

/** Whether the Origin is this server's own address, as the request's Host names it: a page Headcount
 * served itself (the dashboard at /dashboard/SITE), which needs no entry in the site's origins. */
function fromOwnPage(request: IncomingMessage): boolean {
  const { origin, host } = request.headers;
  if (origin === undefined || host === undefined) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/** Answers a refused upgrade with a plain HTTP response and a JSON body, then closes the TCP socket. */
export function refuseUpgrade(socket: Duplex, status: number, error: string): void {
  if (!socket.writable) return void socket.destroy();
  const body = JSON.stringify({ error });
  // The server's sockets allow half-open: without this a peer that never closes its side keeps the socket.
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
