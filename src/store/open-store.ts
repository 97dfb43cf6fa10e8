// Picks the store from configuration: Redis when REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS
// is set, else the embedded store in DATA_DIR.
import { periodsAt } from '../calendar.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { SiteRegistry } from '../sites.js';
import { openMemoryStore } from './memory/memory-store.js';
import { describeTarget } from './redis/connect.js';
import { createRedisStore } from './redis/redis-store.js';
import type { Store } from './store.js';

export interface OpenedStore {
  store: Store;
  /** Human-readable, for the start-up line: "redis redis://…" or "embedded (data/)". */
  description: string;
}

export async function openStore(config: Config, sites: SiteRegistry, clock: () => number, logger: Logger): Promise<OpenedStore> {
  const common = {
    visitWindowMs: config.visitWindowMs,
    clock,
    maxLivePages: config.livePagesMax,
    historyRetention: config.historyRetention,
    // Stores see only configured sites, so the lookup always finds one.
    periodsAt: (siteId: string, now: number) => periodsAt(now, sites.get(siteId)!.timeZone),
  };
  if (config.redis) {
    const store = await createRedisStore({
      ...common,
      redis: config.redis,
      keyPrefix: config.keyPrefix,
      sites: sites.all().map((site) => site.id),
      presenceTtlMs: config.presenceTtlMs,
      maxPendingJoins: config.redisPendingJoins,
      logger,
    });
    return { store, description: describeTarget(config.redis) };
  }
  const store = await openMemoryStore({ ...common, dataDir: config.dataDir, logger });
  return { store, description: `embedded (data in ${config.dataDir}/)` };
}
