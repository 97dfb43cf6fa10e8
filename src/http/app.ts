// The request listener without listen(): the server module owns the port, tests can mount it anywhere.
// The polled read routes are answered before Express (cached-routes.ts), everything else by Express.
import type { RequestListener } from 'node:http';
import express, { type RequestHandler, type Router } from 'express';
import { addressResolver } from '../client-address.js';
import type { DayPagesReader } from '../day-pages.js';
import type { LiveReader } from '../live-view.js';
import type { Metrics } from '../metrics/metrics.js';
import type { SiteRegistry } from '../sites.js';
import type { StatsReader } from '../stats.js';
import { DEFAULT_HISTORY_RETENTION, type HistoryRetention, type Store } from '../store/store.js';
import { requireBearer } from './bearer.js';
import { cachedRoutes } from './cached-routes.js';
import { errorHandler, notFound, type UnknownSite } from './errors.js';
import { limitMiddleware, requestLimiter } from './request-limit.js';
import { adminRoutes } from './routes/admin.js';
import { healthRoutes } from './routes/health.js';
import { historyRoutes } from './routes/history.js';
import { livePagesRoutes, liveRoute } from './routes/live.js';
import { statsRoute } from './routes/stats.js';

export interface AppDeps {
  sites: SiteRegistry;
  store: Store;
  stats: StatsReader;
  /** The live view and a day's pages, shared per site and query for a second like `stats`. */
  live: LiveReader;
  dayPages: DayPagesReader;
  clock: () => number;
  metrics: Metrics;
  /** What /metrics serves instead of this process's registry (a cluster worker: all workers' metrics). */
  scrape?: (() => Promise<string>) | undefined;
  adminToken: string | undefined;
  /** How far back minutes and hours may be asked for (HISTORY_MINUTE_DAYS, HISTORY_HOUR_DAYS). */
  historyRetention?: HistoryRetention | undefined;
  /** When set, /metrics answers only `Authorization: Bearer METRICS_TOKEN`. */
  metricsToken?: string | undefined;
  /** Same setting as TRUST_PROXY, so the rate limit counts by the reader's address, not the proxy's. */
  trustProxy: boolean | number | string[];
  httpRequestsPerMinute: number;
  logError: (error: unknown) => void;
  /** The 404 for unknown or private sites, counted as a rejection. */
  unknownSite: UnknownSite;
  /** Further routes (client assets, demo page) mounted before the 404 handler. */
  extra?: Router[];
}

export function createApp(deps: AppDeps): RequestListener {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy);
  const failed = (error: unknown) => {
    deps.metrics.handlerErrors.inc({ where: 'request' });
    deps.logError(error);
  };
  // One count per address for every /api route, whichever side answers it.
  const admit = requestLimiter({
    perMinute: deps.httpRequestsPerMinute,
    addressOf: addressResolver(deps.trustProxy),
    clock: deps.clock,
    refused: () => deps.metrics.sessionsRejected.inc({ reason: 'http_rate_limit' }),
  });
  const liveDeps = { sites: deps.sites, live: deps.live, dayPages: deps.dayPages, adminToken: deps.adminToken, clock: deps.clock, unknownSite: deps.unknownSite };
  const cached = cachedRoutes({ stats: statsRoute(deps.sites, deps.stats, deps.unknownSite), live: liveRoute(liveDeps) }, admit, failed);

  app.use('/api', limitMiddleware(admit));
  app.use(livePagesRoutes(liveDeps));
  app.use(historyRoutes({ sites: deps.sites, store: deps.store, adminToken: deps.adminToken, clock: deps.clock, historyRetention: deps.historyRetention ?? DEFAULT_HISTORY_RETENTION, unknownSite: deps.unknownSite }));
  app.use(healthRoutes(deps.store));
  app.use(adminRoutes(deps.sites, deps.store, deps.adminToken, deps.unknownSite));
  const metricsGuard: RequestHandler = deps.metricsToken === undefined ? (_req, _res, next) => next() : requireBearer(deps.metricsToken, 'METRICS_TOKEN');
  app.get('/metrics', metricsGuard, async (_req, res, next) => {
    try {
      const text = deps.scrape ? await deps.scrape() : await deps.metrics.registry.metrics();
      res.set('Content-Type', deps.metrics.registry.contentType).send(text);
    } catch (error) {
      next(error);
    }
  });
  for (const router of deps.extra ?? []) app.use(router);
  app.use(notFound);
  app.use(errorHandler(failed));
  return (req, res) => {
    if (!cached(req, res)) void app(req, res);
  };
}
