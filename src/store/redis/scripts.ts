// The Lua scripts in ./lua, registered with ioredis defineCommand: ioredis sends EVALSHA and
// falls back to EVAL on NOSCRIPT (empty script cache after a Redis restart or failover), in
// pipelines too. Each method here lays out KEYS and ARGV exactly as its file's header documents.
import { readFileSync } from 'node:fs';
import { SOURCES, type Source } from '../../audience/source.js';
import type { Periods } from '../store.js';
import type { RedisClient } from './connect.js';
import { PERIOD_TTL_SECONDS, type SiteKeys } from './keys.js';
import { pageLimits } from './live-pages.js';

/** Bump when a script's KEYS/ARGV layout changes, so a client never pairs old code with new Lua. */
const VERSION = 6;
const DEAD_PER_HEARTBEAT = 64;
/** A minute first recorded this long ago is over, even by a clock a minute behind: the heartbeat lists it for rollup. */
const ROLL_UP_AFTER_MS = 120_000;
const LUA_DIR = new URL('./lua/', import.meta.url);
/** Names the day keys of a leave with no engaged time to add: they are not touched. */
const NO_REPORT_DAY = '1970-01-01';

// bullmq-style includes: a line `--- @include "name"` is replaced by lua/includes/name.lua.
function source(file: string): string {
  return readFileSync(new URL(file, LUA_DIR), 'utf8').replace(/^--- @include "([\w-]+)"$/gm, (_, name: string) =>
    readFileSync(new URL(`includes/${name}.lua`, LUA_DIR), 'utf8'),
  );
}

// "-n": the script takes any number of keys, counted in its call.
const FILES = {
  join: 'join-15.lua',
  leave: 'leave-14.lua',
  engage: 'engage-10.lua',
  reap: 'reap-13.lua',
  forget: 'forget-2.lua',
  heartbeat: 'heartbeat-4.lua',
  migrate: 'migrate-5.lua',
  rollUp: 'rollup-n.lua',
  read: 'read-6.lua',
  setTotals: 'set-totals-2.lua',
  live: 'live-5.lua',
  dayPages: 'day-pages-2.lua',
  history: 'history-n.lua',
  importHistory: 'import-history-n.lua',
} as const;
const READ_ONLY: ReadonlySet<ScriptName> = new Set(['read', 'live', 'dayPages', 'history']);

type ScriptName = keyof typeof FILES;
type Command = (...args: (string | number)[]) => Promise<unknown>;

export interface JoinCall {
  readonly keys: SiteKeys;
  /** Channel of the notice to a page session's old holder when it moves here. */
  readonly replacedChannel: string;
  readonly site: string;
  readonly instanceId: string;
  readonly psid: string;
  /** "<k>:<identity>", k = g, m or b. */
  readonly tag: string;
  readonly visitor: string;
  /** This instance's number for this join, named in the move notice. */
  readonly claim: number;
  readonly now: number;
  readonly presenceTtlMs: number;
  readonly visitWindowMs: number;
  readonly periods: Periods;
  /** Re-joining a session this instance counted before it was reaped: never a pageview, never taken from another instance. */
  readonly resume: boolean;
  /** The page a guest or member reads; undefined for bots, who read no page. */
  readonly page?: JoinPage | undefined;
  readonly history: HistoryTarget;
}

/** Where a script records history, as lua/includes/history.lua takes it (history.ts historyTarget): the
 * pending minutes are in the online hash, which the scripts take anyway. */
export interface HistoryTarget {
  /** The minute's bucket key ("" for none: nothing recorded). */
  readonly args: readonly string[];
}

/** The reply of history-n.lua: each bucket's value, then the pending minutes, flat (key, figures, ...). */
export interface HistoryReply {
  readonly values: (string | null)[];
  readonly pending: string[];
}

export interface JoinPage {
  readonly url: string;
  readonly title?: string | undefined;
  readonly section?: string | undefined;
  readonly author?: string | undefined;
  readonly source: Source;
  /** "-" for none. */
  readonly host: string;
  readonly engaged: boolean;
}

/** The live pages' bounds and the names past them, as join-15.lua takes them. */
export interface PageLimits {
  readonly maxLivePages: number;
  readonly maxReferrers: number;
  readonly otherPage: string;
  readonly otherReferrer: string;
  readonly dayPagesTtlSeconds: number;
  readonly dayPagesMax: number;
  /** A day holding this many pages is trimmed back to dayPagesMax. */
  readonly dayPagesTrimAt: number;
}

/** The raw reply of live-5.lua: site figures, then referrers, then one array per page, each flat as the file documents. */
export type LiveReply = (string | null)[][];

export interface JoinReply {
  readonly pageview: boolean;
  readonly visit: boolean;
  /** This instance's presence entry was missing: it had been reaped. */
  readonly missing: boolean;
  /** A re-join found the page session held by another instance: it moved there. */
  readonly elsewhere: boolean;
}

/** The notice join-15.lua publishes when a page session moves away from instance `from`. */
export interface ReplacedNotice {
  readonly site: string;
  readonly psid: string;
  readonly from: string;
  readonly claim: number;
}

export interface HeartbeatReply {
  readonly missing: boolean;
  readonly dead: readonly string[];
  /** Minute bucket keys whose pending history is due for rollUp, oldest first. */
  readonly pendingMinutes: readonly string[];
}

export class Scripts {
  private readonly commands: Record<ScriptName, Command>;

  constructor(private readonly client: RedisClient, private readonly limits: PageLimits = pageLimits()) {
    const commands: Partial<Record<ScriptName, Command>> = {};
    for (const [name, file] of Object.entries(FILES) as [ScriptName, string][]) {
      const command = `hc_${name}_v${VERSION}`;
      client.defineCommand(command, {
        lua: source(file),
        numberOfKeys: file.endsWith('-n.lua') ? undefined : Number(/-(\d+)\.lua$/.exec(file)![1]),
        readOnly: READ_ONLY.has(name),
      });
      commands[name] = (client as unknown as Record<string, Command>)[command]!.bind(client);
    }
    this.commands = commands as Record<ScriptName, Command>;
  }

  private dayLimits(): number[] {
    return [this.limits.dayPagesTtlSeconds, this.limits.dayPagesMax, this.limits.dayPagesTrimAt];
  }

  async join(call: JoinCall): Promise<JoinReply> {
    const { keys, page } = call;
    const limits = this.limits;
    const reply = (await this.commands.join(
      keys.inst, keys.sess(call.instanceId), keys.holder, keys.who, keys.online, keys.memberVisitors, keys.recent,
      ...keys.livePages, keys.dayPages(call.periods.day), keys.dayPageInfo(call.periods.day),
      call.instanceId, call.psid, call.tag, call.visitor, call.now, call.presenceTtlMs, call.now - call.visitWindowMs,
      call.resume ? 1 : 0, call.claim, call.replacedChannel, call.site,
      page === undefined ? '' : `${page.engaged ? 1 : 0} ${page.source} ${page.host} ${page.url}`,
      page?.title ?? '', page?.section ?? '', page?.author ?? '',
      limits.maxLivePages, limits.maxReferrers, limits.otherPage, limits.otherReferrer, ...this.dayLimits(), ...call.history.args,
    )) as number[];
    return { pageview: reply[0] === 1, visit: reply[1] === 1, missing: reply[2] === 1, elsewhere: reply[3] === 1 };
  }

  /** `engaged`: engaged time not yet reported and the day it goes to. */
  async leave(keys: SiteKeys, instanceId: string, psid: string, now: number, history: HistoryTarget, engaged?: { day: string; ms: number }): Promise<boolean> {
    const day = engaged?.day ?? NO_REPORT_DAY;
    const reply = await this.commands.leave(
      keys.sess(instanceId), keys.holder, keys.who, keys.online, keys.memberVisitors, keys.recent,
      ...keys.livePages, keys.dayPages(day), keys.dayPageInfo(day),
      instanceId, psid, now, engaged?.ms ?? 0, ...this.dayLimits(), ...history.args,
    );
    return reply === 1;
  }

  /** Returns whether the page's live figures changed. */
  async engage(keys: SiteKeys, instanceId: string, psid: string, engaged: boolean, day: string, engagedMs: number): Promise<boolean> {
    const reply = await this.commands.engage(
      keys.holder, keys.who, ...keys.livePages, keys.dayPages(day), keys.dayPageInfo(day), instanceId, psid, engaged ? 1 : 0, engagedMs, ...this.dayLimits(),
    );
    return reply === 1;
  }

  /** Returns how many page sessions the reaped instance held. `ifExpired`: only when its presence expired by Redis's clock. */
  async reap(keys: SiteKeys, instanceId: string, now: number, ifExpired: boolean, history: HistoryTarget): Promise<number> {
    const reply = await this.commands.reap(
      keys.inst, keys.sess(instanceId), keys.holder, keys.who, keys.online, keys.memberVisitors, keys.recent,
      ...keys.livePages, instanceId, now, ifExpired ? 1 : 0, ...history.args,
    );
    return reply as number;
  }

  /** Drops a page session that moved to another instance from this instance's index. */
  async forget(keys: SiteKeys, instanceId: string, psid: string): Promise<void> {
    await this.commands.forget(keys.sess(instanceId), keys.holder, instanceId, psid);
  }

  /** Moves one batch of the site's version 5 data (migrate-5.lua); 0 once nothing is left. */
  async migrate(keys: SiteKeys, batch: number): Promise<number> {
    return (await this.commands.migrate(keys.recent, keys.legacySeen, keys.legacyLast, keys.legacyEngagedBy, keys.who, batch)) as number;
  }

  /** `visitCutoff`: now - the visit window; closed page sessions and identities older than it are dropped. */
  async heartbeat(keys: SiteKeys, instanceId: string, presenceTtlMs: number, now: number, visitCutoff: number, history: HistoryTarget): Promise<HeartbeatReply> {
    const [missing, dead, pendingMinutes] = (await this.commands.heartbeat(
      keys.inst, keys.recent, keys.online, keys.legacyHistoryPending,
      instanceId, presenceTtlMs, DEAD_PER_HEARTBEAT, visitCutoff, ...history.args, now, ROLL_UP_AFTER_MS,
    )) as [number, string[], string[]];
    return { missing: missing === 1, dead, pendingMinutes };
  }

  /** Flat values in the order read-6.lua documents; null for a missing field. */
  async read(keys: SiteKeys, periods: Periods): Promise<(string | null)[]> {
    return (await this.commands.read(
      keys.online, keys.tot, keys.day(periods.day), keys.month(periods.month), keys.peak, keys.day(periods.yesterday),
      periods.day, periods.month, periods.yesterday,
    )) as (string | null)[];
  }

  /** Sets lifetime totals as reads will show them (set-totals-2.lua); `fields`: visits and/or pageviews. */
  async setTotals(keys: SiteKeys, fields: Readonly<Record<string, number>>): Promise<void> {
    await this.commands.setTotals(keys.tot, keys.online, ...Object.entries(fields).flat());
  }

  /** Each bucket's value (lua/includes/history.lua), null for none, and the pending minutes of both pending hashes; `hashes`: each hash with its fields. */
  async history(keys: SiteKeys, hashes: ReadonlyMap<string, readonly string[]>): Promise<HistoryReply> {
    const fields = [...hashes.values()];
    const [values, flat] = (await this.commands.history(
      hashes.size + 2, keys.online, keys.legacyHistoryPending, ...hashes.keys(), ...fields.map((f) => f.length), ...fields.flat(),
    )) as [(string | null)[], string[]];
    return { values, pending: flat };
  }

  /** `minutes`: eleven arguments a minute, as rollup-n.lua takes them, with `hashes` their KEYS after the pending hashes and tot. */
  async rollUp(keys: SiteKeys, hashes: readonly string[], ttls: readonly [minutes: number, hours: number], minutes: readonly (string | number)[]): Promise<number> {
    return (await this.commands.rollUp(
      hashes.length + 3, keys.online, keys.legacyHistoryPending, keys.tot, ...hashes, ...ttls, PERIOD_TTL_SECONDS.day, PERIOD_TTL_SECONDS.month, ...minutes,
    )) as number;
  }

  /** `rows`: per bucket its hash's index in `hashes`, field, visits, pageviews, as import-history-n.lua takes them. */
  async importHistory(hashes: readonly string[], rows: readonly (string | number)[]): Promise<void> {
    await this.commands.importHistory(hashes.length, ...hashes, ...rows);
  }

  async live(keys: SiteKeys, mostPages: number, mostReferrers: number): Promise<LiveReply> {
    const [pages, meta, sources, , live, referrers] = keys.livePages;
    return (await this.commands.live(pages, meta, sources, live, referrers, mostPages, mostReferrers, ...SOURCES)) as LiveReply;
  }

  /** Each url's score in the live pages, null when nobody reads it. */
  async pageScores(keys: SiteKeys, urls: readonly string[]): Promise<(string | null)[]> {
    return this.client.zmscore(keys.livePages[0], ...urls);
  }

  /** Flat url, pageviews, title, section, engaged ms per page, as day-pages-2.lua documents. */
  async dayPages(keys: SiteKeys, day: string, limit: number): Promise<(string | null)[]> {
    return (await this.commands.dayPages(keys.dayPages(day), keys.dayPageInfo(day), limit)) as (string | null)[];
  }
}
