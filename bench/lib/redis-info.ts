// The bench's own client to the run's private redis-server: INFO commandstats snapshots and their
// differences (the bench's own INFO calls left out), and the PUBLISH of the push baseline.
import { readdirSync, readFileSync } from 'node:fs';
import { Redis } from 'ioredis';

export type CommandCounts = Record<string, number>;

export class BenchRedis {
  private readonly client: Redis;

  constructor(url: string) {
    this.client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  }

  async commandStats(): Promise<CommandCounts> {
    return (await this.commandCallsAndTime()).calls;
  }

  /** Calls per command and the microseconds Redis spent in each (a script's time includes its inner calls). */
  async commandCallsAndTime(): Promise<{ calls: CommandCounts; usec: CommandCounts }> {
    const text = await this.client.info('commandstats');
    const calls: CommandCounts = {};
    const usec: CommandCounts = {};
    for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
      calls[match[1]!] = Number(match[2]);
      usec[match[1]!] = Number(match[3]);
    }
    return { calls, usec };
  }

  /** INFO memory used_memory: bytes Redis holds for data and its own structures. */
  async usedMemory(): Promise<number> {
    return Number(/^used_memory:(\d+)/m.exec(await this.client.info('memory'))?.[1] ?? Number.NaN);
  }

  /** The redis-server's process id (INFO server), to read the CPU time it spends. */
  async processId(): Promise<number> {
    return Number(/^process_id:(\d+)/m.exec(await this.client.info('server'))?.[1]);
  }

  async version(): Promise<string> {
    return /^redis_version:(\S+)/m.exec(await this.client.info('server'))?.[1] ?? 'unknown';
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.client.publish(channel, message);
  }

  close(): void {
    this.client.disconnect();
  }
}

/** Calls made between two snapshots, per command, without the INFO calls that took the snapshots. */
export function commandsBetween(before: CommandCounts, after: CommandCounts): CommandCounts {
  const delta: CommandCounts = {};
  for (const [name, calls] of Object.entries(after)) {
    const made = calls - (before[name] ?? 0);
    if (made > 0 && name !== 'info') delta[name] = made;
  }
  return delta;
}

export function total(counts: CommandCounts): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

const LUA_DIR = new URL('../../src/store/redis/lua/', import.meta.url);

/**
 * Commands Headcount's Lua scripts call. commandstats counts a script's inner calls like any
 * other command, but they are work inside one EVALSHA, not requests: a command named here is taken
 * as script work (the store does not send these itself during joins and heartbeats).
 */
export function scriptCommands(): Set<string> {
  const names = new Set<string>();
  const files = readdirSync(LUA_DIR, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.lua'));
  if (files.length === 0) throw new Error(`no Lua scripts under ${LUA_DIR.pathname}`);
  for (const file of files) {
    // redis.call("X", ...), redis.pcall(...) and aliases such as `local rcall = redis.call`.
    for (const match of readFileSync(new URL(file, LUA_DIR), 'utf8').matchAll(/call\(\s*["']([A-Za-z]+)["']/g)) names.add(match[1]!.toLowerCase());
  }
  return names;
}

/** Splits counts into what clients sent (script calls and plain commands) and what scripts ran inside. */
export function bySender(counts: CommandCounts): { sent: CommandCounts; inScripts: CommandCounts } {
  const inner = scriptCommands();
  const sent: CommandCounts = {};
  const inScripts: CommandCounts = {};
  for (const [name, calls] of Object.entries(counts)) (inner.has(name) ? inScripts : sent)[name] = calls;
  return { sent, inScripts };
}
