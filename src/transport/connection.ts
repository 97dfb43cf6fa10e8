// What one WebSocket's messages do: the hello, join/leave of its page session and its engagement,
// subscriptions to live counts, the live view and its page's readers. Store writes for one socket run one
// at a time, in arrival order (the queue of site-socket.ts, with the hello deadline and the socket's flags).
// A Connection is the socket itself (WebSocketServer's `WebSocket` class): it handles its events in
// prototype methods, with no listeners and no closures of its own.
import type { RawData } from 'ws';
import { periodsAt } from '../calendar.js';
import { liveAccessAllowed } from '../live-view.js';
import { issueTicket, MemberTokenError, verifyMemberToken, verifyTicket, type Membership } from '../members.js';
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
import type { JoinInput } from '../store/store.js';
import type { ClientInfo, ConnectionDeps } from './connection-deps.js';
import { OpenPage, type PageReport, type PageSession } from './open-page.js';
import { Flag, SiteSocket } from './site-socket.js';

/** The close reason of an eng flood: the tracker sends at most one change per 5 s (src/audience/engagement.ts). */
const ENG_RATE_REASON = 'more than one eng message per 5 s';

export class Connection extends SiteSocket {
  /** Cookieless sites only: the address and user agent that identify a guest, kept while a hello may still
   * need them (until the hello, and while a member's session may turn into a guest's). */
  private client: ClientInfo | undefined = undefined;
  private page: OpenPage | undefined = undefined;
  /** Rate limit states of all messages and of `page` messages (rate-limit.ts). */
  private messageAllowance = 0;
  private pageAllowance = 0;
  /** The hello's visitor id: a member whose session ends on this socket goes on as this guest. */
  private vid = '';
  /** Set while this socket's page sessions count as a member: who, and until when. */
  private membership: Membership | undefined = undefined;
  /** Pages of the live view this socket receives; 0 when it is not subscribed. */
  private liveN = 0;

  override open(site: Site, client: ClientInfo, deps: ConnectionDeps): void {
    super.open(site, client, deps);
    if (site.cookieless) this.client = client;
  }

  protected override handle(event: string | symbol, args: unknown[]): boolean {
    if (event === 'message') this.receive(args[0] as RawData, args[1] as boolean);
    else if (event === 'close') this.onClose();
    else return super.handle(event, args);
    return true;
  }

  private receive(data: RawData, isBinary: boolean): void {
    this.alive = true;
    if (this.has(Flag.closed)) return;
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
      if (this.has(Flag.closed)) return;
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

  private async hello(hello: HelloMessage): Promise<void> {
    if (this.page) return this.refuse(CloseCode.badMessage, 'bad_message', 'hello sent twice');
    if (hello.site !== this.site.id) return this.refuse(CloseCode.wrongSite, 'wrong_site', 'hello site differs from the connection site');
    if (this.has(Flag.viewer)) return this.refuse(CloseCode.forbidden, 'origin', 'origin not allowed for site pages: this socket may only watch');
    this.clearHelloTimer();
    this.vid = hello.vid;
    let identity = hello.vid;
    let kind: Kind = hello.bot || this.has(Flag.automated) ? 'bot' : 'guest';
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
    // Only a member's session can turn into a guest's later.
    if (this.membership === undefined) this.client = undefined;
    if (this.has(Flag.closed)) return;
    if (hello.vis) this.setVisibility(hello.vis);
    await this.start({ psid: hello.psid, identity, kind }, hello);
    if (hello.sub && !this.has(Flag.closed)) this.deps.broadcaster.subscribe(this.site, this);
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
      this.client = undefined;
    }
    await this.leave();
    return this.start({ psid: message.psid, identity, kind }, message);
  }

  /** A guest is the visitor id the page sent, or on cookieless sites a daily-salted hash of address and user agent. */
  private async guestIdentity(now: number): Promise<string> {
    const { client } = this;
    return client === undefined ? this.vid : this.deps.cookieless(this.site, client.address, client.userAgent, now);
  }

  private async start(session: PageSession, report: PageReport): Promise<void> {
    const { store, held, clock } = this.deps;
    const site = this.site;
    const stale = held.get(site.id, session.psid);
    // The psid is claimed before the join, so nothing the older socket does now ends the session this join resumes.
    const inherited = stale !== undefined && stale !== this && stale.handOver(CloseCode.replaced, 'page session reconnected elsewhere');
    held.set(site.id, session.psid, this);
    const now = clock();
    // Arriving counts as input: a visible page starts engaged.
    const page = new OpenPage(session, site, report, now, !this.has(Flag.hidden));
    let result;
    try {
      result = await store.join(page.joinAt(site, this.visitorOf(page), now));
    } catch (error) {
      // A page session is registered only once stored: a refused join leaves no held entry and no leave
      // behind, except the end of a session the older socket had stored.
      if (held.release(site.id, session.psid, this)) {
        if (inherited && !this.deps.draining()) store.leave(this.site.id, session.psid, clock()).catch((err: unknown) => this.deps.logger.warn({ err, site: this.site.id }, 'leave failed'));
      }
      throw error;
    }
    // A newer socket (here, or on another instance) took the psid over meanwhile: it holds the session.
    if (held.get(site.id, session.psid) !== this) return;
    this.page = page;
    // Closed while the join was in flight: the leave queued behind it ends the session.
    if (this.has(Flag.closed)) return;
    if (this.has(Flag.readersOn)) this.deps.subscriptions.watchReaders(site, this, page.url);
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
    const report = { engaged: false, engagedMs: page.report(now), periods: periodsAt(now, this.site.timeZone) };
    await this.deps.store.leave(this.site.id, page.psid, now, report);
  }

  /** Forgets the page session on this socket (and its readers subscription's page). */
  private dropPage(): OpenPage | undefined {
    const page = this.page;
    if (!page) return undefined;
    this.page = undefined;
    if (this.has(Flag.readersOn)) this.deps.subscriptions.unwatchReaders(this.site, this, page.url);
    return page;
  }

  /** Closes this socket without ending its page session, which a newer socket now holds; says whether it had one stored. */
  handOver(code: number, reason: string): boolean {
    const stored = this.dropPage() !== undefined;
    this.close(code, reason);
    return stored;
  }

  /** The page session as a join carries it at `now`, once stored: what a resync of the store re-joins. */
  openSession(now: number): JoinInput | undefined {
    const page = this.page;
    return page === undefined ? undefined : page.joinAt(this.site, this.visitorOf(page), now);
  }

  /** A guest's page is its visitor's; a member's or bot's is the visitor id of the hello. */
  private visitorOf(session: PageSession): string {
    return session.kind === 'guest' ? session.identity : this.vid;
  }

  /** An engagement change (an eng message), timed here; the store hears only real changes. */
  private async engage(on: boolean): Promise<void> {
    const page = this.page;
    if (!page) return this.refuse(CloseCode.badMessage, 'bad_message', 'eng before hello');
    const now = this.deps.clock();
    const wasEngaged = page.engaged;
    // The tracker sends at most one change per 5 s; the idle of a refused change still counts (it only lowers time)
    // and reaches the store with the leave.
    if (page.change(on ? 'engaged' : 'idle', now)) return this.refuse(CloseCode.rateLimited, 'message_rate', ENG_RATE_REASON);
    return this.report(page, wasEngaged, now);
  }

  /** A hidden page is idle at once, whatever the change allowance: visibility is not an eng message. */
  private hide(): Promise<void> | undefined {
    const page = this.page;
    if (!page) return undefined;
    const now = this.deps.clock();
    return page.idle(now) ? this.report(page, true, now) : undefined;
  }

  /** Tells the store of an engagement that changed, with the engaged time since the last report. */
  private async report(page: OpenPage, wasEngaged: boolean, now: number): Promise<void> {
    // Bots are never readers: their engagement is nobody's figure.
    if (page.engaged === wasEngaged || page.kind === 'bot') return;
    const report = { engaged: page.engaged, engagedMs: page.report(now), periods: periodsAt(now, this.site.timeZone) };
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
    if (on === this.has(Flag.readersOn)) return;
    this.mark(Flag.readersOn, on);
    if (on) this.deps.subscriptions.watchReaders(this.site, this, page.url);
    else this.deps.subscriptions.unwatchReaders(this.site, this, page.url);
  }

  private setVisibility(visibility: Visibility): void {
    const hidden = visibility === 'hidden';
    if (hidden === this.has(Flag.hidden)) return;
    this.mark(Flag.hidden, hidden);
    if (hidden) this.deps.metrics.hiddenSockets.inc();
    else this.deps.metrics.hiddenSockets.dec();
  }

  private onClose(): void {
    this.deps.socketClosed(this);
    this.setVisibility('visible');
    this.mark(Flag.closed, true);
    this.clearHelloTimer();
    this.deps.broadcaster.unsubscribe(this.site, this);
    if (this.liveN > 0) this.deps.subscriptions.unsubscribeLive(this.site, this, this.liveN);
    this.liveN = 0;
    if (this.has(Flag.readersOn) && this.page) this.deps.subscriptions.unwatchReaders(this.site, this, this.page.url);
    this.mark(Flag.readersOn, false);
    // Queued after any join in flight, so a socket that closes mid-hello still leaves.
    this.enqueue(() => (this.deps.draining() ? undefined : this.leave()), (error) => {
      this.deps.logger.warn({ err: error, site: this.site.id }, 'leave failed');
    });
  }
}
