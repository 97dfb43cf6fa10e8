// One WebSocket's life: hello deadline, messages in order, join/leave of its page session,
// subscription to live counts. Store writes for one socket run one at a time, in arrival order.
import type { WebSocket } from 'ws';
import { periodsAt } from '../calendar.js';
import { issueTicket, MemberTokenError, verifyMemberToken, verifyTicket, type MemberRules, type Membership } from '../members.js';
import type { Metrics, RejectReason } from '../metrics/metrics.js';
import { CloseCode, parseClientMessage, ProtocolError, type HelloMessage, type Kind, type PageMessage, type Visibility, type WelcomeMessage } from '../protocol.js';
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
  memberRules: MemberRules;
  maxMessagesPerMinute: number;
  /** `page` messages per socket and minute; bursts of a quarter of that pass. */
  maxPagesPerMinute: number;
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
  private readonly pages: TokenBucket;
  /** The hello's visitor id: a member whose session ends on this socket goes on as this guest. */
  private vid = '';
  /** Set while this socket's page sessions count as a member: who, and until when. */
  private membership: Membership | undefined;
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
    // Each `page` is a stored pageview: a much lower allowance than other messages.
    this.pages = new TokenBucket(Math.max(1, Math.ceil(deps.maxPagesPerMinute / 4)), deps.maxPagesPerMinute / 60_000, deps.clock());
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
    if (message.t === 'page' && !this.pages.take(this.deps.clock())) {
      return this.refuse(CloseCode.rateLimited, 'page_rate', `more than ${this.deps.maxPagesPerMinute} page messages per minute`);
    }
    this.deps.metrics.messagesReceived.inc({ type: message.t });
    this.queue = this.queue.then(async () => {
      if (this.closed) return;
      switch (message.t) {
        case 'hello':
          return this.hello(message);
        case 'page':
          return this.navigate(message);
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
    this.vid = hello.vid;
    let identity = hello.vid;
    let kind: Kind = hello.bot || this.client.automated ? 'bot' : 'guest';
    const now = this.deps.clock();
    const rules = this.deps.memberRules;
    let membership: Membership | undefined;
    try {
      if (hello.ticket !== undefined) membership = await verifyTicket(this.site, hello.ticket, hello.psid, now, rules.leewayMs);
      else if (hello.member !== undefined) membership = await verifyMemberToken(this.site, hello.member, now, rules);
    } catch (error) {
      if (error instanceof MemberTokenError) return this.refuse(CloseCode.badMemberToken, 'member_token', error.message);
      throw error;
    }
    // A bot stays a bot: its token is checked (a broken one is still refused) but never makes it a member.
    if (membership && kind !== 'bot') {
      this.membership = membership;
      identity = membership.identity;
      kind = 'member';
    }
    // Only guests need the daily salt: members are identified by their token, bots by the id they send.
    if (kind === 'guest') identity = await this.guestIdentity(now);
    if (this.closed) return;
    if (hello.vis) this.setVisibility(hello.vis);
    await this.start({ psid: hello.psid, identity, kind });
    if (hello.sub && !this.closed) this.deps.broadcaster.subscribe(this.site, this.socket);
  }

  /** A `page` message: the socket's next page session, same visitor. Membership moves to it, with its deadline. */
  private async navigate(message: PageMessage): Promise<void> {
    const current = this.page;
    if (!current) return this.refuse(CloseCode.badMessage, 'bad_message', 'page before hello');
    // The page session already counted: nothing to end, start or renew.
    if (message.psid === current.psid) return;
    let { identity, kind } = current;
    const now = this.deps.clock();
    if (kind === 'member' && this.membership!.deadline <= now) {
      // The member session is over: the visitor goes on as a guest until a page load brings a new token.
      this.membership = undefined;
      kind = 'guest';
      identity = await this.guestIdentity(now);
    }
    await this.leave();
    return this.start({ psid: message.psid, identity, kind });
  }

  /** A guest is the visitor id the page sent, or on cookieless sites a daily-salted hash of address and user agent. */
  private async guestIdentity(now: number): Promise<string> {
    return this.site.cookieless ? this.deps.cookieless(this.site, this.client.address, this.client.userAgent, now) : this.vid;
  }

  private async start(page: PageSession): Promise<void> {
    const { store, held, clock } = this.deps;
    const key = `${this.site.id}/${page.psid}`;
    const stale = held.get(key);
    // The psid is claimed before the join, so nothing the older socket does now ends the session this join resumes.
    const inherited = stale !== undefined && stale !== this && stale.handOver(CloseCode.replaced, 'page session reconnected elsewhere');
    held.set(key, this);
    const now = clock();
    const visitor = page.kind === 'guest' ? page.identity : this.vid;
    let result;
    try {
      result = await store.join({ site: this.site.id, ...page, visitor, now, periods: periodsAt(now, this.site.timeZone) });
    } catch (error) {
      // A page session is registered only once stored: a refused join leaves no held entry and no leave
      // behind, except the end of a session the older socket had stored.
      if (held.get(key) === this) {
        held.delete(key);
        if (inherited && !this.deps.draining()) store.leave(this.site.id, page.psid, clock()).catch((err: unknown) => this.deps.logger.warn({ err, site: this.site.id }, 'leave failed'));
      }
      throw error;
    }
    // A newer socket (here, or on another instance) took the psid over meanwhile: it holds the session.
    if (held.get(key) !== this) return;
    this.page = page;
    // Closed while the join was in flight: the leave queued behind it ends the session.
    if (this.closed) return;
    this.deps.metrics.sessionsAdmitted.inc({ site: this.site.id });
    const welcome: WelcomeMessage = {
      t: 'welcome',
      psid: page.psid,
      resumed: page.kind !== 'bot' && !result.pageview,
      kind: page.kind,
      hb: this.deps.heartbeatIntervalMs,
    };
    if (page.kind === 'member') welcome.ticket = await issueTicket(this.site, this.membership!, page.psid, now, this.deps.ticketTtlMs);
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

  /** Closes this socket without ending its page session, which a newer socket now holds; says whether it had one stored. */
  handOver(code: number, reason: string): boolean {
    const stored = this.page !== undefined;
    this.page = undefined;
    this.close(code, reason);
    return stored;
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
}
