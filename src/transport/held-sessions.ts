// The page sessions this instance holds, by site and psid, so a reconnect finds the socket it replaces.
// Keyed by the psid string the session already keeps: no key string is built per session.
export class HeldSessions<T> {
  private readonly bySite = new Map<string, Map<string, T>>();

  get(site: string, psid: string): T | undefined {
    return this.bySite.get(site)?.get(psid);
  }

  set(site: string, psid: string, holder: T): void {
    let sessions = this.bySite.get(site);
    if (sessions === undefined) this.bySite.set(site, (sessions = new Map()));
    sessions.set(psid, holder);
  }

  /** The holders of a site's page sessions, for a store that re-joins them (after Redis reaped this instance). */
  holders(site: string): IterableIterator<T> {
    return this.bySite.get(site)?.values() ?? [].values();
  }

  /** Forgets the psid if `holder` holds it; says whether it did. */
  release(site: string, psid: string, holder: T): boolean {
    const sessions = this.bySite.get(site);
    if (sessions?.get(psid) !== holder) return false;
    sessions.delete(psid);
    return true;
  }
}
