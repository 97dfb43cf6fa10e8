// What the Redis store tests share: options for a store on a test redis-server, polling, a plain
// client to look at the keys, and a store in a child process that can be killed -9.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import type { RedisStoreOptions } from '../../../src/store/redis/redis-store.js';
import type { EngagementReport, JoinInput, Periods, Store } from '../../../src/store/store.js';
import type { RedisServer } from '../../support/redis-server.js';

export const PREFIX = 'hc';
export const SITE = 'news';
export const WINDOW = 30 * 60_000;
export const DAY: Periods = { day: '2026-11-26', month: '2026-11', hour: '2026-11-26T09+07:00', minute: '2026-11-26T09:41+07:00', yesterday: '2026-11-25' };
export const ARTICLE = 'https://news.example/a/1';
/** What a join reads unless a test says otherwise: one article, arrived directly, engaged. */
export const READING = { page: { url: ARTICLE }, source: 'direct', engaged: true } as const satisfies Partial<JoinInput>;

export function storeOptions(server: RedisServer, options: Partial<RedisStoreOptions> = {}): RedisStoreOptions {
  return { redis: { kind: 'url', url: server.url }, keyPrefix: PREFIX, sites: [SITE], presenceTtlMs: 30_000, visitWindowMs: WINDOW, clock: Date.now, ...options };
}

export async function waitFor(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Stands in for the transport, which keeps a store's open page sessions (heldBy): the joins that completed,
 * engaged as their last engage said, until they leave. Joins, engages and leaves go through it. */
export function transportFor(store: Store) {
  const open = new Map<string, JoinInput>();
  store.heldBy((site, now) => [...open.values()].filter((input) => input.site === site).map((input) => ({ ...input, now })));
  return {
    /** The sessions it lists, by psid: a test may leave one listed that the store no longer holds. */
    open,
    async join(input: JoinInput) {
      const result = await store.join(input);
      open.set(input.psid, input);
      return result;
    },
    async engage(site: string, psid: string, now: number, report: EngagementReport) {
      const input = open.get(psid);
      if (input !== undefined) open.set(psid, { ...input, engaged: report.engaged });
      await store.engage(site, psid, now, report);
    },
    async leave(site: string, psid: string, now: number) {
      open.delete(psid);
      await store.leave(site, psid, now);
    },
  };
}

/** A plain client for looking at and poking the server; its reconnect errors are expected noise. */
export function adminClient(server: RedisServer): Redis {
  return new Redis(server.url).on('error', () => {});
}

export async function allKeys(admin: Redis): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of admin.scanStream({ count: 100 })) keys.push(...(batch as string[]));
  return keys.sort();
}

// A store in a child process whose clock runs `offset` ms from the real one: it joins, reports its
// instance id and waits to be SIGKILLed.
const CRASHING_INSTANCE = `
const [moduleUrl, options, joins, offset] = JSON.parse(process.argv[1]);
const { createRedisStore } = await import(moduleUrl);
const clock = () => Date.now() + offset;
const store = await createRedisStore({ ...options, clock, logger: { warn() {} } });
for (const input of joins) await store.join({ ...input, now: clock() });
process.stdout.write(store.instanceId + '\\n');
`;

export interface CrashingInstance {
  readonly child: ChildProcess;
  readonly instanceId: string;
}

export async function startCrashingInstance(server: RedisServer, presenceTtlMs: number, joins: JoinInput[], offset = 0): Promise<CrashingInstance> {
  const moduleUrl = new URL('../../../src/store/redis/redis-store.ts', import.meta.url).href;
  const options = { redis: { kind: 'url', url: server.url }, keyPrefix: PREFIX, sites: [SITE], presenceTtlMs, visitWindowMs: WINDOW };
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CRASHING_INSTANCE, JSON.stringify([moduleUrl, options, joins, offset])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  assert.match(line.toString(), /^[0-9a-f-]{36}\n$/);
  return { child, instanceId: line.toString().trim() };
}
