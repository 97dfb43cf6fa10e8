// One WebSocket's life: hello deadline, messages in order, join/leave of its page session and its
// engagement, subscriptions to live counts, the live view and its page's readers. Store writes for one
// socket run one at a time, in arrival order.
import type { WebSocket } from 'ws';
import { applyChange, closeEngagement, engagedMsAt, startEngagement, type EngagementState } from '../audience/engagement.js';
import { cleanPageMeta } from '../audience/page-meta.js';
import { pageUrlFor } from '../audience/page-url.js';
import { classifySource, utmOf } from '../audience/source.js';
import { periodsAt } from '../calendar.js';
import { liveAccessAllowed } from '../live-view.js';
import { issueTicket, MemberTokenError, verifyMemberToken, verifyTicket, type MemberRules, type Membership } from '../members.js';
import type { Metrics, RejectReason } from '../metrics/metrics.js';
import {
  CloseCode,
  parseClientMessage,
  ProtocolError,
  type HelloMessage,
  type Kind,
  type LiveSubscribeMessage,
  type PageMessage,
  type Visibility,
  type WelcomeMessage,
} from '../protocol.js';
import type { Site } from '../sites.js';
import type { Store } from '../store/store.js';
import type { Broadcaster } from './broadcaster.js';
import type { CookielessIdentity } from './cookieless.js';
import type { LiveSubscriptions } from './live-subscriptions.js';
import { TokenBucket } from './rate-limit.js';

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
  held: Map<string, Connection>;
}

/** What the upgrade request told about the client; the address is used in memory only. */
export interface ClientInfo {
  automated: boolean;
  address: string;
  userAgent: string;
  /** Admitted as Headcount's own page (the dashboard): its hello is refused, so it is never counted. */
  viewer: boolean;
}

interface PageSession {
  psid: string;
  identity: string;
  kind: Kind;
}

/** What a hello or page message says about the page being read. */
type PageReport = Pick<PageMessage, 'url' | 'ref' | 'canon' | 'title' | 'section' | 'author'>;

/** A stored page session: which page (the normalised url, the string the store and readers pushes share)
 * and its engagement, timed by the server's clock. */
interface OpenPage extends PageSession {
  readonly url: string;
  engagement: EngagementState;
  /** Engaged time already sent to the store. */
  reportedMs: number;
}

/** The close reason of an eng flood: the tracker sends at most one change per 5 s (src/audience/engagement.ts). */
const ENG_RATE_REASON = 'more than one eng message per 5 s';

export class Connection {
  private page: OpenPage | undefined;
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
  /** Pages of the live view this socket receives; 0 when it is not subscribed. */
  private liveN = 0;
  /** Whether this socket receives the readers of its page. */
  private readersOn = false;
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
          this.setVisibility(message.vis);
          if (message.vis === 'hidden') return this.hide();
          return;
        case 'eng':
          return this.engage(message.on);
        case 'sub':
          this.clearHelloTimer();
          return message.on ? this.deps.broadcaster.subscribe(this.site, this.socket) : this.deps.broadcaster.unsubscribe(this.site, this.socket);
        case 'live':
          this.clearHelloTimer();
          return this.live(message);
        case 'readers':
          return this.readers(message.on);
      }
    }).catch((error: unknown) => {
      this.deps.logger.warn({ err: error, site: this.site.id }, 'page session failed');
      this.refuse(CloseCode.tryAgainLater, 'store_error', 'store unavailable, reconnect later');
    });
  }

  private async hello(hello: HelloMessage): Promise<void> {
    if (this.page) return this.refuse(CloseCode.badMessage, 'bad_message', 'hello sent twice');
    if (hello.site !== this.site.id) return this.refuse(CloseCode.wrongSite, 'wrong_site', 'hello site differs from the connection site');
    if (this.client.viewer) return this.refuse(CloseCode.forbidden, 'origin', 'origin not allowed for site pages: this socket may only watch');
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
    await this.start({ psid: hello.psid, identity, kind }, hello);
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
    return this.start({ psid: message.psid, identity, kind }, message);
  }

  /** A guest is the visitor id the page sent, or on cookieless sites a daily-salted hash of address and user agent. */
  private async guestIdentity(now: number): Promise<string> {
    return this.site.cookieless ? this.deps.cookieless(this.site, this.client.address, this.client.userAgent, now) : this.vid;
  }

  private async start(page: PageSession, report: PageReport): Promise<void> {
    const { store, held, clock } = this.deps;
    const site = this.site;
    const url = pageUrlFor(site, { canonical: report.canon, location: report.url });
    // Classified once, at the start of the page session: an SPA navigation's ref is the previous page (internal).
    const { source, host } = classifySource({ referrer: report.ref, ...utmOf(report.url), siteOrigins: site.origins });
    // Arriving counts as input: a visible page starts engaged.
    const engaged = this.visibility !== 'hidden';
    const key = `${this.site.id}/${page.psid}`;
    const stale = held.get(key);
    // The psid is claimed before the join, so nothing the older socket does now ends the session this join resumes.
    const inherited = stale !== undefined && stale !== this && stale.handOver(CloseCode.replaced, 'page session reconnected elsewhere');
    held.set(key, this);
    const now = clock();
    const visitor = page.kind === 'guest' ? page.identity : this.vid;
    let result;
    try {
      result = await store.join({
        site: site.id,
        ...page,
        visitor,
        now,
        periods: periodsAt(now, site.timeZone),
        page: { url, ...cleanPageMeta(report) },
        source,
        referrerHost: host,
        engaged,
      });
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
    this.page = { ...page, url, engagement: startEngagement(now, engaged), reportedMs: 0 };
    // Closed while the join was in flight: the leave queued behind it ends the session.
    if (this.closed) return;
    if (this.readersOn) this.deps.subscriptions.watchReaders(site, this.socket, url);
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

  /** Ends this socket's page session in the store with its last engaged time, unless a newer socket took it over. */
  private async leave(): Promise<void> {
    const page = this.dropPage();
    if (!page) return;
    const key = `${this.site.id}/${page.psid}`;
    if (this.deps.held.get(key) !== this) return;
    this.deps.held.delete(key);
    const now = this.deps.clock();
    const engagement = closeEngagement(page.engagement, now);
    const report = { engaged: false, engagedMs: engagement.engagedMs - page.reportedMs, periods: periodsAt(now, this.site.timeZone) };
    await this.deps.store.leave(this.site.id, page.psid, now, report);
  }

  /** Forgets the page session on this socket (and its readers subscription's page). */
  private dropPage(): OpenPage | undefined {
    const page = this.page;
    if (!page) return undefined;
    this.page = undefined;
    if (this.readersOn) this.deps.subscriptions.unwatchReaders(this.site, this.socket, page.url);
    return page;
  }

  /** Closes this socket without ending its page session, which a newer socket now holds; says whether it had one stored. */
  handOver(code: number, reason: string): boolean {
    const stored = this.dropPage() !== undefined;
    this.close(code, reason);
    return stored;
  }

  /** An engagement change (an eng message, or a hidden page), timed here; the store hears only real changes. */
  private async engage(on: boolean): Promise<void> {
    const page = this.page;
    if (!page) return this.refuse(CloseCode.badMessage, 'bad_message', 'eng before hello');
    const now = this.deps.clock();
    const step = applyChange(page.engagement, on ? 'engaged' : 'idle', now);
    // The tracker sends at most one change per 5 s; the idle of a refused change still counts (it only lowers time)
    // and reaches the store with the leave.
    if (step.rateLimited) {
      page.engagement = step.state;
      return this.refuse(CloseCode.rateLimited, 'message_rate', ENG_RATE_REASON);
    }
    return this.report(page, step.state, now);
  }

  /** A hidden page is idle at once, whatever the change allowance: visibility is not an eng message. */
  private hide(): Promise<void> | undefined {
    const page = this.page;
    if (!page?.engagement.engaged || page.engagement.closed) return undefined;
    const now = this.deps.clock();
    return this.report(page, { ...page.engagement, engaged: false, engagedMs: engagedMsAt(page.engagement, now) }, now);
  }

  /** Moves the page session to its new engagement state; the store hears only real changes. */
  private async report(page: OpenPage, state: EngagementState, now: number): Promise<void> {
    const changed = state.engaged !== page.engagement.engaged;
    page.engagement = state;
    // Bots are never readers: their engagement is nobody's figure.
    if (!changed || page.kind === 'bot') return;
    const engagedMs = engagedMsAt(state, now);
    const report = { engaged: state.engaged, engagedMs: engagedMs - page.reportedMs, periods: periodsAt(now, this.site.timeZone) };
    page.reportedMs = engagedMs;
    try {
      await this.deps.store.engage(this.site.id, page.psid, now, report);
    } catch (error) {
      // Engagement is a figure of the live view, not a count: a failed write costs that change, not the socket.
      this.deps.logger.warn({ err: error, site: this.site.id }, 'engagement update failed');
    }
  }

  /** A live view subscription: public sites' to anyone, private sites' with the readToken, ADMIN_TOKEN or a share link. */
  private live(message: LiveSubscribeMessage): void {
    const { subscriptions, adminToken } = this.deps;
    if (!message.on) {
      if (this.liveN > 0) subscriptions.unsubscribeLive(this.site, this.socket, this.liveN);
      this.liveN = 0;
      return;
    }
    if (!liveAccessAllowed(this.site, message.token, adminToken, this.deps.clock())) {
      return this.refuse(CloseCode.forbidden, 'live_token', 'live view of this site needs its read token');
    }
    if (this.liveN === message.n) return;
    if (this.liveN > 0) subscriptions.unsubscribeLive(this.site, this.socket, this.liveN);
    this.liveN = message.n;
    subscriptions.subscribeLive(this.site, this.socket, message.n);
  }

  /** The readers of this socket's own page, following its `page` messages. */
  private readers(on: boolean): void {
    const page = this.page;
    if (!page) return this.refuse(CloseCode.badMessage, 'bad_message', 'readers before hello');
    if (on === this.readersOn) return;
    this.readersOn = on;
    if (on) this.deps.subscriptions.watchReaders(this.site, this.socket, page.url);
    else this.deps.subscriptions.unwatchReaders(this.site, this.socket, page.url);
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
    if (this.liveN > 0) this.deps.subscriptions.unsubscribeLive(this.site, this.socket, this.liveN);
    this.liveN = 0;
    if (this.readersOn && this.page) this.deps.subscriptions.unwatchReaders(this.site, this.socket, this.page.url);
    this.readersOn = false;
    // Queued after any join in flight, so a socket that closes mid-hello still leaves.
    this.queue = this.queue.then(() => (this.deps.draining() ? undefined : this.leave())).catch((error: unknown) => {
      this.deps.logger.warn({ err: error, site: this.site.id }, 'leave failed');
    });
  }
}
