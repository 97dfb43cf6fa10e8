// The cached readers hand out one figures object per site (and limit) for about a second: its body,
// ETag and response headers are built once for that object, not once per request, and sent with one
// writeHead and end. Works on a plain Node response and on Express's alike.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export type RouteHeaders = Readonly<Record<string, string>>;

export interface RenderedJson {
  /** Strong validator: a matching If-None-Match is answered 304 with no body. */
  readonly etag: string;
  readonly body: Buffer;
  /** The 200's headers, flat (name, value, name, value...) as writeHead takes them. */
  readonly ok: readonly string[];
  /** The 304's: the same less the body's type and length. */
  readonly notModified: readonly string[];
}

const rendered = new WeakMap<object, RenderedJson>();

/** `headers` are the route's own (CORS, caching); a figures object belongs to one site, so to one set of them. */
export function renderJson(figures: object, headers: RouteHeaders): RenderedJson {
  let done = rendered.get(figures);
  if (!done) {
    const body = Buffer.from(JSON.stringify(figures));
    const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
    const notModified = [...Object.entries(headers).flat(), 'ETag', etag];
    done = { etag, body, notModified, ok: [...notModified, 'Content-Type', 'application/json; charset=utf-8', 'Content-Length', String(body.length)] };
    rendered.set(figures, done);
  }
  return done;
}

/** `no-cache` as a directive of the request's Cache-Control. */
const NO_CACHE = /(?:^|,)\s*no-cache\s*(?:,|$)/;

/**
 * Express's req.fresh (the `fresh` package) for a response that has an ETag and no Last-Modified:
 * If-None-Match lists this ETag (weakly compared) or is `*`, and the request does not ask past caches.
 */
function fresh(req: IncomingMessage, etag: string): boolean {
  const { 'if-none-match': noneMatch, 'if-modified-since': modifiedSince, 'cache-control': cacheControl } = req.headers;
  // With no Last-Modified to compare, If-Modified-Since never makes a response fresh.
  if (noneMatch === undefined || modifiedSince !== undefined) return false;
  if (cacheControl !== undefined && NO_CACHE.test(cacheControl)) return false;
  if (noneMatch.trim() === '*') return true;
  return noneMatch.split(/[ ,]+/).some((tag) => tag === etag || tag === `W/${etag}`);
}

/** 200 with the prepared body (none for HEAD: Node leaves it out), or 304 when the client's copy is current. */
export function sendRendered(req: IncomingMessage, res: ServerResponse, json: RenderedJson): void {
  if (fresh(req, json.etag)) res.writeHead(304, json.notModified as string[]).end();
  else res.writeHead(200, json.ok as string[]).end(json.body);
}

/** Sets a route's headers on a response that is then answered some other way (an error, a 503). */
export function setRouteHeaders(res: ServerResponse, headers: RouteHeaders): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
}
