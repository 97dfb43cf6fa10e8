// Express app without listen(): the server module owns the port, tests can mount it anywhere.
import express, { type Router } from 'express';
import type { Metrics } from '../metrics/metrics.js';
import type { SiteRegistry } from '../sites.js';
import type { StatsReader } from '../stats.js';
import type { Store } from '../store/store.js';
import { errorHandler, notFound } from './errors.js';
import { adminRoutes } from './routes/admin.js';
import { healthRoutes } from './routes/health.js';
import { statsRoutes } from './routes/stats.js';

export interface AppDeps {
  sites: SiteRegistry;
  store: Store;
  stats: StatsReader;
  metrics: Metrics;
  adminToken: string | undefined;
  logError: (error: unknown) => void;
  /** Further routes (client assets, demo page) mounted before the 404 handler. */
  extra?: Router[];
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRoutes(deps.store));
  app.use(statsRoutes(deps.sites, deps.stats));
  app.use(adminRoutes(deps.sites, deps.store, deps.adminToken));
  app.get('/metrics', async (_req, res, next) => {
    try {
      res.set('Content-Type', deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    } catch (error) {
      next(error);
    }
  });
  for (const router of deps.extra ?? []) app.use(router);
  app.use(notFound);
  app.use(errorHandler(deps.logError));
  return app;
}
