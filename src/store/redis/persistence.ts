// Whether Redis keeps Headcount's data across its own restart, and whether it did. A Redis without
// persistence comes back empty: totals, today and the history would silently restart from zero. So
// each site has a marker key, set once; this process checks it at start and on every reconnect, and
// a marker gone (or replaced by another instance that found it gone) is reported as lost data: a warn
// log line and headcount_redis_data_lost_total. The persistence settings are read the same way
// (CONFIG GET, or INFO where managed Redis refuses CONFIG) and a Redis that keeps nothing is warned about.
import { randomUUID } from 'node:crypto';
import { Cluster, type Redis } from 'ioredis';
import type { Durability, StoreLogger } from '../store.js';
import type { RedisClient } from './connect.js';

/** Weakest first: a cluster reports its weakest master. `aof` is an append-only file whose fsync policy could not be read. */
export const PERSISTENCE_MODES = ['none', 'unknown', 'rdb', 'aof_no', 'aof', 'aof_everysec', 'aof_always'] as const;
export type PersistenceMode = (typeof PERSISTENCE_MODES)[number];

const FSYNC_MODES: Record<string, PersistenceMode> = { always: 'aof_always', everysec: 'aof_everysec', no: 'aof_no' };

async function configValue(node: Redis, name: string): Promise<string> {
  const reply = (await node.config('GET', name)) as unknown;
  if (!Array.isArray(reply) || reply.length < 2) throw new Error(`CONFIG GET ${name} gave no value`);
  return String(reply[1]);
}

/** One server's mode; never throws: an unreadable setting is 'unknown'. */
export async function persistenceOf(node: Redis): Promise<PersistenceMode> {
  try {
    if ((await configValue(node, 'appendonly')) === 'yes') return FSYNC_MODES[await configValue(node, 'appendfsync')] ?? 'aof';
    return (await configValue(node, 'save')).trim() === '' ? 'none' : 'rdb';
  } catch {
    // Managed Redis often renames CONFIG away; INFO still says whether the append-only file is on,
    // though not whether snapshots are configured.
    try {
      return /^aof_enabled:1\b/m.test(await node.info('persistence')) ? 'aof' : 'unknown';
    } catch {
      return 'unknown';
    }
  }
}

const WARNINGS: Partial<Record<PersistenceMode, string>> = {
  none: 'Redis keeps no data across a restart (appendonly no, save ""): a Redis restart loses every total and the history; set appendonly yes',
  unknown: 'Redis persistence could not be read (CONFIG refused and no append-only file in INFO): a Redis restart may lose every total and the history',
};

export class PersistenceWatch {
  /** Unset until the first check has read it. */
  private mode: PersistenceMode | undefined;
  /** Per site, the marker this process last saw. */
  private readonly seen = new Map<string, string>();
  private readonly losses: Record<string, number> = {};
  private checking: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: RedisClient,
    private readonly sites: readonly string[],
    private readonly markerOf: (site: string) => string,
    private readonly logger: StoreLogger,
  ) {
    for (const site of sites) this.losses[site] = 0;
  }

  /** The first check (Redis is connected); later ones follow every reconnect. Never rejects. */
  async start(): Promise<void> {
    await this.check();
    this.client.on('ready', () => {
      this.checking = this.checking.then(() => this.check());
    });
  }

  durability(): Durability {
    return { mode: this.mode ?? 'unknown', losses: { ...this.losses } };
  }

  private async check(): Promise<void> {
    await Promise.all([this.readMode(), ...this.sites.map((site) => this.checkMarker(site))]).catch((err: unknown) =>
      this.logger.warn({ err }, 'checking Redis persistence failed'),
    );
  }

  private async readMode(): Promise<void> {
    const nodes = this.client instanceof Cluster ? this.client.nodes('master') : [this.client];
    const modes = await Promise.all(nodes.map(persistenceOf));
    const mode = modes.reduce((weakest, m) => (PERSISTENCE_MODES.indexOf(m) < PERSISTENCE_MODES.indexOf(weakest) ? m : weakest), 'aof_always');
    const changed = mode !== this.mode;
    this.mode = mode;
    const warning = WARNINGS[mode];
    if (warning && changed) this.logger.warn({ persistence: mode }, warning);
  }

  private async checkMarker(site: string): Promise<void> {
    const fresh = randomUUID();
    // One atomic command: the first instance to find the marker gone sets the new one, the others read it.
    const found = (await this.client.set(this.markerOf(site), fresh, 'NX', 'GET')) ?? fresh;
    const earlier = this.seen.get(site);
    this.seen.set(site, found);
    if (earlier === undefined || earlier === found) return;
    this.losses[site] = (this.losses[site] ?? 0) + 1;
    this.logger.warn(
      { site, persistence: this.mode ?? 'unknown' },
      `Redis lost the data of site ${site} (its marker key is gone: Redis restarted without persistence, was flushed or evicted keys): totals, today and history count on from what Redis holds now; restore the totals with set-totals`,
    );
  }
}
