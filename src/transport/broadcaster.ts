// Live count pushes: changes reported by the store are coalesced per site, read once, and sent
// only when the figures differ from the last push. The first change after a quiet window is pushed at
// once; later ones wait for the window's end, so a site gets at most one push per window.
// ws never drops slow readers, so we skip them.
import type { WebSocket } from 'ws';
import type { Metrics } from '../metrics/metrics.js';
import type { Counts, CountsMessage } from '../protocol.js';
import type { Site } from '../sites.js';

/** A subscriber with this much unsent data is skipped until it catches up. */
const MAX_BUFFERED_BYTES = 64 * 1024;

/** Sends a push unless the socket is closing or has not read the earlier ones; says whether it was sent. */
export function sendPush(socket: WebSocket, message: string): boolean {
  if (socket.readyState !== socket.OPEN || socket.bufferedAmount > MAX_BUFFERED_BYTES) return false;
  socket.send(message);
  return true;
}

export interface Broadcaster {
  subscribe(site: Site, socket: WebSocket): void;
  unsubscribe(site: Site, socket: WebSocket): void;
  /** Schedules a push for the site after the coalescing delay. */
  changed(site: Site): void;
  close(): void;
}

interface Channel {
  site: Site;
  sockets: Set<WebSocket>;
  timer: NodeJS.Timeout | undefined;
  last: string | undefined;
  pushedAt: number;
}

function figuresOf(counts: Counts): string {
  const { at: _at, ...figures } = counts;
  return JSON.stringify(figures);
}

export function createBroadcaster(read: (site: Site) => Promise<Counts>, coalesceMs: number, metrics: Metrics, onError: (error: unknown) => void): Broadcaster {
  const channels = new Map<string, Channel>();

  const send = (socket: WebSocket, message: string) => {
    if (sendPush(socket, message)) metrics.pushesSent.inc();
  };

  const push = async (channel: Channel) => {
    channel.timer = undefined;
    channel.pushedAt = Date.now();
    const counts = await read(channel.site);
    const figures = figuresOf(counts);
    if (figures === channel.last) return;
    channel.last = figures;
    const message = JSON.stringify({ t: 'counts', ...counts } satisfies CountsMessage);
    for (const socket of channel.sockets) send(socket, message);
  };

  return {
    subscribe(site, socket) {
      let channel = channels.get(site.id);
      if (!channel) {
        channel = { site, sockets: new Set(), timer: undefined, last: undefined, pushedAt: 0 };
        channels.set(site.id, channel);
      }
      if (channel.sockets.has(socket)) return;
      channel.sockets.add(socket);
      read(site).then(
        (counts) => send(socket, JSON.stringify({ t: 'counts', ...counts } satisfies CountsMessage)),
        onError,
      );
    },
    unsubscribe(site, socket) {
      const channel = channels.get(site.id);
      if (!channel?.sockets.delete(socket) || channel.sockets.size > 0) return;
      clearTimeout(channel.timer);
      channels.delete(site.id);
    },
    changed(site) {
      const channel = channels.get(site.id);
      if (!channel || channel.timer) return;
      const wait = Math.max(0, channel.pushedAt + coalesceMs - Date.now());
      channel.timer = setTimeout(() => push(channel).catch(onError), wait);
    },
    close() {
      for (const channel of channels.values()) clearTimeout(channel.timer);
      channels.clear();
    },
  };
}
