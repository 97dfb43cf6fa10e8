// The Lua scripts in ./lua, registered with ioredis defineCommand: ioredis sends EVALSHA and
// falls back to EVAL on NOSCRIPT (empty script cache after a Redis restart or failover), in
// pipelines too. Each method here lays out KEYS and ARGV exactly as its file's header documents.
import { readFileSync } from 'node:fs';
import type { Periods } from '../store.js';
import type { RedisClient } from './connect.js';
import { PERIOD_TTL_SECONDS, type SiteKeys } from './keys.js';

/** Bump when a script's KEYS/ARGV layout changes, so a client never pairs old code with new Lua. */
const VERSION = 2;
const DEAD_PER_HEARTBEAT = 64;
const LUA_DIR = new URL('./lua/', import.meta.url);

// bullmq-style includes: a line `--- @include "name"` is replaced by lua/includes/name.lua.
function source(file: string): string {
  return readFileSync(new URL(file, LUA_DIR), 'utf8').replace(/^--- @include "([\w-]+)"$/gm, (_, name: string) =>
    readFileSync(new URL(`includes/${name}.lua`, LUA_DIR), 'utf8'),
  );
}

const FILES = {
  join: 'join-12.lua',
  leave: 'leave-8.lua',
  reap: 'reap-9.lua',
  forget: 'forget-2.lua',
  heartbeat: 'heartbeat-1.lua',
  read: 'read-5.lua',
} as const;

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
}

export interface JoinReply {
  readonly pageview: boolean;
  readonly visit: boolean;
  /** This instance's presence entry was missing: it had been reaped. */
  readonly missing: boolean;
  /** A re-join found the page session held by another instance: it moved there. */
  readonly elsewhere: boolean;
}

/** The notice join-12.lua publishes when a page session moves away from instance `from`. */
export interface ReplacedNotice {
  readonly site: string;
  readonly psid: string;
  readonly from: string;
  readonly claim: number;
}

export interface HeartbeatReply {
  readonly missing: boolean;
  readonly dead: readonly string[];
}

export class Scripts {
  private readonly commands: Record<ScriptName, Command>;

  constructor(client: RedisClient) {
    const commands: Partial<Record<ScriptName, Command>> = {};
    for (const [name, file] of Object.entries(FILES) as [ScriptName, string][]) {
      const command = `hc_${name}_v${VERSION}`;
      client.defineCommand(command, {
        lua: source(file),
        numberOfKeys: Number(/-(\d+)\.lua$/.exec(file)![1]),
        readOnly: name === 'read',
      });
      commands[name] = (client as unknown as Record<string, Command>)[command]!.bind(client);
    }
    this.commands = commands as Record<ScriptName, Command>;
  }

  async join(call: JoinCall): Promise<JoinReply> {
    const { keys } = call;
    const reply = (await this.commands.join(
      keys.inst, keys.sess(call.instanceId), keys.holder, keys.who, keys.online, keys.memberVisitors, keys.seen, keys.last,
      keys.tot, keys.day(call.periods.day), keys.month(call.periods.month), keys.peak,
      call.instanceId, call.psid, call.tag, call.visitor, call.now, call.presenceTtlMs, call.now - call.visitWindowMs,
      PERIOD_TTL_SECONDS.day, PERIOD_TTL_SECONDS.month, call.resume ? 1 : 0, call.claim, call.replacedChannel, call.site,
    )) as number[];
    return { pageview: reply[0] === 1, visit: reply[1] === 1, missing: reply[2] === 1, elsewhere: reply[3] === 1 };
  }

  async leave(keys: SiteKeys, instanceId: string, psid: string, now: number): Promise<boolean> {
    const reply = await this.commands.leave(
      keys.sess(instanceId), keys.holder, keys.who, keys.online, keys.memberVisitors, keys.seen, keys.last, keys.peak, instanceId, psid, now,
    );
    return reply === 1;
  }

  /** Returns how many page sessions the reaped instance held. `ifExpired`: only when its presence expired by Redis's clock. */
  async reap(keys: SiteKeys, instanceId: string, now: number, ifExpired: boolean): Promise<number> {
    const reply = await this.commands.reap(
      keys.inst, keys.sess(instanceId), keys.holder, keys.who, keys.online, keys.memberVisitors, keys.seen, keys.last, keys.peak,
      instanceId, now, ifExpired ? 1 : 0,
    );
    return reply as number;
  }

  /** Drops a page session that moved to another instance from this instance's index. */
  async forget(keys: SiteKeys, instanceId: string, psid: string): Promise<void> {
    await this.commands.forget(keys.sess(instanceId), keys.holder, instanceId, psid);
  }

  async heartbeat(keys: SiteKeys, instanceId: string, presenceTtlMs: number): Promise<HeartbeatReply> {
    const [missing, ...dead] = (await this.commands.heartbeat(keys.inst, instanceId, presenceTtlMs, DEAD_PER_HEARTBEAT)) as [number, ...string[]];
    return { missing: missing === 1, dead };
  }

  /** Flat HMGET values in the order read-5.lua documents; null for a missing field. */
  async read(keys: SiteKeys, periods: Periods): Promise<(string | null)[]> {
    return (await this.commands.read(keys.online, keys.tot, keys.day(periods.day), keys.month(periods.month), keys.peak)) as (string | null)[];
  }
}
