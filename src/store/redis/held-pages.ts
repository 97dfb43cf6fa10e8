// The page sessions this instance holds in Redis, per site, with its latest claim of each psid: what a
// resync re-joins after the instance was reaped, and how a move notice is told from a stale one (it
// names a claim, and only the latest claim's socket is closed).
import type { Periods } from '../store.js';
import type { JoinPage } from './scripts.js';

export interface Held {
  readonly tag: string;
  readonly visitor: string;
  /** Only names the day/month keys of a resume; resumes count no pageview. */
  readonly periods: Periods;
  readonly claim: number;
  /** What a resume re-joins: the page, its source, and its engagement now. */
  readonly page: JoinPage | undefined;
}

export class HeldPages {
  private readonly held = new Map<string, Map<string, Held>>();
  private readonly claims = new Map<string, Map<string, number>>();
  private lastClaim = 0;

  nextClaim(): number {
    return ++this.lastClaim;
  }

  /** Records the claim as the psid's latest, when its join is sent. */
  claim(site: string, psid: string, claim: number): void {
    let claims = this.claims.get(site);
    if (claims === undefined) this.claims.set(site, (claims = new Map()));
    claims.set(psid, claim);
  }

  isLatest(site: string, psid: string, claim: number): boolean {
    return this.claims.get(site)?.get(psid) === claim;
  }

  /** A failed join's claim goes, unless a later join of the psid replaced it. */
  unclaim(site: string, psid: string, claim: number): void {
    if (this.isLatest(site, psid, claim)) this.claims.get(site)!.delete(psid);
  }

  hold(site: string, psid: string, held: Held): void {
    let sessions = this.held.get(site);
    if (sessions === undefined) this.held.set(site, (sessions = new Map()));
    sessions.set(psid, held);
  }

  get(site: string, psid: string): Held | undefined {
    return this.held.get(site)?.get(psid);
  }

  forget(site: string, psid: string): void {
    this.held.get(site)?.delete(psid);
    this.claims.get(site)?.delete(psid);
  }

  count(site: string): number {
    return this.held.get(site)?.size ?? 0;
  }

  /** Sites this instance holds, or held, sessions in. */
  sites(): IterableIterator<string> {
    return this.held.keys();
  }

  /** A site's held sessions, each with the psid's latest claim, so a later move notice names the newest socket. */
  list(site: string): (Held & { psid: string })[] {
    const claims = this.claims.get(site);
    return [...(this.held.get(site) ?? [])].map(([psid, held]) => ({ psid, ...held, claim: claims?.get(psid) ?? held.claim }));
  }

  clear(): void {
    this.held.clear();
  }
}
