// What a site's history costs Redis (the figures in docs/scaling.md): memory for a year of it (365
// days of hours and days, 12 months, 8 days of minutes; MEMORY USAGE of each key, summed), and the
// commands the history adds inside the join and leave scripts (INFO commandstats, inner calls counted).
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { bucketsBetween, type Period } from '../../src/audience/calendar-buckets.js';
import { periodsAt } from '../../src/calendar.js';
import { historyTarget } from '../../src/store/redis/history.js';
import { Keys } from '../../src/store/redis/keys.js';
import { type HistoryTarget, Scripts } from '../../src/store/redis/scripts.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

const ZONE = 'Asia/Ho_Chi_Minh';
const SITE = 'news';
const DAY_MS = 86_400_000;
const END = Date.UTC(2026, 10, 26, 17); // local midnight starting Nov 27
/** A mid-sized news site's bucket values, in the layout of lua/includes/history.lua. */
const VALUES: Record<Period, string> = {
  minute: '37 21 412 398 14 6',
  hour: '2210 1280 455 430 25 9',
  day: '41230 22875 512 480 32 12 1764124860000 0',
  month: '1236900 686250 640 600 40 15 1764124860000 0',
};
const SPANS: Record<Period, number> = { minute: 8 * DAY_MS, hour: 365 * DAY_MS, day: 365 * DAY_MS, month: 365 * DAY_MS };

describe('history costs in Redis', { timeout: 60_000 }, () => {
  let server: RedisServer;
  let client: Redis;
  const keys = new Keys('hc').site(SITE);

  before(async () => {
    server = await startRedisServer();
    client = new Redis(server.url);
  });

  after(async () => {
    client.disconnect();
    await server.stop();
  });

  it('a year of one site\'s history fits in 1 MB', async (t: TestContext) => {
    const usedMemory = async () => Number(/^used_memory:(\d+)/m.exec((await client.info('memory')) as string)![1]);
    const usedBefore = await usedMemory();
    const written: Partial<Record<Period, Set<string>>> = {};
    for (const period of ['minute', 'hour', 'day', 'month'] as const) {
      const hashes = (written[period] = new Set());
      const pipeline = client.pipeline();
      for (const bucket of bucketsBetween(END - SPANS[period], END, ZONE, period)) {
        const { hash, field } = keys.historyOf(period, bucket.key);
        hashes.add(hash);
        pipeline.hset(hash, field, VALUES[period]);
        if (period === 'minute' || period === 'hour') pipeline.expire(hash, 400 * 86_400, 'NX');
      }
      await pipeline.exec();
    }
    let total = 0;
    const parts: string[] = [];
    for (const [period, hashes] of Object.entries(written)) {
      let bytes = 0;
      for (const hash of hashes) bytes += Number(await client.call('MEMORY', 'USAGE', hash, 'SAMPLES', '0'));
      total += bytes;
      parts.push(`${period}s ${hashes.size} keys ${(bytes / 1024).toFixed(0)} KiB`);
    }
    const used = (await usedMemory()) - usedBefore;
    t.diagnostic(`history of one site for a year: ${(total / 1024).toFixed(0)} KiB by MEMORY USAGE (${parts.join(', ')}); used_memory grew ${(used / 1024).toFixed(0)} KiB`);
    assert.ok(total < 1024 * 1024, `${total} bytes`);
  });

  it('the join and leave scripts run a few more commands for the history', async (t: TestContext) => {
    const scripts = new Scripts(client);
    const base = Date.UTC(2026, 10, 26, 3);
    const calls = async () => {
      const text = (await client.info('commandstats')) as string;
      let sum = 0;
      for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (!['evalsha', 'eval', 'info', 'config'].includes(m[1]!)) sum += Number(m[2]);
      return sum;
    };
    const perPageview = async (label: string, history: (now: number) => HistoryTarget) => {
      const joins = 200;
      const psids = Array.from({ length: joins }, (_, i) => `${label}-${i}`);
      await client.config('RESETSTAT');
      for (const [i, psid] of psids.entries()) {
        const now = base + i * 1_000;
        await scripts.join({
          keys, replacedChannel: 'hc:replaced', site: SITE, instanceId: 'instance-1', psid, tag: `g:${psid}`, visitor: psid, claim: i, now,
          presenceTtlMs: 30_000, visitWindowMs: 1_800_000, periods: periodsAt(now, ZONE), resume: false, history: history(now),
          page: { url: `https://news.example/a/${i % 50}`, title: 'A title', section: 'News', source: 'search', host: 'www.google.com', engaged: true },
        });
      }
      const join = (await calls()) / joins;
      await client.config('RESETSTAT');
      for (const [i, psid] of psids.entries()) await scripts.leave(keys, 'instance-1', psid, base + joins * 1_000 + i, history(base + joins * 1_000));
      return { join, leave: (await calls()) / joins };
    };
    const without = await perPageview('plain', () => historyTarget(keys, undefined));
    const withHistory = await perPageview('history', (now) => historyTarget(keys, periodsAt(now, ZONE)));
    t.diagnostic(`commands per pageview without history: join ${without.join.toFixed(1)} + leave ${without.leave.toFixed(1)}; `
      + `with it: join ${withHistory.join.toFixed(1)} + leave ${withHistory.leave.toFixed(1)}`);
    assert.ok(withHistory.join - without.join <= 12, 'the join adds at most 12 commands');
    assert.ok(withHistory.leave - without.leave <= 10, 'the leave adds at most 10 commands');
  });
});
