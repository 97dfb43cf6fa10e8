// Composition root: config -> sites -> store -> server, and a graceful stop on SIGTERM/SIGINT.
// With WORKERS > 1 this process becomes the cluster primary and each forked worker runs the rest.
import './audience/wall-clock-warm-up.js';
import { isClusterWorker, runPrimary, shareMetrics, workerStarted } from './cluster.js';
import { createLogger } from './logger.js';
import { startServer } from './server.js';
import { loadSettingsOrExit } from './settings.js';
import { DEMO_SITE, type SiteRegistry } from './sites.js';
import { DataDirInUseError } from './store/memory/dir-lock.js';
import { openStore } from './store/open-store.js';

const SHUTDOWN_LIMIT_MS = 10_000;

/** Where to look first: the demo article and its dashboard, when the built-in demo site is served. */
function demoAddresses(sites: SiteRegistry, serverUrl: string, publicUrl: string | undefined): string {
  if (!sites.get(DEMO_SITE.id)) return '';
  const base = publicUrl ?? serverUrl;
  return `; demo article: ${base}/, dashboard: ${base}/dashboard/${DEMO_SITE.id}`;
}

async function main(): Promise<void> {
  const { config, sites } = loadSettingsOrExit();
  const logger = createLogger(config.logLevel);
  if (config.workers > 1 && !isClusterWorker) return runPrimary({ workers: config.workers, stopLimitMs: SHUTDOWN_LIMIT_MS, logger });
  const clock = Date.now;
  const { store, description } = await openStore(config, sites, clock, logger);
  // A server that cannot start (port taken, ...) must not leave the store open: its close() releases
  // the embedded store's DATA_DIR lock and ends nothing that was never started.
  const server = await startServer({ config, sites, store, clock, logger, clusterMetrics: isClusterWorker ? shareMetrics : undefined }).catch(async (error: unknown) => {
    await store.close().catch(() => undefined);
    throw error;
  });
  const siteList = sites.all().map((site) => site.id).join(', ');
  const line = `Headcount listening on ${server.url} (store: ${description}; sites: ${siteList})${demoAddresses(sites, server.url, config.publicUrl)}`;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    setTimeout(() => {
      logger.error('shutdown took too long, exiting');
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS).unref();
    // The store ends this instance's page sessions in one step while the sockets close: the server
    // stops the stores' leaves from the moment it starts closing, so neither waits for the other.
    await Promise.all([server.close(), store.close()]);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  if (isClusterWorker) workerStarted(line, (reason) => void stop(reason));
  else console.log(line);
}

main().catch((error: unknown) => {
  // Another process on DATA_DIR is a deployment mistake, reported like a configuration error.
  if (error instanceof DataDirInUseError) {
    console.error(`headcount: configuration error: ${error.message}`);
    process.exit(2);
  }
  console.error(`headcount: failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
