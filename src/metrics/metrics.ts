// One dedicated registry (not prom-client's global) so each server, and each test, has its own.
// Every metric's name and help lives here; labels stay bounded: configured sites and fixed reasons only.
import { setTimeout as sleep } from 'node:timers/promises';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { SOURCES, type Source } from '../audience/source.js';
import { registerSiteFamily, type SiteFamily } from './site-series.js';
import { PERSISTENCE_MODES } from '../store/redis/persistence.js';
import type { Durability } from '../store/store.js';

export const REJECT_REASONS = [
  'unknown_site',
  'origin',
  'bad_message',
  'member_token',
  'wrong_site',
  'hello_timeout',
  'store_error',
  'address_limit',
  'message_rate',
  'page_rate',
  'http_rate_limit',
  'bad_request',
  'too_big',
  'live_token',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** The `where` label of headcount_handler_errors_total: the listener whose exception was caught. */
export const HANDLER_KINDS = ['request', 'upgrade', 'socket'] as const;
export type HandlerKind = (typeof HANDLER_KINDS)[number];

/** The `command` label of the store metrics: one per Store method that talks to the store. */
export const STORE_COMMANDS = ['join', 'leave', 'engage', 'read', 'live', 'readers', 'day_pages', 'history', 'import_history', 'set_totals', 'daily_salt', 'ping'] as const;
export type StoreCommand = (typeof STORE_COMMANDS)[number];

/** A scrape waits this long for the per-site figures, then answers without them (headcount_store_up 0). */
const SITE_FIGURES_TIMEOUT_MS = 2_000;

// Redis answers in well under a millisecond on a LAN and the embedded store in microseconds;
// the upper buckets catch a struggling store before readiness (1 s) fails.
const STORE_LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export interface SiteFigures {
  site: string;
  guest: number;
  member: number;
  bot: number;
  visits: number;
  pageviews: number;
  peak: number;
  /** Visitors engaged on any page now. */
  engaged: number;
  /** Page readers now by the source of their page session: a fixed set of label values. */
  sources: Readonly<Record<Source, number>>;
}

export interface Metrics {
  readonly registry: Registry;
  readonly openSockets: Gauge;
  readonly hiddenSockets: Gauge;
  readonly sessionsAdmitted: Counter<'site'>;
  readonly sessionsRejected: Counter<'reason'>;
  readonly messagesReceived: Counter<'type'>;
  readonly pushesSent: Counter;
  /** Pushes not sent to a socket that has more than SLOW_READER_BYTES unsent. */
  readonly pushesSkipped: Counter;
  readonly slowReadersDropped: Counter;
  readonly storeCommandDuration: Histogram<'command'>;
  readonly storeErrors: Counter<'command'>;
  readonly handlerErrors: Counter<'where'>;
}

/**
 * prom-client's defaults, less the three gauges named `*_total` (active handles, requests and
 * resources summed over types): `promtool check metrics` rejects `_total` on a non-counter, and
 * the per-type gauges of the same name without `_total` carry the same figures.
 */
function registerDefaultMetrics(registry: Registry): void {
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults });
  for (const { name } of defaults.getMetricsAsArray()) {
    const metric = defaults.getSingleMetric(name)!;
    if (name.endsWith('_total') && !(metric instanceof Counter)) continue;
    registry.registerMetric(metric);
  }
}

/**
 * `siteFigures` is read at scrape time from the store, so every instance reports the same figures;
 * `durability` too (a store without one, the embedded store, has no persistence series).
 */
export function createMetrics(siteFigures: () => Promise<SiteFigures[]>, durability: () => Durability | undefined = () => undefined): Metrics {
  const registry = new Registry();
  registerDefaultMetrics(registry);

  // registry.metrics() calls every collect() in the same tick, so the per-site series of one
  // scrape share one store read; it is dropped once settled so the next scrape reads afresh.
  let scrape: Promise<SiteFigures[] | undefined> | undefined;
  const figures = () => {
    scrape ??= Promise.race([siteFigures(), sleep(SITE_FIGURES_TIMEOUT_MS, undefined, { ref: false })])
      .catch(() => undefined)
      .finally(() => (scrape = undefined));
    return scrape;
  };
  const families: SiteFamily[] = [
    {
      name: 'headcount_online_visitors',
      help: 'Visitors with at least one open page session, by kind (guest, member, bot)',
      type: 'gauge',
      series: (f) => [
        [{ site: f.site, kind: 'guest' }, f.guest],
        [{ site: f.site, kind: 'member' }, f.member],
        [{ site: f.site, kind: 'bot' }, f.bot],
      ],
    },
    { name: 'headcount_visits_total', help: 'Lifetime visits counted for the site', type: 'counter', series: (f) => [[{ site: f.site }, f.visits]] },
    { name: 'headcount_pageviews_total', help: 'Lifetime pageviews counted for the site', type: 'counter', series: (f) => [[{ site: f.site }, f.pageviews]] },
    { name: 'headcount_peak_online_visitors', help: 'Most guests plus members online at once', type: 'gauge', series: (f) => [[{ site: f.site }, f.peak]] },
    {
      name: 'headcount_engaged_visitors',
      help: 'Visitors (guests and members) engaged on at least one open page: visible, with input in the last 15 s',
      type: 'gauge',
      series: (f) => [[{ site: f.site }, f.engaged]],
    },
    {
      name: 'headcount_online_by_source',
      help: 'Page readers now by where their page session came from (direct, internal, search, social, ai, email, other)',
      type: 'gauge',
      series: (f) => SOURCES.map((source) => [{ site: f.site, source }, f.sources[source]]),
    },
  ];
  for (const family of families) registerSiteFamily(registry, family, figures);
  const storeUp: Gauge = new Gauge({
    name: 'headcount_store_up',
    aggregator: 'min', // 0 when any worker could not read the store
    help: 'Whether this scrape could read the per-site figures from the store (1) or not (0)',
    registers: [registry],
    collect: async () => storeUp.set((await figures()) ? 1 : 0),
  });

  // Each worker watches Redis itself, so the primary keeps one worker's view (max), not their sum.
  const persistence: Gauge<'mode'> = new Gauge({
    name: 'headcount_redis_persistence',
    aggregator: 'max',
    help: 'How the Redis store keeps its data across a Redis restart: 1 for the mode found (aof_always, aof_everysec, aof_no, aof, rdb, none, unknown), 0 for the others',
    labelNames: ['mode'] as const,
    registers: [registry],
    collect: () => {
      persistence.reset();
      const found = durability();
      if (found) for (const mode of PERSISTENCE_MODES) persistence.set({ mode }, mode === found.mode ? 1 : 0);
    },
  });
  const dataLost: Counter<'site'> = new Counter({
    name: 'headcount_redis_data_lost_total',
    aggregator: 'max',
    help: 'Times this process found that Redis had lost the site\'s data (its marker key gone after a reconnect, e.g. a restart without persistence)',
    labelNames: ['site'] as const,
    registers: [registry],
    collect: () => {
      dataLost.reset();
      for (const [site, times] of Object.entries(durability()?.losses ?? {})) dataLost.inc({ site }, times);
    },
  });

  const sessionsRejected = new Counter({
    name: 'headcount_sessions_rejected_total',
    help: 'Connections, page sessions and API requests refused on this instance, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const storeCommandDuration = new Histogram({
    name: 'headcount_store_command_duration_seconds',
    help: 'Time a store command took on this instance, failed ones included',
    labelNames: ['command'] as const,
    buckets: STORE_LATENCY_BUCKETS,
    registers: [registry],
  });
  const storeErrors = new Counter({
    name: 'headcount_store_errors_total',
    help: 'Store commands that failed on this instance',
    labelNames: ['command'] as const,
    registers: [registry],
  });
  const handlerErrors = new Counter({
    name: 'headcount_handler_errors_total',
    help: 'Exceptions caught in a request, upgrade or socket listener: that one connection got a 400/500 or was cut, the process stayed up',
    labelNames: ['where'] as const,
    registers: [registry],
  });
  // Series of the fixed label sets exist from the start, so rate() and the dashboard see them at 0.
  for (const reason of REJECT_REASONS) sessionsRejected.inc({ reason }, 0);
  for (const where of HANDLER_KINDS) handlerErrors.inc({ where }, 0);
  for (const command of STORE_COMMANDS) {
    storeCommandDuration.zero({ command });
    storeErrors.inc({ command }, 0);
  }

  return {
    registry,
    openSockets: new Gauge({ name: 'headcount_open_sockets', help: 'WebSocket connections open on this instance', registers: [registry] }),
    hiddenSockets: new Gauge({
      name: 'headcount_hidden_sockets',
      help: 'Open sockets on this instance whose page reports itself hidden (idle, still online)',
      registers: [registry],
    }),
    sessionsAdmitted: new Counter({
      name: 'headcount_sessions_admitted_total',
      help: 'Page sessions admitted on this instance (hello accepted)',
      labelNames: ['site'] as const,
      registers: [registry],
    }),
    sessionsRejected,
    messagesReceived: new Counter({
      name: 'headcount_messages_received_total',
      help: 'Valid WebSocket messages received on this instance, by type',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    pushesSent: new Counter({ name: 'headcount_count_pushes_sent_total', help: 'Live count messages sent to subscribed sockets', registers: [registry] }),
    pushesSkipped: new Counter({
      name: 'headcount_pushes_skipped_total',
      help: 'Pushes (counts, live view, readers) not sent to a socket that had more than SLOW_READER_BYTES unsent',
      registers: [registry],
    }),
    slowReadersDropped: new Counter({
      name: 'headcount_slow_readers_dropped_total',
      help: 'Sockets closed with 1008 for staying over SLOW_READER_BYTES unsent for SLOW_READER_MS',
      registers: [registry],
    }),
    storeCommandDuration,
    storeErrors,
    handlerErrors,
  };
}
