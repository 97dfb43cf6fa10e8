// Express app without listen(): the server module owns the port, tests can mount it anywhere.
import express, { type RequestHandler, type Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import { IPV6_LIMIT_PREFIX } from '../client-address.js';
import type { DayPagesReader } from '../day-pages.js';
import type { LiveReader } from '../live-view.js';
import type { Metrics } from '../metrics/metrics.js';
import type { SiteRegistry } from '../sites.js';
import type { StatsReader } from '../stats.js';
import { DEFAULT_HISTORY_RETENTION, type HistoryRetention, type Store } from '../store/store.js';
import { requireBearer } from './bearer.js';
import { errorHandler, notFound, sendError, type UnknownSite } from './errors.js';
import { adminRoutes } from './routes/admin.js';
import { healthRoutes } from './routes/health.js';
import { historyRoutes } from './routes/history.js';
import { liveRoutes } from './routes/live.js';
import { statsRoutes } from './routes/stats.js';

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
  /** Same setting as TRUST_PROXY, so req.ip (the rate limit key) is the reader, not the proxy. */
  trustProxy: boolean | number | string[];
  httpRequestsPerMinute: number;
  logError: (error: unknown) => void;
  /** The 404 for unknown or private sites, counted as a rejection. */
  unknownSite: UnknownSite;
  /** Further routes (client assets, demo page) mounted before the 404 handler. */
  extra?: Router[];
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy);
  app.use(
    '/api',
    rateLimit({
      windowMs: 60_000,
      limit: deps.httpRequestsPerMinute,
      standardHeaders: false,
      legacyHeaders: false,
      // One client is one IPv4 address or one IPv6 /64, as for MAX_SOCKETS_PER_IP (client-address.ts).
      ipv6Subnet: IPV6_LIMIT_PREFIX,
      handler: (_req, res) => {
        deps.metrics.sessionsRejected.inc({ reason: 'http_rate_limit' });
        sendError(res, 429, `more than ${deps.httpRequestsPerMinute} API requests per minute from one address`);
      },
    }),
  );
  // The hot route first: every request walks the routers mounted before it.
  app.use(statsRoutes(deps.sites, deps.stats, deps.unknownSite));
  app.use(liveRoutes({ sites: deps.sites, live: deps.live, dayPages: deps.dayPages, adminToken: deps.adminToken, clock: deps.clock, unknownSite: deps.unknownSite }));
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
  app.use(
    errorHandler((error) => {
      deps.metrics.handlerErrors.inc({ where: 'request' });
      deps.logError(error);
    }),
  );
  return app;
}
