// Pushes of the live view (`live`) and of a page's readers (`readers`) to the sockets that asked for them.
// Like count pushes, store changes are coalesced per site: the first change after a quiet window is read
// at once, later ones at the window's end. One read serves every subscriber of a site: store.live for the
// largest `n` asked (sliced per socket), store.readers for every page watched. A group of sockets that
// receives the same thing (same `n`, same page) gets a push only when its figures changed.
import type { WebSocket } from 'ws';
import { buildLiveView, liveViewSignature } from '../live-view.js';
import type { Counts, LiveMessage, ReadersMessage } from '../protocol.js';
import type { Site } from '../sites.js';
import type { StatsReader } from '../stats.js';
import type { LiveFigures, Store } from '../store/store.js';
import type { PushSender } from './broadcaster.js';

export interface LiveSubscriptions {
  /** Adds the socket to the site's live view with `n` pages and sends it the view now. */
  subscribeLive(site: Site, socket: WebSocket, n: number): void;
  unsubscribeLive(site: Site, socket: WebSocket, n: number): void;
  /** Adds the socket to the readers of `url` (a normalised page url) and sends it the count now. */
  watchReaders(site: Site, socket: WebSocket, url: string): void;
  unwatchReaders(site: Site, socket: WebSocket, url: string): void;
  /** The site's figures may have changed: schedules a push after the coalescing delay. */
  changed(site: Site): void;
  close(): void;
}

/** Sockets that receive the same message, and what they were last sent (the live view without `at`, or a count). */
interface Group<T> {
  readonly sockets: Set<WebSocket>;
  last: T | undefined;
}

interface Channel {
  readonly site: Site;
  /** Live view subscribers by their `n`. */
  readonly live: Map<number, Group<string>>;
  /** Readers subscribers by page url. */
  readonly readers: Map<string, Group<number>>;
  timer: NodeJS.Timeout | undefined;
  pushedAt: number;
  /** A push is reading the store; a change meanwhile schedules another once it is done. */
  busy: boolean;
  again: boolean;
}

interface LiveRead {
  readonly online: Counts['online'];
  readonly figures: LiveFigures;
}

export interface LiveSubscriptionsDeps {
  store: Store;
  stats: StatsReader;
  clock: () => number;
  coalesceMs: number;
  /** Sends a push unless the socket is behind (the slow-reader rule, shared with count pushes). */
  push: PushSender;
  onError: (error: unknown) => void;
}

export function createLiveSubscriptions({ store, stats, clock, coalesceMs, push: sendPush, onError }: LiveSubscriptionsDeps): LiveSubscriptions {
  const channels = new Map<string, Channel>();

  const channelOf = (site: Site): Channel => {
    let channel = channels.get(site.id);
    if (!channel) {
      channel = { site, live: new Map(), readers: new Map(), timer: undefined, pushedAt: 0, busy: false, again: false };
      channels.set(site.id, channel);
    }
    return channel;
  };

  const release = (channel: Channel) => {
    if (channel.live.size > 0 || channel.readers.size > 0) return;
    clearTimeout(channel.timer);
    channels.delete(channel.site.id);
  };

  const join = <K, T>(groups: Map<K, Group<T>>, key: K, socket: WebSocket): Group<T> => {
    let group = groups.get(key);
    if (!group) {
      group = { sockets: new Set(), last: undefined };
      groups.set(key, group);
    }
    group.sockets.add(socket);
    return group;
  };

  const leave = <K, T>(groups: Map<K, Group<T>>, key: K, socket: WebSocket) => {
    const group = groups.get(key);
    if (group?.sockets.delete(socket) && group.sockets.size === 0) groups.delete(key);
  };

  /** Sends `message` to the whole group when `value` is news to it, else to the newcomer only. */
  const deliver = <T>(group: Group<T>, value: T, message: string, newcomer?: WebSocket) => {
    if (value !== group.last) {
      group.last = value;
      for (const socket of group.sockets) sendPush(socket, message);
    } else if (newcomer && group.sockets.has(newcomer)) {
      sendPush(newcomer, message);
    }
  };

  const readLive = async (site: Site, n: number): Promise<LiveRead> => {
    const [counts, figures] = await Promise.all([stats.read(site), store.live(site.id, n)]);
    return { online: counts.online, figures };
  };

  const sendLive = (group: Group<string>, site: Site, n: number, { online, figures }: LiveRead, newcomer?: WebSocket) => {
    const pages = figures.pages.length > n ? figures.pages.slice(0, n) : figures.pages;
    const view = buildLiveView(site.id, online, { ...figures, pages }, clock());
    deliver(group, liveViewSignature(view), JSON.stringify({ t: 'live', ...view } satisfies LiveMessage), newcomer);
  };

  const readersMessage = (url: string, readers: number) => JSON.stringify({ t: 'readers', url, readers } satisfies ReadersMessage);

  const push = async (channel: Channel) => {
    const { site } = channel;
    if (channel.live.size > 0) {
      const most = Math.max(...channel.live.keys());
      const read = await readLive(site, most);
      for (const [n, group] of channel.live) sendLive(group, site, n, read);
    }
    if (channel.readers.size > 0) {
      const urls = [...channel.readers.keys()];
      const counts = await store.readers(site.id, urls);
      urls.forEach((url, i) => {
        const group = channel.readers.get(url);
        const readers = counts[i] ?? 0;
        if (group) deliver(group, readers, readersMessage(url, readers));
      });
    }
  };

  const schedule = (channel: Channel) => {
    if (channel.timer) return;
    if (channel.busy) {
      channel.again = true;
      return;
    }
    const wait = Math.max(0, channel.pushedAt + coalesceMs - Date.now());
    channel.timer = setTimeout(() => {
      channel.timer = undefined;
      channel.pushedAt = Date.now();
      channel.busy = true;
      push(channel)
        .catch(onError)
        .finally(() => {
          channel.busy = false;
          if (!channel.again) return;
          channel.again = false;
          if (channels.get(channel.site.id) === channel) schedule(channel);
        });
    }, wait);
  };

  return {
    subscribeLive(site, socket, n) {
      const channel = channelOf(site);
      const group = join(channel.live, n, socket);
      readLive(site, n).then((read) => sendLive(group, site, n, read, socket), onError);
    },
    unsubscribeLive(site, socket, n) {
      const channel = channels.get(site.id);
      if (!channel) return;
      leave(channel.live, n, socket);
      release(channel);
    },
    watchReaders(site, socket, url) {
      const channel = channelOf(site);
      const group = join(channel.readers, url, socket);
      store.readers(site.id, [url]).then(([readers = 0]) => deliver(group, readers, readersMessage(url, readers), socket), onError);
    },
    unwatchReaders(site, socket, url) {
      const channel = channels.get(site.id);
      if (!channel) return;
      leave(channel.readers, url, socket);
      release(channel);
    },
    changed(site) {
      const channel = channels.get(site.id);
      if (channel) schedule(channel);
    },
    close() {
      for (const channel of channels.values()) clearTimeout(channel.timer);
      channels.clear();
    },
  };
}
