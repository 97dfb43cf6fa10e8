// GET (and HEAD) /api/sites/SITE/stats and /live, the routes every footer and dashboard polls, answered
// before Express: one regular expression matches them, the limiter counts them, and the answer is a
// response prepared once per figures object (rendered-json.ts). Everything else goes on to Express.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from './errors.js';
import type { AdmitRequest } from './request-limit.js';

/** A cached route's handler: `site` is the decoded path segment, `query` what follows the `?`, if any. */
export type CachedRoute = (req: IncomingMessage, res: ServerResponse, site: string, query: string | undefined) => Promise<void>;

export interface CachedRoutes {
  stats: CachedRoute;
  live: CachedRoute;
}

/** The paths as Express matched them: in any case, with or without a trailing slash. */
const ROUTE = /^\/api\/sites\/([^/?]+)\/(stats|live)\/?(?:\?(.*))?$/i;

/**
 * Returns whether it took the request (answered, or answering once the read settles). `failed` is
 * told of an exception in a handler, which then answers 500, or is cut if its answer had begun.
 */
export function cachedRoutes(routes: CachedRoutes, admit: AdmitRequest, failed: (error: unknown) => void): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const match = ROUTE.exec(req.url ?? '');
    if (!match) return false;
    if (!admit(req, res)) return true;
    let site: string;
    try {
      site = decodeURIComponent(match[1]!);
    } catch {
      // Express's words for the same failure.
      sendError(res, 400, `Failed to decode param '${match[1]}'`);
      return true;
    }
    const route = match[2]!.toLowerCase() === 'stats' ? routes.stats : routes.live;
    route(req, res, site, match[3]).catch((error: unknown) => {
      failed(error);
      if (res.headersSent) return void req.socket.destroy();
      sendError(res, 500, 'internal error');
    });
    return true;
  };
}
