// What instances tell each other over Redis pub/sub: that a site's counts changed (coalesced per site),
// and that a page session moved to another instance (published by join-15.lua itself, so a join whose
// reply was lost and is re-sent still tells the old holder exactly once). Pub/sub delivers at most
// once: what is published while a subscriber reconnects is lost, hence the resync below.
import type { RedisClient } from './connect.js';
import type { ReplacedNotice } from './scripts.js';

const PUBLISH_COALESCE_MS = 50;

interface ChangeMessage {
  readonly site: string;
  readonly from: string;
}

function parsed(message: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(message);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {}; // not ours: another program on the same channel
  }
}

/** The site of a change notice from another instance, if it is one. */
export function changeFrom(message: string, instanceId: string): string | undefined {
  const { site, from } = parsed(message);
  return typeof site === 'string' && from !== instanceId ? site : undefined;
}

/** A move notice addressed to this instance (the page's old holder), if it is one. */
export function movedFrom(message: string, instanceId: string): ReplacedNotice | undefined {
  const { site, psid, from, claim } = parsed(message);
  if (typeof site !== 'string' || typeof psid !== 'string' || from !== instanceId || typeof claim !== 'number') return undefined;
  return { site, psid, from, claim };
}

/** Change notices to other instances: the first after a quiet spell at once, the rest of a burst at the window's end. */
export class ChangePublisher {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** When each site's last notice went out; one entry per site changed here. */
  private readonly publishedAt = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly client: RedisClient,
    private readonly channel: string,
    private readonly instanceId: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  changed(site: string): void {
    if (this.timers.has(site) || this.stopped) return;
    const wait = Math.max(0, (this.publishedAt.get(site) ?? 0) + PUBLISH_COALESCE_MS - Date.now());
    const timer = setTimeout(() => {
      this.timers.delete(site);
      this.publishedAt.set(site, Date.now());
      this.publish(site).catch(this.onError);
    }, wait);
    timer.unref();
    this.timers.set(site, timer);
  }

  /** Stops scheduling; returns the sites whose notice had not gone out yet. */
  stop(): string[] {
    this.stopped = true;
    const unpublished = [...this.timers.keys()];
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    return unpublished;
  }

  async publish(site: string): Promise<void> {
    await this.client.publish(this.channel, JSON.stringify({ site, from: this.instanceId } satisfies ChangeMessage));
  }
}

export interface NoticeHandlers {
  readonly changed: (message: string) => void;
  readonly moved: (message: string) => void;
  /** Subscribed again after the connection was lost: notices may have been missed meanwhile. */
  readonly resubscribed: () => void;
  readonly onError: (err: unknown) => void;
}

/** The subscribed connection: a connection in subscriber mode can run nothing but (un)subscribe commands. */
export class NoticeSubscriber {
  constructor(
    private readonly connection: RedisClient,
    private readonly channels: { readonly changes: string; readonly replaced: string },
    private readonly handlers: NoticeHandlers,
  ) {
    connection.on('message', (channel: string, message: string) => (channel === channels.replaced ? handlers.moved(message) : handlers.changed(message)));
  }

  async start(): Promise<void> {
    await this.connection.connect();
    await this.subscribe();
    // ioredis re-subscribes on every reconnect; the resync waits for Redis to confirm it (one
    // connection answers in order), so a figure read for it cannot predate the subscription and a
    // change published in between reaches us as a notice.
    this.connection.on('ready', () => this.subscribe().then(() => this.handlers.resubscribed()).catch(this.handlers.onError));
  }

  private async subscribe(): Promise<void> {
    await this.connection.subscribe(this.channels.changes, this.channels.replaced);
  }
}
