// One HTTP server for Express and WebSocket on the same port. The store is passed in and not owned:
// main.ts (or a test) opens it before and closes it after.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { addressResolver } from './client-address.js';
import { dashboardFiles } from '../client/bundle.js';
import type { Config } from './config.js';
import { createDayPagesReader } from './day-pages.js';
import { createApp } from './http/app.js';
import { unknownSiteResponder } from './http/errors.js';
import { answerClientError, guardRequests } from './http/listener-guards.js';
import { clientRoutes } from './http/routes/client.js';
import { dashboardRoutes } from './http/routes/dashboard.js';
import { createLiveReader } from './live-view.js';
import type { Logger } from './logger.js';
import { instrumentStore } from './metrics/instrumented-store.js';
import { createMetrics } from './metrics/metrics.js';
import { siteFiguresReader } from './metrics/site-figures.js';
import { CloseCode } from './protocol.js';
import type { SiteRegistry } from './sites.js';
import { createStatsReader } from './stats.js';
import type { Store } from './store/store.js';
import { attachTransport } from './transport/ws-server.js';

const STATS_MAX_AGE_MS = 1_000;
/** Node looks for requests past their timeouts this often at most (its default, 30 s, would let a 10 s timeout run to 40 s). */
const TIMEOUT_CHECK_MAX_MS = 1_000;

export interface ServerDeps {
  config: Config;
  sites: SiteRegistry;
  store: Store;
  clock: () => number;
  logger: Logger;
  /** In a cluster worker: shares this server's registry with the primary and returns what /metrics serves. */
  clusterMetrics?: ((registry: Registry) => () => Promise<string>) | undefined;
}

export interface RunningServer {
  readonly server: Server;
  readonly url: string;
  readonly port: number;
  /** Stops accepting and asks pages to reconnect (1012); the store's close() then ends this instance's page
   * sessions in one step and fails joins still waiting for it. */
  close(): Promise<void>;
}

export async function startServer(deps: ServerDeps): Promise<RunningServer> {
  const { config, sites, clock, logger } = deps;
  // Scrapes read the figures through `stats` (defined below), only once the server is up.
  const metrics = createMetrics(() => siteFigures(), () => deps.store.durability?.());
  // Every store call of this server (pages, API, scrapes, readiness) is timed and its failures counted.
  const store = instrumentStore(deps.store, metrics);
  const stats = createStatsReader(store, clock, STATS_MAX_AGE_MS);
  const live = createLiveReader(store, stats, clock, STATS_MAX_AGE_MS);
  const dayPages = createDayPagesReader(store, clock, STATS_MAX_AGE_MS);
  const siteFigures = siteFiguresReader(sites, stats, live);
  const addressOf = addressResolver(config.trustProxy);
  const logError = (error: unknown) => logger.error({ err: error }, 'request failed');
  const scrape = deps.clusterMetrics?.(metrics.registry);
  const unknownSite = unknownSiteResponder(() => metrics.sessionsRejected.inc({ reason: 'unknown_site' }));
  const dashboard = dashboardRoutes({ sites, adminToken: config.adminToken, clock, assets: dashboardFiles, unknownSite: () => metrics.sessionsRejected.inc({ reason: 'unknown_site' }), publicUrl: config.publicUrl });
  const app = createApp({ sites, store, stats, live, dayPages, clock, metrics, scrape, adminToken: config.adminToken, historyRetention: config.historyRetention, metricsToken: config.metricsToken, trustProxy: config.trustProxy, httpRequestsPerMinute: config.httpRequestsPerMinute, logError, unknownSite, extra: [clientRoutes(sites, stats, unknownSite), dashboard] });
  const { keepAliveTimeoutMs, headersTimeoutMs, requestTimeoutMs } = config.http;
  const requestFailed = (error: unknown) => {
    metrics.handlerErrors.inc({ where: 'request' });
    logError(error);
  };
  // The timeouts bound slow senders (slowloris): headersTimeout applies to upgrade requests as well,
  // since Node only learns a request is an upgrade once its headers are complete.
  const server = createServer(
    {
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MAX_MS, headersTimeoutMs),
      // Checked by guardRequests, which answers in JSON.
      requireHostHeader: false,
    },
    guardRequests(app, { failed: requestFailed, malformed: () => metrics.sessionsRejected.inc({ reason: 'bad_request' }) }),
  );
  // Longer than the load balancer's idle timeout, so the balancer, not Node, closes idle connections
  // (otherwise a request sent as Node closes gets a 502).
  server.keepAliveTimeout = keepAliveTimeoutMs;
  server.on('clientError', answerClientError({ headersTimeoutMs, requestTimeoutMs }));
  const transport = attachTransport(server, {
    sites,
    store,
    stats,
    metrics,
    clock,
    logger,
    helloTimeoutMs: config.helloTimeoutMs,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    pushCoalesceMs: config.pushCoalesceMs,
    slowReader: config.slowReader,
    ticketTtlMs: config.visitWindowMs,
    memberRules: { maxLifetimeMs: config.memberTokenMaxLifetimeMs, leewayMs: config.memberTokenLeewayMs, sessionMaxMs: config.memberSessionMaxMs },
    maxSocketsPerIp: config.maxSocketsPerIp,
    maxMessagesPerMinute: config.maxMessagesPerMinute,
    maxPagesPerMinute: config.maxPagesPerMinute,
    addressOf,
    adminToken: config.adminToken,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep accept queue: after a restart every page reconnects within seconds.
    server.listen({ port: config.port, host: config.host, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    async close() {
      server.close();
      await transport.close(CloseCode.serviceRestart, 'server restarting, reconnect');
      server.closeAllConnections();
    },
  };
}
