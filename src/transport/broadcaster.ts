// Live count pushes: changes reported by the store are coalesced per site, read once, and sent
// only when the figures differ from the last push. The first change after a quiet window is pushed at
// once; later ones wait for the window's end, so a site gets at most one push per window.
//
// ws never drops slow readers: every push to a socket that stopped reading would wait in this
// process's memory for ever. So a subscriber with more than `bytes` unsent is skipped, and closed once
// it stayed over for `ms` (checked at each push it skips).
import type { WebSocket } from 'ws';
import type { Metrics } from '../metrics/metrics.js';
import { CloseCode, type Counts, type CountsMessage } from '../protocol.js';
import type { Site } from '../sites.js';

export interface SlowReaderRule {
  /** Unsent bytes (ws's bufferedAmount) above which a socket gets no pushes. */
  readonly bytes: number;
  /** How long a socket may stay above `bytes` before it is closed. */
  readonly ms: number;
}

/** Sends one push to one socket unless it is closing or behind; says whether it was sent. */
export type PushSender = (socket: WebSocket, message: string) => boolean;

/** A closed slow reader that does not read the close frame either is cut after this long. */
const CLOSE_GRACE_MS = 1_000;

export function createPushSender(rule: SlowReaderRule, metrics: Pick<Metrics, 'pushesSkipped' | 'slowReadersDropped'>, clock: () => number = Date.now): PushSender {
  /** Since when each socket has been over the limit. */
  const behindSince = new WeakMap<WebSocket, number>();
  const reason = `reader too slow: over ${rule.bytes} bytes unsent for ${rule.ms} ms`;

  const drop = (socket: WebSocket) => {
    metrics.slowReadersDropped.inc();
    socket.close(CloseCode.slowReader, reason);
    // The close frame waits behind the unread pushes: a peer that never reads would keep them (and the
    // socket) for ws's 30 s close timeout.
    setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
  };

  return (socket, message) => {
    if (socket.readyState !== socket.OPEN) return false;
    if (socket.bufferedAmount <= rule.bytes) {
      behindSince.delete(socket);
      socket.send(message);
      return true;
    }
    metrics.pushesSkipped.inc();
    const now = clock();
    const since = behindSince.get(socket);
    if (since === undefined) behindSince.set(socket, now);
    if (now - (since ?? now) >= rule.ms) drop(socket);
    return false;
  };
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

export function createBroadcaster(
  read: (site: Site) => Promise<Counts>,
  coalesceMs: number,
  metrics: Pick<Metrics, 'pushesSent'>,
  onError: (error: unknown) => void,
  sendPush: PushSender,
): Broadcaster {
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
