// A socket admitted to a site, and the transport's bookkeeping of it apart from what its messages say
// (connection.ts): its flags, hello deadline, queue of store writes, refusals and socket errors. Handled
// in prototype methods, called with the socket as `this`: a held socket carries no closures of its own.
import type { RejectReason } from '../metrics/metrics.js';
import { CloseCode } from '../protocol.js';
import type { Site } from '../sites.js';
import type { ClientInfo, ConnectionDeps } from './connection-deps.js';
import { GuardedSocket } from './socket-guard.js';

/** Bits of SiteSocket.flags: one small integer holds all of a socket's booleans. */
export const Flag = {
  automated: 1,
  /** Admitted as Headcount's own page (the dashboard): it may only watch. */
  viewer: 2,
  closed: 4,
  /** Receives the readers of its page. */
  readersOn: 8,
  /** Hidden tabs stay online; they are counted apart as idle in headcount_hidden_sockets. */
  hidden: 16,
  /** Answered since the last ping. */
  alive: 32,
} as const;

export abstract class SiteSocket extends GuardedSocket {
  // Set by open(), before the socket can emit anything (ws calls back with the socket synchronously).
  site!: Site;
  protected deps!: ConnectionDeps;
  /** The address group this socket counts in, for the transport's per-address limit. */
  group = '';
  private flags: number = Flag.alive;
  /** The store writes in flight for this socket; undefined once they all settled. */
  private queue: Promise<void> | undefined = undefined;
  private helloTimer: NodeJS.Timeout | undefined = undefined;

  get alive(): boolean {
    return this.has(Flag.alive);
  }

  set alive(alive: boolean) {
    this.mark(Flag.alive, alive);
  }

  /** Starts the socket's life once ws made it: the hello deadline. */
  open(site: Site, client: ClientInfo, deps: ConnectionDeps): void {
    this.site = site;
    this.deps = deps;
    this.group = client.group;
    this.flags = Flag.alive | (client.automated ? Flag.automated : 0) | (client.viewer ? Flag.viewer : 0);
    this.helloTimer = setTimeout(helloExpired, deps.helloTimeoutMs, this);
  }

  helloTimedOut(): void {
    this.refuse(CloseCode.helloTimeout, 'hello_timeout', `no hello within ${this.deps.helloTimeoutMs} ms`);
  }

  protected listenerFailed(error: unknown): void {
    this.deps.listenerFailed(error, this.site);
  }

  protected override handle(event: string | symbol, args: unknown[]): boolean {
    if (event === 'pong') this.alive = true;
    else if (event === 'error') this.failed(args[0] as Error & { code?: string });
    else return false;
    return true;
  }

  private failed(error: Error & { code?: string }): void {
    const { metrics, logger } = this.deps;
    // Frame errors are the client's (ws has closed with 1009, 1002 or 1007 and a reason): counted, not logged.
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') metrics.sessionsRejected.inc({ reason: 'too_big' });
    else if (error.code?.startsWith('WS_ERR_')) metrics.sessionsRejected.inc({ reason: 'bad_message' });
    else logger.warn({ err: error, site: this.site.id }, 'socket error');
  }

  /** Runs `work` after the socket's earlier work; the queue is dropped once everything in it settled. */
  protected enqueue(work: () => Promise<void> | void, failed: (error: unknown) => void): void {
    const queued: Promise<void> = (this.queue ?? Promise.resolve())
      .then(work)
      .catch(failed)
      .then(() => {
        if (this.queue === queued) this.queue = undefined;
      });
    this.queue = queued;
  }

  protected refuse(code: number, reason: RejectReason, message: string): void {
    this.deps.metrics.sessionsRejected.inc({ reason });
    this.close(code, message);
  }

  // Also ws's own closes (frame errors, the close handshake's reply) come here; only the first one counts.
  override close(code?: number, reason?: string | Buffer): void {
    if (!this.has(Flag.closed)) {
      this.mark(Flag.closed, true);
      this.clearHelloTimer();
    }
    super.close(code, reason);
  }

  protected clearHelloTimer(): void {
    clearTimeout(this.helloTimer);
    this.helloTimer = undefined;
  }

  protected has(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }

  protected mark(flag: number, on: boolean): void {
    this.flags = on ? this.flags | flag : this.flags & ~flag;
  }
}

function helloExpired(socket: SiteSocket): void {
  socket.helloTimedOut();
}
