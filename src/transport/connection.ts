// One WebSocket's life: hello deadline, messages in order, join/leave of its page session and its
// engagement, subscriptions to live counts, the live view and its page's readers. Store writes for one
// socket run one at a time, in arrival order.
// A Connection is the socket itself (WebSocketServer's `WebSocket` class): its listeners are prototype
// methods called with the socket as `this`, so a held socket carries no closures of its own.
import type { RawData } from 'ws';
import { applyChange, closeEngagement, engagedMsAt, startEngagement, type EngagementState } from '../audience/engagement.js';
import { intern, internOptional } from '../audience/intern.js';
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
import type { HeldSessions } from './held-sessions.js';
import { RateRule } from './rate-limit.js';
import { GuardedSocket } from './socket-guard.js';

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
  held: HeldSessions<Connection>;
  /** The allowances of maxMessagesPerMinute and maxPagesPerMinute, shared by every socket. */
  messageRate: RateRule;
  pageRate: RateRule;
  /** An exception in one of a socket's listeners; the socket is terminated. */
  listenerFailed(error: unknown, site: Site): void;
  /** The transport's bookkeeping of a closed socket (open sockets, its address's count). */
  socketClosed(connection: Connection): void;
}

/** The shared allowances: bursts of a quarter of the per-minute allowance pass; the steady rate is the allowance. */
export function rateRules(maxMessagesPerMinute: number, maxPagesPerMinute: number): Pick<ConnectionDeps, 'messageRate' | 'pageRate'> {
  return {
    messageRate: new RateRule(Math.max(10, Math.ceil(maxMessagesPerMinute / 4)), maxMessagesPerMinute),
    // Each `page` is a stored pageview: a much lower allowance than other messages.
    pageRate: new RateRule(Math.max(1, Math.ceil(maxPagesPerMinute / 4)), maxPagesPerMinute),
  };
}

/** What the upgrade request told about the client; the address is used in memory only. */
export interface ClientInfo {
  automated: boolean;
  /** The address group (client-address.ts addressGroup): the per-address socket count this socket is in. */
  group: string;
  /** Only kept for cookieless sites, whose guests they identify; '' otherwise. */
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

export class Connection extends GuardedSocket {
  // Set by open(), before the socket can emit anything (ws calls back with the socket synchronously).
  site!: Site;
  private deps!: ConnectionDeps;
  /** The address group this socket counts in, for the transport's per-address limit. */
  group = '';
  private automated = false;
  private viewer = false;
  private address = '';
  private userAgent = '';
  private page: OpenPage | undefined = undefined;
  private closed = false;
  /** The store writes in flight for this socket; undefined once they all settled. */
  private queue: Promise<void> | undefined = undefined;
  private helloTimer: NodeJS.Timeout | undefined = undefined;
  /** Rate limit states of all messages and of `page` messages (rate-limit.ts). */
  private messageAllowance = 0;
  private pageAllowance = 0;
  /** The hello's visitor id: a member whose session ends on this socket goes on as this guest. */
  private vid = '';
  /** Set while this socket's page sessions count as a member: who, and until when. */
  private membership: Membership | undefined = undefined;
  /** Hidden tabs stay online; they are counted apart as idle in headcount_hidden_sockets. */
  private visibility: Visibility = 'visible';
  /** Pages of the live view this socket receives; 0 when it is not subscribed. */
  private liveN = 0;
  /** Whether this socket receives the readers of its page. */
  private readersOn = false;
  alive = true;

  /** Starts the socket's life once ws made it: hello deadline and listeners. */
  open(site: Site, client: ClientInfo, deps: ConnectionDeps): void {
    this.site = site;
    this.deps = deps;
    this.group = client.group;
    this.automated = client.automated;
    this.viewer = client.viewer;
    this.address = client.address;
    this.userAgent = client.userAgent;
    this.helloTimer = setTimeout(helloExpired, deps.helloTimeoutMs, this);
    this.on('message', this.receive);
    this.on('pong', this.ponged);
    this.on('close', this.onClose);
  }

  helloTimedOut(): void {
    this.refuse(CloseCode.helloTimeout, 'hello_timeout', `no hello within ${this.deps.helloTimeoutMs} ms`);
  }

  protected listenerFailed(error: unknown): void {
    this.deps.listenerFailed(error, this.site);
  }

  private ponged(): void {
    this.alive = true;
  }

  private receive(data: RawData, isBinary: boolean): void {
    this.alive = true;
    if (this.closed) return;
    const { deps } = this;
    const allowance = deps.messageRate.take(this.messageAllowance, deps.clock());
    if (allowance < 0) return this.refuse(CloseCode.rateLimited, 'message_rate', `more than ${deps.maxMessagesPerMinute} messages per minute`);
    this.messageAllowance = allowance;
    if (isBinary) return this.refuse(CloseCode.badMessage, 'bad_message', 'binary frames are not part of the protocol');
    let message;
    try {
      message = parseClientMessage(data.toString());
    } catch (error) {
      if (error instanceof ProtocolError) return this.refuse(CloseCode.badMessage, 'bad_message', error.message);
      throw error;
    }
    if (message.t === 'page') {
      const pages = deps.pageRate.take(this.pageAllowance, deps.clock());
      if (pages < 0) return this.refuse(CloseCode.rateLimited, 'page_rate', `more than ${deps.maxPagesPerMinute} page messages per minute`);
      this.pageAllowance = pages;
    }
    deps.metrics.messagesReceived.inc({ type: message.t });
    this.enqueue(async () => {
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
          return message.on ? deps.broadcaster.subscribe(this.site, this) : deps.broadcaster.unsubscribe(this.site, this);
        case 'live':
          this.clearHelloTimer();
          return this.live(message);
        case 'readers':
          return this.readers(message.on);
      }
    }, (error) => {
      deps.logger.warn({ err: error, site: this.site.id }, 'page session failed');
      this.refuse(CloseCode.tryAgainLater, 'store_error', 'store unavailable, reconnect later');
    });
  }

  /** Runs `work` after the socket's earlier work; the queue is dropped once everything in it settled. */
  private enqueue(work: () => Promise<void> | void, failed: (error: unknown) => void): void {
    const queued: Promise<void> = (this.queue ?? Promise.resolve())
      .then(work)
      .catch(failed)
      .then(() => {
        if (this.queue === queued) this.queue = undefined;
      });
    this.queue = queued;
  }

  private async hello(hello: HelloMessage): Promise<void> {
    if (this.page) return this.refuse(CloseCode.badMessage, 'bad_message', 'hello sent twice');
    if (hello.site !== this.site.id) return this.refuse(CloseCode.wrongSite, 'wrong_site', 'hello site differs from the connection site');
    if (this.viewer) return this.refuse(CloseCode.forbidden, 'origin', 'origin not allowed for site pages: this socket may only watch');
    this.clearHelloTimer();
    this.vid = hello.vid;
    let identity = hello.vid;
    let kind: Kind = hello.bot || this.automated ? 'bot' : 'guest';
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
    if (hello.sub && !this.closed) this.deps.broadcaster.subscribe(this.site, this);
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
    return this.site.cookieless ? this.deps.cookieless(this.site, this.address, this.userAgent, now) : this.vid;
  }

  private async start(page: PageSession, report: PageReport): Promise<void> {
    const { store, held, clock } = this.deps;
    const site = this.site;
    const url = intern(pageUrlFor(site, { canonical: report.canon, location: report.url }));
    // Classified once, at the start of the page session: an SPA navigation's ref is the previous page (internal).
    const { source, host } = classifySource({ referrer: report.ref, ...utmOf(report.url), siteOrigins: site.origins });
    const meta = cleanPageMeta(report);
    // Arriving counts as input: a visible page starts engaged.
    const engaged = this.visibility !== 'hidden';
    const stale = held.get(site.id, page.psid);
    // The psid is claimed before the join, so nothing the older socket does now ends the session this join resumes.
    const inherited = stale !== undefined && stale !== this && stale.handOver(CloseCode.replaced, 'page session reconnected elsewhere');
    held.set(site.id, page.psid, this);
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
        page: { url, title: internOptional(meta.title), section: internOptional(meta.section), author: internOptional(meta.author) },
        source,
        referrerHost: internOptional(host),
        engaged,
      });
    } catch (error) {
      // A page session is registered only once stored: a refused join leaves no held entry and no leave
      // behind, except the end of a session the older socket had stored.
      if (held.release(site.id, page.psid, this)) {
        if (inherited && !this.deps.draining()) store.leave(this.site.id, page.psid, clock()).catch((err: unknown) => this.deps.logger.warn({ err, site: this.site.id }, 'leave failed'));
      }
      throw error;
    }
    // A newer socket (here, or on another instance) took the psid over meanwhile: it holds the session.
    if (held.get(site.id, page.psid) !== this) return;
    this.page = { psid: page.psid, identity: page.identity, kind: page.kind, url, engagement: startEngagement(now, engaged), reportedMs: 0 };
    // Closed while the join was in flight: the leave queued behind it ends the session.
    if (this.closed) return;
    if (this.readersOn) this.deps.subscriptions.watchReaders(site, this, url);
    this.deps.metrics.sessionsAdmitted.inc({ site: this.site.id });
    const welcome: WelcomeMessage = {
      t: 'welcome',
      psid: page.psid,
      resumed: page.kind !== 'bot' && !result.pageview,
      kind: page.kind,
      hb: this.deps.heartbeatIntervalMs,
    };
    if (page.kind === 'member') welcome.ticket = await issueTicket(this.site, this.membership!, page.psid, now, this.deps.ticketTtlMs);
    this.send(JSON.stringify(welcome));
  }

  /** Ends this socket's page session in the store with its last engaged time, unless a newer socket took it over. */
  private async leave(): Promise<void> {
    const page = this.dropPage();
    if (!page) return;
    if (!this.deps.held.release(this.site.id, page.psid, this)) return;
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
    if (this.readersOn) this.deps.subscriptions.unwatchReaders(this.site, this, page.url);
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
      if (this.liveN > 0) subscriptions.unsubscribeLive(this.site, this, this.liveN);
      this.liveN = 0;
      return;
    }
    if (!liveAccessAllowed(this.site, message.token, adminToken, this.deps.clock())) {
      return this.refuse(CloseCode.forbidden, 'live_token', 'live view of this site needs its read token');
    }
    if (this.liveN === message.n) return;
    if (this.liveN > 0) subscriptions.unsubscribeLive(this.site, this, this.liveN);
    this.liveN = message.n;
    subscriptions.subscribeLive(this.site, this, message.n);
  }

  /** The readers of this socket's own page, following its `page` messages. */
  private readers(on: boolean): void {
    const page = this.page;
    if (!page) return this.refuse(CloseCode.badMessage, 'bad_message', 'readers before hello');
    if (on === this.readersOn) return;
    this.readersOn = on;
    if (on) this.deps.subscriptions.watchReaders(this.site, this, page.url);
    else this.deps.subscriptions.unwatchReaders(this.site, this, page.url);
  }

  private refuse(code: number, reason: RejectReason, message: string): void {
    this.deps.metrics.sessionsRejected.inc({ reason });
    this.close(code, message);
  }

  // Also ws's own closes (frame errors, the close handshake's reply) come here; only the first one counts.
  override close(code?: number, reason?: string | Buffer): void {
    if (!this.closed) {
      this.closed = true;
      this.clearHelloTimer();
    }
    super.close(code, reason);
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
    this.deps.socketClosed(this);
    this.setVisibility('visible');
    this.closed = true;
    this.clearHelloTimer();
    this.deps.broadcaster.unsubscribe(this.site, this);
    if (this.liveN > 0) this.deps.subscriptions.unsubscribeLive(this.site, this, this.liveN);
    this.liveN = 0;
    if (this.readersOn && this.page) this.deps.subscriptions.unwatchReaders(this.site, this, this.page.url);
    this.readersOn = false;
    // Queued after any join in flight, so a socket that closes mid-hello still leaves.
    this.enqueue(() => (this.deps.draining() ? undefined : this.leave()), (error) => {
      this.deps.logger.warn({ err: error, site: this.site.id }, 'leave failed');
    });
  }
}

function helloExpired(connection: Connection): void {
  connection.helloTimedOut();
}
