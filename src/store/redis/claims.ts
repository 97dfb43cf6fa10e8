// This instance's latest claim of each psid it holds in Redis, per site. A claim is recorded when its join
// is sent, so a move notice that overtakes the join's reply is matched: the notice names a claim, and only
// the latest claim's socket is closed. It is also the index of what this instance holds (count, sites);
// the sessions themselves (page, source, engagement) are the transport's, read again on a resync.
export class Claims {
  private readonly bySite = new Map<string, Map<string, number>>();
  private lastClaim = 0;

  nextClaim(): number {
    return ++this.lastClaim;
  }

  /** Records the claim as the psid's latest, when its join is sent. */
  claim(site: string, psid: string, claim: number): void {
    let claims = this.bySite.get(site);
    if (claims === undefined) this.bySite.set(site, (claims = new Map()));
    claims.set(psid, claim);
  }

  /** The psid's latest claim, undefined once it left, moved away or its join failed. */
  latest(site: string, psid: string): number | undefined {
    return this.bySite.get(site)?.get(psid);
  }

  isLatest(site: string, psid: string, claim: number): boolean {
    return this.latest(site, psid) === claim;
  }

  /** A failed join's claim goes, unless a later join of the psid replaced it. */
  unclaim(site: string, psid: string, claim: number): void {
    if (this.isLatest(site, psid, claim)) this.bySite.get(site)!.delete(psid);
  }

  forget(site: string, psid: string): void {
    this.bySite.get(site)?.delete(psid);
  }

  count(site: string): number {
    return this.bySite.get(site)?.size ?? 0;
  }

  /** Sites this instance holds, or held, sessions in. */
  sites(): IterableIterator<string> {
    return this.bySite.keys();
  }

  /** After the farewell's reap: nothing is held any more, so no resync re-joins anything. */
  clear(): void {
    this.bySite.clear();
  }
}
