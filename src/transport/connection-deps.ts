// What every socket shares (the store, metrics, subscriptions, limits) and what the upgrade request told
// about one client: one deps object for the whole transport, so a held socket keeps a reference, not copies.
import type { MemberRules } from '../members.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Site } from '../sites.js';
import type { Store } from '../store/store.js';
import type { Broadcaster } from './broadcaster.js';
import type { Connection } from './connection.js';
import type { CookielessIdentity } from './cookieless.js';
import type { HeldSessions } from './held-sessions.js';
import type { LiveSubscriptions } from './live-subscriptions.js';
import { RateRule } from './rate-limit.js';

export interface ConnectionDeps {
  store: Store;
  metrics: Metrics;
  broadcaster: Broadcaster;
  subscriptions: LiveSubscriptions;
  /** Opens every private site's live view, like the site's readToken. */
  adminToken: string | undefined;
  clock: () => number;
  logger: { warn(obj: object, msg: string): void };
  helloTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** How long a member's resume ticket stays valid: as long as a closed page session can resume. */
  ticketTtlMs: number;
  memberRules: MemberRules;
  maxMessagesPerMinute: number;
  /** `page` messages per socket and minute; bursts of a quarter of that pass. */
  maxPagesPerMinute: number;
  cookieless: CookielessIdentity;
  /** True once the server is stopping: the store's close() then ends every page session at once. */
  draining: () => boolean;
  /** Open page sessions on this instance by site and psid, so a reconnect replaces the stale socket. */
  held: HeldSessions<Connection>;
  /** The allowances of maxMessagesPerMinute and maxPagesPerMinute, shared by every socket. */
  messageRate: RateRule;
  pageRate: RateRule;
  /** An exception in one of a socket's listeners; the socket is terminated. */
  listenerFailed(error: unknown, site: Site): void;
  /** The transport's bookkeeping of a closed socket (open sockets, its address's count). */
  socketClosed(connection: Connection): void;
}

/** The shared allowances: bursts of a quarter of the per-minute allowance pass; the steady rate is the allowance. */
export function rateRules(maxMessagesPerMinute: number, maxPagesPerMinute: number): Pick<ConnectionDeps, 'messageRate' | 'pageRate'> {
  return {
    messageRate: new RateRule(Math.max(10, Math.ceil(maxMessagesPerMinute / 4)), maxMessagesPerMinute),
    // Each `page` is a stored pageview: a much lower allowance than other messages.
    pageRate: new RateRule(Math.max(1, Math.ceil(maxPagesPerMinute / 4)), maxPagesPerMinute),
  };
}

/** What the upgrade request told about the client; the address is used in memory only. */
export interface ClientInfo {
  readonly automated: boolean;
  /** The address group (client-address.ts addressGroup): the per-address socket count this socket is in. */
  readonly group: string;
  /** Only kept for cookieless sites, whose guests they identify; '' otherwise. */
  readonly address: string;
  readonly userAgent: string;
  /** Admitted as Headcount's own page (the dashboard): its hello is refused, so it is never counted. */
  readonly viewer: boolean;
}
