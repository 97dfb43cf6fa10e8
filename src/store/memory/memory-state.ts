// Every site's state in the embedded store, and the journal records that change it: replaying the
// records through the same code rebuilds the same state.
import type { JoinResult, Periods, StoreCounts } from '../store.js';
import { SiteState, type SiteSnapshot } from './site-state.js';

/** Journal records: enough to replay a mutation exactly (time and periods included). */
/** `v`: a member page's visitor id (a guest's is its identity). */
export type JoinRecord = { o: 'j'; s: string; p: string; t: string; n: number; d: string; m: string; v?: string };
export type LeaveRecord = { o: 'l'; s: string; p: string; n: number };
export type TotalsRecord = { o: 't'; s: string; v?: number | undefined; pv?: number | undefined };
export type SaltRecord = { o: 's'; s: string; d: string; v: string; n: number };
export type StoreRecord = JoinRecord | LeaveRecord | TotalsRecord | SaltRecord;

export interface StateSnapshot {
  lastAt: number;
  sites: [string, SiteSnapshot][];
}

export interface EntryCounts {
  open: number;
  closed: number;
  last: number;
  days: number;
  months: number;
}

/** Every site's state; a deterministic function of the records applied to it. */
export class MemoryState {
  private readonly sites = new Map<string, SiteState>();
  private readonly empty: SiteState;
  /** Time of the latest join or leave: a restart ends the sessions still open at this time. */
  private lastAt = 0;

  constructor(private readonly windowMs: number) {
    this.empty = new SiteState(windowMs);
  }

  join(record: JoinRecord): JoinResult | undefined {
    this.lastAt = Math.max(this.lastAt, record.n);
    return this.site(record.s).join(record.p, record.t, record.n, { day: record.d, month: record.m }, record.v);
  }

  leave(record: LeaveRecord): string | undefined {
    const site = this.sites.get(record.s);
    if (site === undefined) return undefined;
    this.lastAt = Math.max(this.lastAt, record.n);
    return site.leave(record.p, record.n);
  }

  setTotals(record: TotalsRecord): void {
    this.site(record.s).setTotals(record.v, record.pv);
  }

  read(site: string, periods: Periods): StoreCounts {
    return (this.sites.get(site) ?? this.empty).read(periods);
  }

  salt(site: string, day: string, now: number): string | undefined {
    return this.sites.get(site)?.salt(day, now);
  }

  addSalt(record: SaltRecord): boolean {
    return this.site(record.s).addSalt(record.d, { value: record.v, at: record.n });
  }

  leaveAll(now: number): void {
    for (const site of this.sites.values()) for (const psid of site.open.keys()) site.leave(psid, now);
  }

  /** The identity tag of an open page session, or undefined. */
  openTag(site: string, psid: string): string | undefined {
    return this.sites.get(site)?.open.get(psid);
  }

  siteIds(): string[] {
    return [...this.sites.keys()];
  }

  /** When the next salt is due to be deleted, if any. */
  saltExpiry(): number | undefined {
    let first: number | undefined;
    for (const site of this.sites.values()) {
      const at = site.saltExpiry();
      if (at !== undefined && (first === undefined || at < first)) first = at;
    }
    return first;
  }

  /** Forgets what has expired by `now` first, so a snapshot never writes it to disk again. */
  snapshot(now: number): StateSnapshot {
    for (const site of this.sites.values()) site.forget(now);
    return { lastAt: this.lastAt, sites: [...this.sites].map(([id, site]) => [id, site.snapshot()]) };
  }

  restore(snapshot: StateSnapshot | undefined, records: StoreRecord[]): void {
    if (snapshot !== undefined) {
      this.lastAt = snapshot.lastAt;
      for (const [id, site] of snapshot.sites) this.sites.set(id, SiteState.from(site, this.windowMs));
    }
    for (const record of records) {
      if (record.o === 'j') this.join(record);
      else if (record.o === 'l') this.leave(record);
      else if (record.o === 's') this.addSalt(record);
      else this.setTotals(record);
    }
    // Open sessions died with the previous process: end them so their pages can resume.
    this.leaveAll(this.lastAt);
  }

  entryCounts(): EntryCounts {
    const counts: EntryCounts = { open: 0, closed: 0, last: 0, days: 0, months: 0 };
    for (const site of this.sites.values()) {
      counts.open += site.open.size;
      counts.closed += site.closed.size;
      counts.last += site.last.size;
      counts.days += site.days.size;
      counts.months += site.months.size;
    }
    return counts;
  }

  private site(id: string): SiteState {
    let site = this.sites.get(id);
    if (site === undefined) {
      site = new SiteState(this.windowMs);
      this.sites.set(id, site);
    }
    return site;
  }
}
