// HTTP_REQUESTS_PER_MINUTE: /api requests per address (IPv6: per /64, like MAX_SOCKETS_PER_IP) in
// fixed one-minute windows. A plain counter map, cleared when its window ends, so the hot cached
// routes pay one map update per request; one limiter counts every /api route, answered before
// Express or inside it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { addressGroup, type AddressOf } from '../client-address.js';
import { sendError } from './errors.js';

const WINDOW_MS = 60_000;

export interface RequestLimitDeps {
  perMinute: number;
  addressOf: AddressOf;
  clock: () => number;
  /** Called for each refused request (headcount_sessions_rejected_total{reason="http_rate_limit"}). */
  refused: () => void;
}

/** Counts one request; answers 429 and returns false when its address is over the limit. */
export type AdmitRequest = (req: IncomingMessage, res: ServerResponse) => boolean;

export function requestLimiter(deps: RequestLimitDeps): AdmitRequest {
  // Bounded by the addresses seen in one window, as express-rate-limit's memory store was.
  let counts = new Map<string, number>();
  let windowEnds = 0;
  const message = `more than ${deps.perMinute} API requests per minute from one address`;
  return (req, res) => {
    const now = deps.clock();
    if (now >= windowEnds) {
      counts = new Map();
      windowEnds = now + WINDOW_MS;
    }
    // A socket already gone has no address; its requests share one key rather than throw.
    const key = addressGroup(deps.addressOf(req) ?? '');
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    if (n <= deps.perMinute) return true;
    deps.refused();
    sendError(res, 429, message);
    return false;
  };
}

/** The same limiter as Express middleware, for the /api routes Express answers. */
export function limitMiddleware(admit: AdmitRequest): RequestHandler {
  return (req, res, next) => {
    if (admit(req, res)) next();
  };
}
