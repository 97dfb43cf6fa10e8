// The embedded store's history beyond the contract: the exact fill of buckets without changes (this store
// sees every join and leave), retention by the store's clock in memory and on disk, the journal replaying
// to the same series as the snapshot, and bad imports.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { bucketKey, type Period } from '../../../src/audience/calendar-buckets.js';
import { periodsAt } from '../../../src/calendar.js';
import { openMemoryStore, type MemoryStore, type MemoryStoreOptions } from '../../../src/store/memory/memory-store.js';
import type { HistoryPoint, Kind } from '../../../src/store/store.js';
import { rawFiles } from '../../support/data-dir.js';

const SECOND = 1_000;
const MINUTE = 60_000;
const DAY_MS = 86_400_000;
const ZONE = 'Australia/Lord_Howe';
const SITE = 'history';
const READING = { page: { url: 'https://memory.example/' }, source: 'direct', engaged: true } as const;

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'headcount-history-'));
  dirs.push(dir);
  return dir;
}

const online = (points: HistoryPoint[]) => points.map((point) => point.peak.online);

describe('memory store history', () => {
  let now = Date.UTC(2026, 9, 3, 14, 30); // 01:00 +10:30 on Oct 4 (Lord Howe), an hour before clocks go forward 30 minutes
  const open = (dataDir: string, extra: Partial<MemoryStoreOptions> = {}) =>
    openMemoryStore({ dataDir, visitWindowMs: 30 * MINUTE, clock: () => now, periodsAt: (_site, at) => periodsAt(at, ZONE), ...extra });
  const enter = (store: MemoryStore, psid: string, identity: string, kind: Kind = 'guest') =>
    store.join({ site: SITE, psid, identity, visitor: identity, kind, now, periods: periodsAt(now, ZONE), ...READING });
  const keys = (from: number, count: number, period: Period = 'minute') => Array.from({ length: count }, (_, i) => bucketKey(from + i * MINUTE, ZONE, period));

  it('fills buckets without changes with the figures that held, up to the minute being read now', async () => {
    const store = await open(await tempDir());
    const start = now;
    await enter(store, 'a', 'visitor-a');
    await enter(store, 'b', 'visitor-b');
    now = start + 5 * MINUTE + 10 * SECOND;
    await store.leave(SITE, 'b', now);
    now = start + 8 * MINUTE + 30 * SECOND;
    const points = await store.history(SITE, 'minute', keys(start, 10));
    assert.deepEqual(online(points), [2, 2, 2, 2, 2, 2, 1, 1, 1, 0], 'carried after the joins and the leave; the minute after now is zero');
    assert.deepEqual(points.map((point) => point.pageviews), [2, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    await store.close();
  });

  it('fills hours and days without changes, across the 30-minute change of Lord Howe', async () => {
    const store = await open(await tempDir());
    const start = now;
    await enter(store, 'a', 'visitor-a');
    now = start + 2 * DAY_MS;
    const hours = [...new Set(Array.from({ length: 6 }, (_, i) => bucketKey(start + i * 30 * MINUTE, ZONE, 'hour')))];
    assert.ok(hours.includes('2026-10-04T02+11:00'), `a half-hour bucket after the change (${hours.join(' ')})`);
    assert.deepEqual(online(await store.history(SITE, 'hour', hours)), hours.map(() => 1));
    const days = await store.history(SITE, 'day', ['2026-10-04', '2026-10-05', '2026-10-06', '2026-10-07']);
    assert.deepEqual(online(days), [1, 1, 1, 0], 'the day after today is zero');
    assert.deepEqual(days.map((point) => point.peakAt), [start, null, null, null]);
    await store.close();
  });

  it('forgets minutes and hours past their retention, in memory and on disk, and still carries who stayed online', async () => {
    const dir = await tempDir();
    const start = now;
    const store = await open(dir, { historyRetention: { minuteDays: 1, hourDays: 2 }, maintenanceIntervalMs: 10 });
    await enter(store, 'stays', 'visitor-stays');
    await enter(store, 'b', 'visitor-b');
    await store.leave(SITE, 'b', now);
    const oldMinute = bucketKey(start, ZONE, 'minute');
    const onDisk = () => rawFiles(dir);
    assert.ok((await onDisk()).includes(oldMinute), 'on disk while kept');
    now = start + DAY_MS + MINUTE;
    const [gone] = await store.history(SITE, 'minute', [oldMinute]);
    assert.deepEqual([gone!.pageviews, gone!.peak.online], [0, 0], 'read as zeros once past the retention');
    assert.equal((await store.history(SITE, 'hour', [bucketKey(start, ZONE, 'hour')]))[0]!.pageviews, 2, 'hours are kept longer');
    await enter(store, 'c', 'visitor-c');
    assert.equal(store.entryCounts().minutes, 1, 'the old minute left memory at the next change');
    now += 3 * 3_600_000;
    const deadline = Date.now() + 5_000;
    while ((await onDisk()).includes(oldMinute)) {
      assert.ok(Date.now() < deadline, 'the old minute left the disk with a scheduled snapshot');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    now = start + 3 * DAY_MS;
    const quiet = bucketKey(now - 10 * MINUTE, ZONE, 'minute');
    assert.deepEqual(online(await store.history(SITE, 'minute', [quiet])), [2], 'two still online, though every bucket of their joins is gone');
    await store.close();
  });

  it('replays its journal to the same history as its snapshot holds', async () => {
    const dir = await tempDir();
    // No snapshot on the way, so the journal holds every record. Bots are left out: they are never journaled.
    const store = await open(dir, { maintenanceIntervalMs: 3_600_000 });
    const start = now;
    for (let i = 0; i < 12; i++) {
      await enter(store, `p${i}`, `visitor-${i % 4}`, i % 3 === 2 ? 'member' : 'guest');
      now += 7 * MINUTE;
      if (i % 2 === 1) await store.leave(SITE, `p${i - 1}`, now);
    }
    await store.importHistory(SITE, 'day', [{ key: '2026-09-30', visits: 4, pageviews: 9 }]);
    for (let i = 0; i < 12; i++) await store.leave(SITE, `p${i}`, now);
    const journal = await readFile(join(dir, 'journal.ndjson'), 'utf8');
    const read = async (target: MemoryStore) =>
      Promise.all([
        target.history(SITE, 'minute', keys(start, 90)),
        target.history(SITE, 'hour', [...new Set(keys(start, 90, 'hour'))]),
        target.history(SITE, 'day', ['2026-09-30', '2026-10-04']),
        target.history(SITE, 'month', ['2026-09', '2026-10']),
      ]);
    const before = await read(store);
    await store.close();
    const fromSnapshot = await open(dir);
    assert.deepEqual(await read(fromSnapshot), before, 'from the snapshot');
    await fromSnapshot.close();
    const replayDir = await tempDir();
    await writeFile(join(replayDir, 'journal.ndjson'), journal);
    const replayed = await open(replayDir);
    assert.deepEqual(await read(replayed), before, 'from the journal alone');
    await replayed.close();
  });

  it('refuses a bad import or period with a clear error and writes nothing', async () => {
    const store = await open(await tempDir());
    const bad = [
      [{ key: '2026-13-01', visits: 1, pageviews: 1 }],
      [{ key: '2026-10-01', visits: -1, pageviews: 1 }],
      [{ key: '2026-10-01', visits: 1, pageviews: 1.5 }],
      [{ key: '2026-10', visits: 1, pageviews: 1 }],
    ];
    for (const rows of bad) await assert.rejects(store.importHistory(SITE, 'day', rows), RangeError);
    await assert.rejects(store.importHistory(SITE, 'week' as 'day', []), /period must be day or month/);
    await assert.rejects(store.history(SITE, 'year' as 'day', []), /unknown history period/);
    assert.equal((await store.history(SITE, 'day', ['2026-10-01']))[0]!.pageviews, 0);
    await store.close();
  });
});
