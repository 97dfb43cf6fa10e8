// One dedicated registry (not prom-client's global) so each server, and each test, has its own.
// Every metric's name and help lives here; labels stay bounded: configured sites and fixed reasons only.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

export type RejectReason =
  | 'unknown_site'
  | 'origin'
  | 'bad_message'
  | 'member_token'
  | 'wrong_site'
  | 'hello_timeout'
  | 'store_error';

export interface SiteFigures {
  site: string;
  guest: number;
  member: number;
  bot: number;
  visits: number;
  pageviews: number;
  peak: number;
}

export interface Metrics {
  readonly registry: Registry;
  readonly openSockets: Gauge;
  readonly sessionsAdmitted: Counter<'site'>;
  readonly sessionsRejected: Counter<'reason'>;
  readonly messagesReceived: Counter<'type'>;
  readonly pushesSent: Counter;
}

/** `siteFigures` is read at scrape time from the store, so every instance reports the same figures. */
export function createMetrics(siteFigures: () => Promise<SiteFigures[]>): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  // All per-site series come from one store read per scrape, shared by the collect() callbacks below.
  let scrape: Promise<SiteFigures[] | undefined> | undefined;
  const figures = () => {
    scrape ??= siteFigures().then(
      (list) => list,
      () => undefined,
    );
    const current = scrape;
    setTimeout(() => { if (scrape === current) scrape = undefined; }, 250).unref();
    return current;
  };
  const fill = async <M extends { reset(): void }>(metric: M, set: (metric: M, f: SiteFigures) => void) => {
    metric.reset();
    for (const f of (await figures()) ?? []) set(metric, f);
  };

  const online: Gauge<'site' | 'kind'> = new Gauge({
    name: 'headcount_online_visitors',
    help: 'Visitors with at least one open page session, by kind (guest, member, bot)',
    labelNames: ['site', 'kind'] as const,
    registers: [registry],
    collect: () => fill(online, (m, f) => {
      m.set({ site: f.site, kind: 'guest' }, f.guest);
      m.set({ site: f.site, kind: 'member' }, f.member);
      m.set({ site: f.site, kind: 'bot' }, f.bot);
    }),
  });
  const visits: Counter<'site'> = new Counter({
    name: 'headcount_visits_total',
    help: 'Lifetime visits counted for the site',
    labelNames: ['site'] as const,
    registers: [registry],
    collect: () => fill(visits, (m, f) => m.inc({ site: f.site }, f.visits)),
  });
  const pageviews: Counter<'site'> = new Counter({
    name: 'headcount_pageviews_total',
    help: 'Lifetime pageviews counted for the site',
    labelNames: ['site'] as const,
    registers: [registry],
    collect: () => fill(pageviews, (m, f) => m.inc({ site: f.site }, f.pageviews)),
  });
  const peak: Gauge<'site'> = new Gauge({
    name: 'headcount_peak_online_visitors',
    help: 'Most guests plus members online at once',
    labelNames: ['site'] as const,
    registers: [registry],
    collect: () => fill(peak, (m, f) => m.set({ site: f.site }, f.peak)),
  });
  const storeUp: Gauge = new Gauge({
    name: 'headcount_store_up',
    help: 'Whether this scrape could read the per-site figures from the store (1) or not (0)',
    registers: [registry],
    collect: async () => storeUp.set((await figures()) ? 1 : 0),
  });

  return {
    registry,
    openSockets: new Gauge({ name: 'headcount_open_sockets', help: 'WebSocket connections open on this instance', registers: [registry] }),
    sessionsAdmitted: new Counter({
      name: 'headcount_sessions_admitted_total',
      help: 'Page sessions admitted on this instance (hello accepted)',
      labelNames: ['site'] as const,
      registers: [registry],
    }),
    sessionsRejected: new Counter({
      name: 'headcount_sessions_rejected_total',
      help: 'Connections or page sessions refused on this instance, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    messagesReceived: new Counter({
      name: 'headcount_messages_received_total',
      help: 'Valid WebSocket messages received on this instance, by type',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    pushesSent: new Counter({ name: 'headcount_count_pushes_sent_total', help: 'Live count messages sent to subscribed sockets', registers: [registry] }),
  };
}
