// Picks the store from configuration: Redis when REDIS_URL is set, else the embedded store in DATA_DIR.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { SiteRegistry } from '../sites.js';
import { openMemoryStore } from './memory/memory-store.js';
import { createRedisStore } from './redis/redis-store.js';
import type { Store } from './store.js';

export interface OpenedStore {
  store: Store;
  /** Human-readable, for the start-up line: "redis redis://…" or "embedded (data/)". */
  description: string;
}

export async function openStore(config: Config, sites: SiteRegistry, clock: () => number, logger: Logger): Promise<OpenedStore> {
  const common = { visitWindowMs: config.visitWindowMs, clock };
  if (config.redisUrl) {
    const store = await createRedisStore({
      ...common,
      url: config.redisUrl,
      keyPrefix: config.keyPrefix,
      sites: sites.all().map((site) => site.id),
      presenceTtlMs: config.presenceTtlMs,
      logger,
    });
    const url = new URL(config.redisUrl);
    url.password = url.password ? '***' : '';
    return { store, description: `redis ${url.toString()}` };
  }
  const store = await openMemoryStore({ ...common, dataDir: config.dataDir, logger });
  return { store, description: `embedded (data in ${config.dataDir}/)` };
}
