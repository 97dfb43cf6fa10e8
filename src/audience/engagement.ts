// Engaged time of one page session, timed by the server. The tracker reports only changes: 'engaged' when the
// page is visible and there was input in the last 15 s, 'idle' otherwise (at once when the page is hidden).
// The server measures the time between changes with its own clock, so no message can claim a duration: engaged
// time never exceeds how long the session has been open.
// A class mutated in place, with three numbers: the transport's record of an open page extends it, so a held
// session keeps one object for its page and its engagement.

export type EngagementChange = 'engaged' | 'idle';

/** How long after the last input the tracker turns idle (the tracker's rule; here for documentation and tests). */
export const ENGAGED_WINDOW_MS = 15_000;
/** The tracker sends at most one change per this interval. */
export const CHANGE_INTERVAL_MS = 5_000;
/** Changes that may arrive back to back: the network can deliver two well-spaced changes together. */
const CHANGE_BURST = 2;
const CHANGE_TOLERANCE_MS = (CHANGE_BURST - 1) * CHANGE_INTERVAL_MS;
/** `since` of an idle session: server times are ms since the epoch, never negative. */
const IDLE = -1;

export class Engagement {
  /** When the open engaged span began (server clock), IDLE while idle. */
  private since: number;
  /** Engaged time of the ended spans that no report took yet. */
  private banked = 0;
  /** When the change allowance is full again: a token bucket as one time, as src/transport/rate-limit.ts keeps it. */
  private changesFullAt = 0;

  /** Starts at `now`, engaged at once or idle. */
  constructor(now: number, engaged = false) {
    this.since = engaged ? now : IDLE;
  }

  get engaged(): boolean {
    return this.since !== IDLE;
  }

  /** Engaged time not yet taken by a report, including the span still open. */
  engagedMsAt(now: number): number {
    return this.banked + this.openSpanAt(now);
  }

  /**
   * Applies one change message at server time `now`; says whether it came faster than the tracker may send
   * them (the transport may close the socket with 4429). A change beyond the allowance is refused, except a
   * turn to idle: honouring it can only lower the engaged time, and it is how a hidden page reports. A repeat
   * of the current state changes nothing but still uses the allowance (flood protection). A time that is not
   * a number changes nothing.
   */
  change(change: EngagementChange, now: number): boolean {
    if (!Number.isFinite(now)) return false;
    const full = Math.max(this.changesFullAt, now);
    const allowed = full - now <= CHANGE_TOLERANCE_MS;
    if (allowed) this.changesFullAt = full + CHANGE_INTERVAL_MS;
    if (change === 'idle') this.idle(now);
    else if (allowed && !this.engaged) this.since = now;
    return !allowed;
  }

  /** Ends the open span at `now`, whatever the allowance (a hidden page); says whether it was engaged. */
  idle(now: number): boolean {
    if (!this.engaged) return false;
    this.banked += this.openSpanAt(now);
    this.since = IDLE;
    return true;
  }

  /** Takes the engaged time not yet reported, up to `now`; the next report counts from here. */
  report(now: number): number {
    const ms = this.engagedMsAt(now);
    this.banked = 0;
    if (this.openSpanAt(now) > 0) this.since = now;
    return ms;
  }

  /** A clock that stepped back (or is not a number) ends the span where it began, never below. */
  private openSpanAt(now: number): number {
    return this.engaged && Number.isFinite(now) && now > this.since ? now - this.since : 0;
  }
}

/** Whether a message is a change this module understands (anything else is a protocol error for the transport). */
export function isEngagementChange(value: unknown): value is EngagementChange {
  return value === 'engaged' || value === 'idle';
}
