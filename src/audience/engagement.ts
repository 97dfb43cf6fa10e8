// Engaged time of one page session, timed by the server. The tracker reports only changes: 'engaged' when the
// page is visible and there was input in the last 15 s, 'idle' otherwise (at once when the page is hidden).
// The server measures the time between changes with its own clock, so no message can claim a duration: engaged
// time never exceeds how long the session has been open.

export type EngagementChange = 'engaged' | 'idle';

/** How long after the last input the tracker turns idle (the tracker's rule; here for documentation and tests). */
export const ENGAGED_WINDOW_MS = 15_000;
/** The tracker sends at most one change per this interval. */
export const CHANGE_INTERVAL_MS = 5_000;
/** Changes that may arrive back to back: the network can deliver two well-spaced changes together. */
const CHANGE_BURST = 2;

export interface EngagementState {
  readonly startedAt: number;
  readonly engaged: boolean;
  /** When the current engaged span began (server clock); meaningless while idle. */
  readonly engagedSince: number;
  /** Engaged time of the spans already ended. */
  readonly engagedMs: number;
  /** Changes allowed now (a token bucket refilled one per CHANGE_INTERVAL_MS, up to CHANGE_BURST). */
  readonly allowance: number;
  readonly checkedAt: number;
  /** Changes refused for coming too fast, over the session. */
  readonly violations: number;
  readonly closed: boolean;
}

export interface EngagementStep {
  readonly state: EngagementState;
  /** The change came faster than the tracker may send them: the transport may close the socket with 4429. */
  readonly rateLimited: boolean;
}

export function startEngagement(now: number, engaged = false): EngagementState {
  return { startedAt: now, engaged, engagedSince: now, engagedMs: 0, allowance: CHANGE_BURST, checkedAt: now, violations: 0, closed: false };
}

/** A clock that stepped back (or a caller's mistake) must not make time negative. */
function clamp(state: EngagementState, now: number): number {
  return Number.isFinite(now) ? Math.max(now, state.checkedAt, state.engagedSince) : state.checkedAt;
}

/** Engaged time so far, including the span still open. */
export function engagedMsAt(state: EngagementState, now: number): number {
  if (!state.engaged || state.closed) return state.engagedMs;
  return state.engagedMs + (clamp(state, now) - state.engagedSince);
}

/**
 * Applies one change message at server time `now`. A change beyond the allowance is refused and flagged,
 * except a turn to idle: honouring it can only lower the engaged time, and it is how a hidden page reports.
 * A repeat of the current state changes nothing but still uses the allowance (flood protection).
 */
export function applyChange(state: EngagementState, change: EngagementChange, now: number): EngagementStep {
  if (state.closed) return { state, rateLimited: false };
  const at = clamp(state, now);
  const allowance = Math.min(CHANGE_BURST, state.allowance + (at - state.checkedAt) / CHANGE_INTERVAL_MS);
  const allowed = allowance >= 1;
  const refill = { allowance: allowed ? allowance - 1 : allowance, checkedAt: at };
  if (!allowed) {
    const violations = state.violations + 1;
    if (change === 'idle' && state.engaged) {
      return { state: { ...state, ...refill, violations, engaged: false, engagedMs: engagedMsAt(state, at) }, rateLimited: true };
    }
    return { state: { ...state, ...refill, violations }, rateLimited: true };
  }
  if (change === 'engaged' && !state.engaged) return { state: { ...state, ...refill, engaged: true, engagedSince: at }, rateLimited: false };
  if (change === 'idle' && state.engaged) return { state: { ...state, ...refill, engaged: false, engagedMs: engagedMsAt(state, at) }, rateLimited: false };
  return { state: { ...state, ...refill }, rateLimited: false };
}

/** Whether a message is a change this module understands (anything else is a protocol error for the transport). */
export function isEngagementChange(value: unknown): value is EngagementChange {
  return value === 'engaged' || value === 'idle';
}

/** Ends the session at `now`: the open span counts up to here, later messages change nothing. */
export function closeEngagement(state: EngagementState, now: number): EngagementState {
  if (state.closed) return state;
  const at = clamp(state, now);
  return { ...state, engaged: false, engagedMs: engagedMsAt(state, at), checkedAt: at, closed: true };
}
