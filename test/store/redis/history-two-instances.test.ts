// Issue 12's history on two instances sharing one Redis: page sessions driven alternately on both, with
// one injectable clock, through two local days in America/New_York that take in two local midnights and
// the end of DST (01:00-02:00 on 2026-11-01 comes twice). Every join's result is checked against a model
// of the visit rules (a handover, a repeat and a resume count nothing; a new visit only after the 30-minute
// window), its periods against keys worked out here from the UTC offset, and every minute, hour, day and
// month bucket of the range, read from both instances, against the tally of what the joins counted.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { bucketsBetween, type Period } from '../../../src/audience/calendar-buckets.js';
import { periodsAt } from '../../../src/calendar.js';
import { createRedisStore, type RedisStore } from '../../../src/store/redis/redis-store.js';
import type { HistoryPoint, JoinInput, JoinResult } from '../../../src/store/store.js';
import { seededRandom } from '../../support/random.js';
import { PERSISTENT, type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { READING, SITE, storeOptions, WINDOW } from './harness.js';

const ZONE = 'America/New_York';
const SEED = Number(process.env.HC_SEED ?? 0x12_2026);
const PERIODS: readonly Period[] = ['minute', 'hour', 'day', 'month'];
/** 2026-10-31T22:00-04:00 to 2026-11-02T01:00-05:00: 28 hours. */
const START = Date.UTC(2026, 10, 1, 2, 0);
const END = Date.UTC(2026, 10, 2, 6, 0);
/** 02:00 EDT becomes 01:00 EST. */
const DST_END = Date.UTC(2026, 10, 1, 6, 0);

const pad = (n: number) => String(n).padStart(2, '0');

/** The keys of an instant worked out from New York's offset in this range alone, not from src/. */
function expectedKeys(at: number): Record<Period, string> {
  const offsetHours = at < DST_END ? -4 : -5;
  const wall = new Date(at + offsetHours * 3_600_000);
  const day = `${wall.getUTCFullYear()}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}`;
  const offset = `-0${-offsetHours}:00`;
  return {
    minute: `${day}T${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}${offset}`,
    hour: `${day}T${pad(wall.getUTCHours())}${offset}`,
    day,
    month: day.slice(0, 7),
  };
}

interface Open {
  readonly identity: string;
  holder: number;
}

describe('redis store history on two instances sharing Redis', { timeout: 60_000 }, () => {
  let server: RedisServer | undefined;
  let stores: RedisStore[] = [];

  afterEach(async () => {
    await Promise.all(stores.map((store) => store.close()));
    stores = [];
    await server?.stop();
  });

  it('counts per minute, hour, day and month what the joins counted, through midnights and a DST end, read alike from both', async () => {
    server = await startRedisServer(PERSISTENT);
    let now = START;
    const warnings: string[] = [];
    const options = storeOptions(server, {
      clock: () => now,
      periodsAt: (_site, at) => periodsAt(at, ZONE),
      logger: { warn: (obj, msg) => warnings.push(`${msg}: ${String((obj as { err?: unknown }).err)}`) },
    });
    stores = [await createRedisStore(options), await createRedisStore(options)];
    assert.notEqual(stores[0]!.instanceId, stores[1]!.instanceId);

    const random = seededRandom(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const context = () => `seed ${SEED}, at ${new Date(now).toISOString()}`;

    // The model: open page sessions and their holder, closed ones and when they left, identities'
    // open sessions and when each last went offline.
    const open = new Map<string, Open>();
    const closed = new Map<string, { identity: string; leftAt: number }>();
    const openOf = new Map<string, number>();
    const offlineAt = new Map<string, number>();
    const tally: Record<Period, Map<string, { pageviews: number; visits: number }>> = { minute: new Map(), hour: new Map(), day: new Map(), month: new Map() };
    const done = { joins: 0, newSessions: 0, repeats: 0, handovers: 0, resumes: 0, reusedAfterWindow: 0, leaves: 0, visits: 0, returnVisits: 0, pageviews: 0 };
    let n = 0;
    let alternate = 0;

    const join = async (on: number, psid: string, identity: string, want: JoinResult): Promise<void> => {
      const periods = periodsAt(now, ZONE);
      assert.deepEqual({ minute: periods.minute, hour: periods.hour, day: periods.day, month: periods.month }, expectedKeys(now), `periods, ${context()}`);
      const input: JoinInput = { site: SITE, psid, identity, visitor: identity, kind: 'guest', now, periods, ...READING };
      const result = await stores[on]!.join(input);
      assert.deepEqual(result, want, `join of ${psid} (${identity}) on instance ${on}, ${context()}`);
      done.joins++;
      if (result.pageview) done.pageviews++;
      if (result.visit) done.visits++;
      for (const period of PERIODS) {
        const counted = tally[period].get(periods[period]) ?? { pageviews: 0, visits: 0 };
        counted.pageviews += Number(result.pageview);
        counted.visits += Number(result.visit);
        tally[period].set(periods[period], counted);
      }
      if (!open.has(psid)) openOf.set(identity, (openOf.get(identity) ?? 0) + 1);
      closed.delete(psid);
      open.set(psid, { identity, holder: on });
    };

    /** What a new page session (or a closed one past the window) of `identity` counts. */
    const fresh = (identity: string): JoinResult => {
      const last = offlineAt.get(identity);
      const visit = (openOf.get(identity) ?? 0) === 0 && (last === undefined || last < now - WINDOW);
      if (visit && last !== undefined) done.returnVisits++;
      return { pageview: true, visit };
    };

    // Regulars come back often (within the window or after it); the rest are seldom seen twice.
    const regulars = Array.from({ length: 6 }, (_, i) => `regular-${i}`);
    const others = Array.from({ length: 60 }, (_, i) => `reader-${i}`);

    while (true) {
      now += 1_000 + Math.floor(random() * 300_000); // 1 s to 5 min, at any millisecond
      if (now >= END) break;
      const r = random();
      const openIds = [...open.keys()];
      const closedIds = [...closed.keys()];
      const resumable = closedIds.filter((psid) => closed.get(psid)!.leftAt >= now - WINDOW);
      const stale = closedIds.filter((psid) => closed.get(psid)!.leftAt < now - WINDOW);
      if (openIds.length > 0 && r < 0.15) {
        // The page reconnects: mostly to the other instance (a handover), sometimes to its holder.
        const psid = pick(openIds);
        const { identity, holder } = open.get(psid)!;
        const other = random() < 0.8;
        await join(other ? 1 - holder : holder, psid, identity, { pageview: false, visit: false });
        other ? done.handovers++ : done.repeats++;
      } else if (openIds.length > 0 && (r < 0.42 || openIds.length > 12)) {
        const psid = pick(openIds);
        const { identity, holder } = open.get(psid)!;
        await stores[holder]!.leave(SITE, psid, now);
        open.delete(psid);
        closed.set(psid, { identity, leftAt: now });
        const left = openOf.get(identity)! - 1;
        openOf.set(identity, left);
        if (left === 0) offlineAt.set(identity, now);
        done.leaves++;
      } else if (resumable.length > 0 && r < 0.55) {
        // A closed page session comes back within the window, on the other instance: no pageview.
        const psid = pick(resumable);
        const { identity } = closed.get(psid)!;
        await join(alternate++ % 2, psid, identity, { pageview: false, visit: false });
        done.resumes++;
      } else if (stale.length > 0 && r < 0.6) {
        // A closed page session's id comes back after the window: a new pageview.
        const psid = pick(stale);
        const { identity } = closed.get(psid)!;
        await join(alternate++ % 2, psid, identity, fresh(identity));
        done.reusedAfterWindow++;
      } else {
        const identity = random() < 0.5 ? pick(regulars) : pick(others);
        await join(alternate++ % 2, `psid-${++n}`, identity, fresh(identity));
        done.newSessions++;
      }
    }

    // The run had each kind of event enough times to matter.
    assert.ok(done.joins > 200 && done.joins < 800, `joins: ${JSON.stringify(done)}`);
    for (const name of ['handovers', 'repeats', 'resumes', 'reusedAfterWindow', 'returnVisits'] as const) assert.ok(done[name] >= 5, `${name}: ${JSON.stringify(done)}`);
    assert.ok(done.visits > 30 && done.visits < done.pageviews - 30, `visits and pageviews within visits: ${JSON.stringify(done)}`);

    const keysOf = (period: Period) => [...bucketsBetween(START, END, ZONE, period)].map((bucket) => bucket.key);
    const hours = keysOf('hour');
    assert.equal(hours.length, 28, 'one bucket per hour, the repeated one twice');
    assert.equal(hours.filter((key) => key.startsWith('2026-11-01T01')).join(' '), '2026-11-01T01-04:00 2026-11-01T01-05:00', 'the repeated hour is two buckets');
    for (const key of ['2026-11-01T01-04:00', '2026-11-01T01-05:00']) assert.ok(tally.hour.get(key)!.pageviews > 0, `pageviews in ${key}`);
    assert.equal(keysOf('minute').length, 28 * 60);
    assert.deepEqual(keysOf('day'), ['2026-10-31', '2026-11-01', '2026-11-02']);
    assert.ok(tally.day.get('2026-10-31')!.pageviews > 0 && tally.day.get('2026-11-02')!.pageviews > 0, 'both midnights crossed with pageviews on each side');
    assert.deepEqual(new Set([...tally.hour.keys()].filter((key) => !hours.includes(key))), new Set(), 'every counted hour is a bucket of the range');

    for (const period of PERIODS) {
      const keys = keysOf(period);
      const want = keys.map((key) => [key, tally[period].get(key)?.pageviews ?? 0, tally[period].get(key)?.visits ?? 0]);
      const read = await Promise.all(stores.map((store) => store.history(SITE, period, keys)));
      for (const [i, points] of read.entries()) {
        assert.equal(points.length, keys.length);
        assert.deepEqual(points.map((point, k) => [keys[k], point.pageviews, point.visits]), want, `${period} from instance ${i}`);
        const sum = (field: 'pageviews' | 'visits') => points.reduce((total, point: HistoryPoint) => total + point[field], 0);
        assert.deepEqual([sum('pageviews'), sum('visits')], [done.pageviews, done.visits], `${period} from instance ${i}: every pageview and visit once`);
      }
      assert.deepEqual(read[0], read[1], `${period}: both instances read the same points, peaks included`);
    }
    for (const store of stores) {
      const counts = await store.read(SITE, periodsAt(now, ZONE));
      assert.deepEqual([counts.pageviews.total, counts.visits.total], [done.pageviews, done.visits], 'the totals agree with the series');
    }
    assert.deepEqual(warnings, [], 'no store warnings');
  });
});
