// Rate limits of one socket's messages: bursts (a hello, a few visibility flips) pass, floods do not.
// A token bucket kept as one number per socket, the time its allowance would be full again (the
// generic cell rate algorithm), so a socket holds a number, not a bucket object; 0 is a full bucket.
export class RateRule {
  private readonly intervalMs: number;
  private readonly toleranceMs: number;

  /** `burst` messages may come back to back; after that, `perMinute` a minute. */
  constructor(burst: number, perMinute: number) {
    this.intervalMs = 60_000 / perMinute;
    this.toleranceMs = (burst - 1) * this.intervalMs;
  }

  /** The state after a message at `now`, or -1 when it comes too soon (the state then stays as it was). */
  take(state: number, now: number): number {
    const full = Math.max(state, now);
    return full - now > this.toleranceMs ? -1 : full + this.intervalMs;
  }
}
