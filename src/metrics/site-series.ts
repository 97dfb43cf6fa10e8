// The per-site metric families (online, visits, pageviews, peak, engaged, by source), built at each
// scrape straight from that scrape's figures. prom-client's Gauge and Counter hash every label set on
// set() and keep it, and its registry formats a new shared-labels object for each value they hand
// out: with 100 sites x 14 series that was most of a scrape (bench/metrics-render.ts, 1.7 -> 9 ms as
// the families grew). Here nothing is kept between scrapes and every value shares one frozen empty
// shared-labels object, which the registry formats once.
import type { Gauge, Registry } from 'prom-client';
import type { SiteFigures } from './metrics.js';

const NO_SHARED_LABELS = Object.freeze({});

type Labels = Readonly<Record<string, string>>;

export interface SiteFamily {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  /** The family's series of one site: label sets and values. */
  series: (f: SiteFigures) => Array<[Labels, number]>;
}

/** Registers a family on `registry`; `figures` is the scrape's shared read (undefined: the store could not be read). */
export function registerSiteFamily(registry: Registry, family: SiteFamily, figures: () => Promise<readonly SiteFigures[] | undefined>): void {
  const metric = {
    name: family.name,
    help: family.help,
    type: family.type,
    // The figures are read from the store, the same in every worker of a cluster (src/cluster.ts):
    // the primary keeps the freshest (max), not prom-client's default sum.
    aggregator: 'max',
    async get() {
      const values: Array<{ labels: Labels; value: number; sharedLabels: object }> = [];
      for (const f of (await figures()) ?? []) {
        for (const [labels, value] of family.series(f)) values.push({ labels, value, sharedLabels: NO_SHARED_LABELS });
      }
      return { name: family.name, help: family.help, type: family.type, aggregator: 'max', values };
    },
    /** Registry.resetMetrics(): there is nothing kept to reset. */
    reset() {},
  };
  // prom-client's types name only its own classes; its registry needs just name, get() and reset().
  registry.registerMetric(metric as unknown as Gauge);
}
