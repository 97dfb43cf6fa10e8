// WebSocket transport on the HTTP server's port: admission at upgrade, one Connection per socket,
// ping/pong heartbeat that drops dead peers within two intervals.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { isbot } from 'isbot';
import { WebSocketServer, type WebSocket } from 'ws';
import { addressGroup, type AddressOf } from '../client-address.js';
import type { MemberRules } from '../members.js';
import type { Metrics } from '../metrics/metrics.js';
import { CloseCode, MAX_MESSAGE_BYTES } from '../protocol.js';
import { isAppOrigin, type Site, type SiteRegistry } from '../sites.js';
import type { Store } from '../store/store.js';
import type { StatsReader } from '../stats.js';
import { createBroadcaster } from './broadcaster.js';
import { Connection, type ClientInfo } from './connection.js';
import { cookielessIdentities } from './cookieless.js';
import { createLiveSubscriptions } from './live-subscriptions.js';
import { guardSocket } from './socket-guard.js';
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
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false, clientTracking: false });
  const connections = new Set<Connection>();
  const broadcaster = createBroadcaster((site) => options.stats.read(site), options.pushCoalesceMs, metrics, (error) =>
    logger.warn({ err: error }, 'count push failed'),
  );
  const subscriptions = createLiveSubscriptions({
    store,
    stats: options.stats,
    clock: options.clock,
    coalesceMs: options.pushCoalesceMs,
    onError: (error) => logger.warn({ err: error }, 'live push failed'),
  });
  store.onChange((siteId) => {
    const site = sites.get(siteId);
    if (!site) return;
    broadcaster.changed(site);
    subscriptions.changed(site);
  });
  let draining = false;
  const deps = { ...options, broadcaster, subscriptions, cookieless: cookielessIdentities(store), draining: () => draining, held: new Map<string, Connection>() };
  // The page reconnected to another instance, which holds its session now: only the socket here goes.
  store.onReplaced((siteId, psid) => {
    const key = `${siteId}/${psid}`;
    const connection = deps.held.get(key);
    if (connection === undefined) return;
    deps.held.delete(key);
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
    perAddress.set(group, open + 1);
    const release = () => {
      const left = (perAddress.get(group) ?? 1) - 1;
      if (left > 0) perAddress.set(group, left);
      else perAddress.delete(group);
    };
    socket.once('close', release);
    // Only what the session needs is kept: capturing `request` here would hold every upgrade request in memory.
    const userAgent = request.headers['user-agent'] ?? '';
    // The site's own apps are admitted by their Origin: their HTTP stacks look like bots to isbot.
    const automated = !isAppOrigin(admission.site, request.headers.origin) && isbot(userAgent);
    const client = { automated, address, userAgent: admission.site.cookieless ? userAgent : '', viewer: admission.viewer };
    const site = admission.site;
    wss.handleUpgrade(request, socket, head, (ws) => accept(ws, site, client));
  };
  // Whatever a request carries, an exception here costs that one connection, never the process.
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
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

  const accept = (ws: WebSocket, site: Site, client: ClientInfo) => {
    guardSocket(ws, (error) => {
      metrics.handlerErrors.inc({ where: 'socket' });
      logger.error({ err: error, site: site.id }, 'socket listener failed');
    });
    const connection = new Connection(ws, site, client, deps);
    connections.add(connection);
    metrics.openSockets.inc();
    ws.on('close', () => {
      connections.delete(connection);
      metrics.openSockets.dec();
    });
    ws.on('error', (error: Error & { code?: string }) => {
      // Frame errors are the client's (ws has closed with 1009, 1002 or 1007 and a reason): counted, not logged.
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') metrics.sessionsRejected.inc({ reason: 'too_big' });
      else if (error.code?.startsWith('WS_ERR_')) metrics.sessionsRejected.inc({ reason: 'bad_message' });
      else logger.warn({ err: error, site: site.id }, 'socket error');
    });
  };

  const heartbeat = setInterval(() => {
    for (const connection of connections) {
      if (!connection.alive) {
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
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
      const cutOff = setTimeout(() => open.forEach((c) => c.socket.terminate()), 2_000);
      await Promise.all(open.map((c) => new Promise<void>((resolve) => (c.socket.readyState === c.socket.CLOSED ? resolve() : c.socket.once('close', () => resolve())))));
      clearTimeout(cutOff);
      // Their store writes are not awaited: leaves are skipped while draining, joins already sent end
      // with the store's close(), and a join still waiting for an unreachable Redis fails then.
    },
  };
}
