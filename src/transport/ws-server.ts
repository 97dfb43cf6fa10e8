// WebSocket transport on the HTTP server's port: admission at upgrade, one Connection per socket,
// ping/pong heartbeat that drops dead peers within two intervals.
import type { Server } from 'node:http';
import { isbot } from 'isbot';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressOf } from '../client-address.js';
import type { Metrics } from '../metrics/metrics.js';
import { MAX_MESSAGE_BYTES } from '../protocol.js';
import type { Site, SiteRegistry } from '../sites.js';
import type { Store } from '../store/store.js';
import type { StatsReader } from '../stats.js';
import { createBroadcaster } from './broadcaster.js';
import { Connection, type ClientInfo } from './connection.js';
import { cookielessIdentities } from './cookieless.js';
import { admit, refuseUpgrade } from './upgrade.js';

export interface TransportOptions {
  sites: SiteRegistry;
  store: Store;
  stats: StatsReader;
  metrics: Metrics;
  clock: () => number;
  logger: { warn(obj: object, msg: string): void };
  helloTimeoutMs: number;
  heartbeatIntervalMs: number;
  pushCoalesceMs: number;
  ticketTtlMs: number;
  memberTokenMaxLifetimeMs: number;
  maxSocketsPerIp: number;
  maxMessagesPerMinute: number;
  addressOf: AddressOf;
}

export interface Transport {
  /** Closes every socket with the code (e.g. 1012 on restart) and waits for their pending store writes.
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
  store.onChange((siteId) => {
    const site = sites.get(siteId);
    if (site) broadcaster.changed(site);
  });
  let draining = false;
  const deps = { ...options, broadcaster, cookieless: cookielessIdentities(store), draining: () => draining, held: new Map<string, Connection>() };
  // Open sockets per client address; entries go when their last socket closes, so the map stays bounded.
  const perAddress = new Map<string, number>();

  server.on('upgrade', (request, socket, head) => {
    socket.on('error', () => socket.destroy());
    const admission = admit(request, sites);
    if (!admission.ok) {
      metrics.sessionsRejected.inc({ reason: admission.reason });
      return refuseUpgrade(socket, admission.status, admission.error);
    }
    const address = options.addressOf(request);
    const open = perAddress.get(address) ?? 0;
    if (open >= options.maxSocketsPerIp) {
      metrics.sessionsRejected.inc({ reason: 'address_limit' });
      return refuseUpgrade(socket, 429, `too many open connections from one address (limit ${options.maxSocketsPerIp})`);
    }
    perAddress.set(address, open + 1);
    const release = () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    };
    socket.once('close', release);
    // Only what the session needs is kept: capturing `request` here would hold every upgrade request in memory.
    const userAgent = request.headers['user-agent'] ?? '';
    const client = { automated: isbot(userAgent), address, userAgent: admission.site.cookieless ? userAgent : '' };
    const site = admission.site;
    wss.handleUpgrade(request, socket, head, (ws) => accept(ws, site, client));
  });

  const accept = (ws: WebSocket, site: Site, client: ClientInfo) => {
    const connection = new Connection(ws, site, client, deps);
    connections.add(connection);
    metrics.openSockets.inc();
    ws.on('close', () => {
      connections.delete(connection);
      metrics.openSockets.dec();
    });
    ws.on('error', (error) => logger.warn({ err: error, site: site.id }, 'socket error'));
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
      const open = [...connections];
      for (const connection of open) connection.close(code, reason);
      // A peer that does not answer the close handshake is cut off so shutdown stays bounded.
      const cutOff = setTimeout(() => open.forEach((c) => c.socket.terminate()), 2_000);
      await Promise.all(open.map((c) => new Promise<void>((resolve) => (c.socket.readyState === c.socket.CLOSED ? resolve() : c.socket.once('close', () => resolve())))));
      clearTimeout(cutOff);
      await Promise.all(open.map((c) => c.settled()));
    },
  };
}
