// Starts the server in this process, for protocol and abuse tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { loadSites, type SiteRegistry } from '../../src/sites.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';

export interface InProcess {
  server: RunningServer;
  store: Store;
  sites: SiteRegistry;
  wsUrl: string;
  /** Moves the server's clock forward. */
  advance(ms: number): void;
  stats(site?: string): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

/** Starts the server in this process with a movable clock: on the embedded store, or on Redis when env has REDIS_URL. */
export async function startInProcess(env: Record<string, string> = {}): Promise<InProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'headcount-test-'));
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATA_DIR: dataDir, ...env });
  const sites = loadSites(config.sitesFile);
  let offset = 0;
  const clock = () => Date.now() + offset;
  const logger = createLogger(config.logLevel);
  // The same store choice as the service (main.ts), only with a movable clock.
  const { store } = await openStore(config, sites, clock, logger);
  const server = await startServer({ config, sites, store, clock, logger });
  return {
    server,
    store,
    sites,
    wsUrl: `ws://127.0.0.1:${server.port}/ws`,
    advance: (ms) => {
      offset += ms;
    },
    async stats(site = 'demo') {
      const res = await fetch(`http://127.0.0.1:${server.port}/api/sites/${site}/stats`);
      return { status: res.status, body: await res.json(), headers: res.headers };
    },
    async stop() {
      await server.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
