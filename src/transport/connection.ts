// One WebSocket's life: hello deadline, messages in order, join/leave of its page session,
// subscription to live counts. Store writes for one socket run one at a time, in arrival order.
import type { WebSocket } from 'ws';
import { periodsAt } from '../calendar.js';
import { issueTicket, MemberTokenError, verifyMemberToken, verifyTicket } from '../members.js';
import type { Metrics, RejectReason } from '../metrics/metrics.js';
import { CloseCode, parseClientMessage, ProtocolError, type HelloMessage, type Kind, type Visibility, type WelcomeMessage } from '../protocol.js';
import type { Site } from '../sites.js';
import type { Store } from '../store/store.js';
import type { Broadcaster } from './broadcaster.js';
import type { CookielessIdentity } from './cookieless.js';
import { TokenBucket } from './rate-limit.js';

export interface ConnectionDeps {
  store: Store;
  metrics: Metrics;
  broadcaster: Broadcaster;
  clock: () => number;
  logger: { warn(obj: object, msg: string): void };
  helloTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** How long a member's resume ticket stays valid: as long as a closed page session can resume. */
  ticketTtlMs: number;
  memberTokenMaxLifetimeMs: number;
  maxMessagesPerMinute: number;
  cookieless: CookielessIdentity;
  /** True once the server is stopping: the store's close() then ends every page session at once. */
  draining: () => boolean;
  /** Open page sessions on this instance by site and psid, so a reconnect replaces the stale socket. */
  held: Map<string, Connection>;
}

/** What the upgrade request told about the client; the address is used in memory only. */
export interface ClientInfo {
  automated: boolean;
  address: string;
  userAgent: string;
}

interface PageSession {
  psid: string;
  identity: string;
  kind: Kind;
}

export class Connection {
  private page: PageSession | undefined;
  private closed = false;
  private queue: Promise<void> = Promise.resolve();
  private helloTimer: NodeJS.Timeout | undefined;
  private readonly bucket: TokenBucket;
  /** Hidden tabs stay online; they are counted apart as idle in headcount_hidden_sockets. */
  private visibility: Visibility = 'visible';
  alive = true;

  constructor(
    readonly socket: WebSocket,
    readonly site: Site,
    private readonly client: ClientInfo,
    private readonly deps: ConnectionDeps,
  ) {
    // Bursts of a quarter of the per-minute allowance pass; the steady rate is the allowance.
    this.bucket = new TokenBucket(Math.max(10, Math.ceil(deps.maxMessagesPerMinute / 4)), deps.maxMessagesPerMinute / 60_000, deps.clock());
    this.helloTimer = setTimeout(() => this.refuse(CloseCode.helloTimeout, 'hello_timeout', `no hello within ${deps.helloTimeoutMs} ms`), deps.helloTimeoutMs);
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('pong', () => (this.alive = true));
    socket.on('close', () => this.onClose());
  }

  private receive(data: WebSocket.RawData, isBinary: boolean): void {
    this.alive = true;
    if (this.closed) return;
    if (!this.bucket.take(this.deps.clock())) return this.refuse(CloseCode.rateLimited, 'message_rate', `more than ${this.deps.maxMessagesPerMinute} messages per minute`);
    if (isBinary) return this.refuse(CloseCode.badMessage, 'bad_message', 'binary frames are not part of the protocol');
    let message;
    try {
      message = parseClientMessage(data.toString());
    } catch (error) {
      if (error instanceof ProtocolError) return this.refuse(CloseCode.badMessage, 'bad_message', error.message);
      throw error;
    }
    this.deps.metrics.messagesReceived.inc({ type: message.t });
    this.queue = this.queue.then(async () => {
      if (this.closed) return;
      switch (message.t) {
        case 'hello':
          return this.hello(message);
        case 'page': {
          const current = this.page;
          if (!current) return this.refuse(CloseCode.badMessage, 'bad_message', 'page before hello');
          await this.leave();
          return this.start({ psid: message.psid, identity: current.identity, kind: current.kind });
        }
        case 'vis':
          return this.setVisibility(message.vis);
        case 'sub':
          this.clearHelloTimer();
          return message.on ? this.deps.broadcaster.subscribe(this.site, this.socket) : this.deps.broadcaster.unsubscribe(this.site, this.socket);
      }
    }).catch((error: unknown) => {
      this.deps.logger.warn({ err: error, site: this.site.id }, 'page session failed');
      this.refuse(CloseCode.tryAgainLater, 'store_error', 'store unavailable, reconnect later');
    });
  }

  private async hello(hello: HelloMessage): Promise<void> {
    if (this.page) return this.refuse(CloseCode.badMessage, 'bad_message', 'hello sent twice');
    if (hello.site !== this.site.id) return this.refuse(CloseCode.wrongSite, 'wrong_site', 'hello site differs from the connection site');
    this.clearHelloTimer();
    let identity = hello.vid;
    let kind: Kind = hello.bot || this.client.automated ? 'bot' : 'guest';
    const now = this.deps.clock();
    try {
      if (hello.ticket !== undefined) {
        identity = await verifyTicket(this.site, hello.ticket, hello.psid, now);
        kind = 'member';
      } else if (hello.member !== undefined) {
        identity = await verifyMemberToken(this.site, hello.member, now, this.deps.memberTokenMaxLifetimeMs);
        kind = 'member';
      }
    } catch (error) {
      if (error instanceof MemberTokenError) return this.refuse(CloseCode.badMemberToken, 'member_token', error.message);
      throw error;
    }
    // Only guests need the daily salt: members are identified by their token, bots by the id they send.
    if (kind === 'guest' && this.site.cookieless) identity = await this.deps.cookieless(this.site, this.client.address, this.client.userAgent, now);
    if (this.closed) return;
    if (hello.vis) this.setVisibility(hello.vis);
    await this.start({ psid: hello.psid, identity, kind });
    if (hello.sub && !this.closed) this.deps.broadcaster.subscribe(this.site, this.socket);
  }

  private async start(page: PageSession): Promise<void> {
    const { store, held, clock } = this.deps;
    const key = `${this.site.id}/${page.psid}`;
    const stale = held.get(key);
    if (stale && stale !== this) stale.handOver(CloseCode.replaced, 'page session reconnected elsewhere');
    held.set(key, this);
    this.page = page;
    const now = clock();
    const result = await store.join({ site: this.site.id, ...page, now, periods: periodsAt(now, this.site.timeZone) });
    if (this.closed) return;
    this.deps.metrics.sessionsAdmitted.inc({ site: this.site.id });
    const welcome: WelcomeMessage = {
      t: 'welcome',
      psid: page.psid,
      resumed: page.kind !== 'bot' && !result.pageview,
      kind: page.kind,
      hb: this.deps.heartbeatIntervalMs,
    };
    if (page.kind === 'member') welcome.ticket = await issueTicket(this.site, page.identity, page.psid, now, this.deps.ticketTtlMs);
    this.socket.send(JSON.stringify(welcome));
  }

  /** Ends this socket's page session in the store, unless a newer socket took it over. */
  private async leave(): Promise<void> {
    const page = this.page;
    if (!page) return;
    this.page = undefined;
    const key = `${this.site.id}/${page.psid}`;
    if (this.deps.held.get(key) !== this) return;
    this.deps.held.delete(key);
    await this.deps.store.leave(this.site.id, page.psid, this.deps.clock());
  }

  /** Closes this socket without ending its page session, which a newer socket now holds. */
  private handOver(code: number, reason: string): void {
    this.page = undefined;
    this.close(code, reason);
  }

  private refuse(code: number, reason: RejectReason, message: string): void {
    this.deps.metrics.sessionsRejected.inc({ reason });
    this.close(code, message);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.clearHelloTimer();
    this.socket.close(code, reason);
  }

  private clearHelloTimer(): void {
    clearTimeout(this.helloTimer);
    this.helloTimer = undefined;
  }

  private setVisibility(visibility: Visibility): void {
    if (visibility === this.visibility) return;
    this.visibility = visibility;
    if (visibility === 'hidden') this.deps.metrics.hiddenSockets.inc();
    else this.deps.metrics.hiddenSockets.dec();
  }

  private onClose(): void {
    this.setVisibility('visible');
    this.closed = true;
    this.clearHelloTimer();
    this.deps.broadcaster.unsubscribe(this.site, this.socket);
    // Queued after any join in flight, so a socket that closes mid-hello still leaves.
    this.queue = this.queue.then(() => (this.deps.draining() ? undefined : this.leave())).catch((error: unknown) => {
      this.deps.logger.warn({ err: error, site: this.site.id }, 'leave failed');
    });
  }

  /** Resolves when this socket's pending store writes (including its leave) are done. */
  settled(): Promise<void> {
    return this.queue;
  }
}
