// WebSocket transport on the HTTP server's port: admission at upgrade, one Connection per socket,
// ping/pong heartbeat that drops dead peers within two intervals.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { isbot } from 'isbot';
import { WebSocketServer } from 'ws';
import { addressGroup, type AddressOf } from '../client-address.js';
import type { MemberRules } from '../members.js';
import type { Metrics } from '../metrics/metrics.js';
import { CloseCode, MAX_MESSAGE_BYTES } from '../protocol.js';
import { isAppOrigin, type Site, type SiteRegistry } from '../sites.js';
import type { Store } from '../store/store.js';
import type { StatsReader } from '../stats.js';
import { createBroadcaster, createPushSender, type SlowReaderRule } from './broadcaster.js';
import { Connection } from './connection.js';
import { rateRules, type ClientInfo } from './connection-deps.js';
import { cookielessIdentities } from './cookieless.js';
import { createLiveSubscriptions } from './live-subscriptions.js';
import { HeldSessions } from './held-sessions.js';
import { admit, refuseUpgrade } from './upgrade.js';

export interface TransportOptions {
  sites: SiteRegistry;
  store: Store;
  stats: StatsReader;
  metrics: Metrics;
  clock: () => number;
  logger: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  helloTimeoutMs: number;
  heartbeatIntervalMs: number;
  pushCoalesceMs: number;
  slowReader: SlowReaderRule;
  ticketTtlMs: number;
  memberRules: MemberRules;
  maxSocketsPerIp: number;
  maxMessagesPerMinute: number;
  maxPagesPerMinute: number;
  addressOf: AddressOf;
  /** Also opens every private site's live view (besides the site's readToken). */
  adminToken: string | undefined;
}

export interface Transport {
  /** Closes every socket with the code (e.g. 1012 on restart) and waits until they are closed (at most 2 s).
   * Their page sessions stay in the store: its close() ends them all in one step. */
  close(code: number, reason: string): Promise<void>;
}

export function attachTransport(server: Server, options: TransportOptions): Transport {
  const { sites, store, metrics, logger } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false, clientTracking: false, WebSocket: Connection });
  const connections = new Set<Connection>();
  const push = createPushSender(options.slowReader, metrics);
  const broadcaster = createBroadcaster((site) => options.stats.read(site), options.pushCoalesceMs, metrics, (error) => logger.warn({ err: error }, 'count push failed'), push);
  const subscriptions = createLiveSubscriptions({
    store,
    stats: options.stats,
    clock: options.clock,
    coalesceMs: options.pushCoalesceMs,
    push,
    onError: (error) => logger.warn({ err: error }, 'live push failed'),
  });
  store.onChange((siteId) => {
    const site = sites.get(siteId);
    if (!site) return;
    broadcaster.changed(site);
    subscriptions.changed(site);
  });
  let draining = false;
  const deps = {
    ...options,
    ...rateRules(options.maxMessagesPerMinute, options.maxPagesPerMinute),
    broadcaster,
    subscriptions,
    cookieless: cookielessIdentities(store),
    draining: () => draining,
    held: new HeldSessions<Connection>(),
    socketClosed(connection: Connection) {
      connections.delete(connection);
      metrics.openSockets.dec();
      release(connection.group);
    },
    listenerFailed(error: unknown, site: Site) {
      metrics.handlerErrors.inc({ where: 'socket' });
      logger.error({ err: error, site: site.id }, 'socket listener failed');
    },
  };
  // The store keeps no copy of the open page sessions: after Redis reaped this instance it re-joins them from here.
  store.heldBy(function* openSessions(siteId, now) {
    for (const connection of deps.held.holders(siteId)) {
      const session = connection.openSession(now);
      if (session !== undefined) yield session;
    }
  });
  // The page reconnected to another instance, which holds its session now: only the socket here goes.
  store.onReplaced((siteId, psid) => {
    const connection = deps.held.get(siteId, psid);
    if (connection === undefined || !deps.held.release(siteId, psid, connection)) return;
    connection.handOver(CloseCode.replaced, 'page session reconnected elsewhere');
  });
  // Open sockets per address group (an IPv6 /64 counts as one address, see client-address.ts);
  // entries go when their last socket closes, so the map stays bounded.
  const perAddress = new Map<string, number>();
  // ws's own handshake checks (method, Upgrade, Sec-WebSocket-Key/Version) answer in JSON like ours.
  wss.on('wsClientError', (error, socket, request) => {
    metrics.sessionsRejected.inc({ reason: 'bad_request' });
    refuseUpgrade(socket, request.method === 'GET' ? 400 : 405, error.message);
  });

  const upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const admission = admit(request, sites);
    if (!admission.ok) {
      metrics.sessionsRejected.inc({ reason: admission.reason });
      return refuseUpgrade(socket, admission.status, admission.error);
    }
    const address = options.addressOf(request);
    const group = addressGroup(address);
    const open = perAddress.get(group) ?? 0;
    if (open >= options.maxSocketsPerIp) {
      metrics.sessionsRejected.inc({ reason: 'address_limit' });
      return refuseUpgrade(socket, 429, `too many open connections from one address (limit ${options.maxSocketsPerIp})`);
    }
    // Only what the session needs is kept: capturing `request` here would hold every upgrade request in memory.
    const userAgent = request.headers['user-agent'] ?? '';
    const site = admission.site;
    // The site's own apps are admitted by their Origin: their HTTP stacks look like bots to isbot.
    const automated = !isAppOrigin(site, request.headers.origin) && isbot(userAgent);
    const client = { automated, group, address: site.cookieless ? address : '', userAgent: site.cookieless ? userAgent : '', viewer: admission.viewer };
    perAddress.set(group, open + 1);
    let accepted = false;
    try {
      wss.handleUpgrade(request, socket, head, (ws) => {
        accepted = true;
        // ws handles the TCP socket's errors from now on.
        socket.removeListener('error', destroySocket);
        accept(ws as Connection, site, client);
      });
    } finally {
      // ws calls back at once (no verifyClient, no async protocol choice): without the callback it
      // refused the handshake, found the socket half-closed or threw, and the address's count goes back down.
      if (!accepted) release(group);
    }
  };
  // Whatever a request carries, an exception here costs that one connection, never the process.
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', destroySocket);
    try {
      upgrade(request, socket, head);
    } catch (error) {
      metrics.handlerErrors.inc({ where: 'upgrade' });
      logger.error({ err: error }, 'upgrade handler failed');
      // Before the 101 the client can still read why; after it only a cut is safe.
      // (The socket is a net.Socket; Duplex is only what the 'upgrade' event's type promises.)
      if ((socket as Duplex & { bytesWritten?: number }).bytesWritten === 0) refuseUpgrade(socket, 400, 'request could not be handled');
      else socket.destroy();
    }
  });

  function release(group: string) {
    const left = (perAddress.get(group) ?? 1) - 1;
    if (left > 0) perAddress.set(group, left);
    else perAddress.delete(group);
  }
  const accept = (connection: Connection, site: Site, client: ClientInfo) => {
    connection.open(site, client, deps);
    connections.add(connection);
    metrics.openSockets.inc();
  };

  let beatAt = performance.now();
  const heartbeat = setInterval(() => {
    // A tick half an interval late means this process was stopped or blocked (SIGSTOP, a frozen VM, a
    // long GC pause): pongs that came meanwhile may be unread yet, so sockets are judged at the next tick.
    const late = performance.now() - beatAt > 1.5 * options.heartbeatIntervalMs;
    beatAt = performance.now();
    for (const connection of connections) {
      if (!connection.alive && !late) {
        connection.terminate();
        continue;
      }
      connection.alive = false;
      connection.ping();
    }
  }, options.heartbeatIntervalMs);
  heartbeat.unref();

  return {
    async close(code, reason) {
      draining = true;
      clearInterval(heartbeat);
      broadcaster.close();
      subscriptions.close();
      const open = [...connections];
      for (const connection of open) connection.close(code, reason);
      // A peer that does not answer the close handshake is cut off so shutdown stays bounded.
      const cutOff = setTimeout(() => open.forEach((c) => c.terminate()), 2_000);
      await Promise.all(open.map((c) => new Promise<void>((resolve) => (c.readyState === c.CLOSED ? resolve() : c.once('close', () => resolve())))));
      clearTimeout(cutOff);
      // Their store writes are not awaited: leaves are skipped while draining, joins already sent end
      // with the store's close(), and a join still waiting for an unreachable Redis fails then.
    },
  };
}

function destroySocket(this: Duplex): void {
  this.destroy();
}
