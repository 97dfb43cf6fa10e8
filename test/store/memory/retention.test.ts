// docs/privacy.md on the embedded store's disk: a daily salt is gone from DATA_DIR 48 hours after it
// was made, and a visitor id one visit window after its last page closed (plus at most the snapshot
// interval, which is the visit window up to an hour), by scheduled snapshots driven by the store's clock.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { periodsAt } from '../../../src/calendar.js';
import { openMemoryStore } from '../../../src/store/memory/memory-store.js';
import { rawFiles } from '../../support/data-dir.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const WINDOW = 30 * MINUTE;
const DAY = periodsAt(Date.UTC(2026, 10, 26, 3), 'UTC');
const VISITOR = 'visitor-3f9c2a7e-retention';
/** The page every join here reads: these tests are about durability, not pages. */
const READING = { page: { url: 'https://memory.example/' }, source: 'direct', engaged: true } as const;

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within 5 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

it('forgets visitor ids after the visit window and salts after 48 hours, on disk too', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'headcount-retention-'));
  dirs.push(dir);
  const start = Date.UTC(2026, 10, 26, 3, 0, 0);
  let now = start;
  const store = await openMemoryStore({ dataDir: dir, visitWindowMs: WINDOW, clock: () => now, maintenanceIntervalMs: 10 });
  try {
    const salt = await store.dailySalt('s', DAY.day, now);
    await store.join({ site: 's', psid: 'page-1', identity: VISITOR, visitor: VISITOR, kind: 'guest', now, periods: DAY, ...READING });
    await store.leave('s', 'page-1', now);
    const contains = async (text: string) => (await rawFiles(dir)).includes(text);
    assert.ok(await contains(salt), 'the salt is on disk while it is in use');
    assert.ok(await contains(VISITOR), 'the visitor id is on disk within the visit window');

    now = start + WINDOW + MINUTE;
    await eventually(async () => !(await contains(VISITOR)), 'the visitor id leaves the disk once the visit window has passed');
    assert.ok(await contains(salt), 'the salt of the day is still needed');
    assert.equal(await store.dailySalt('s', DAY.day, now), salt);

    now = start + 48 * HOUR - MINUTE;
    await new Promise((resolve) => setTimeout(resolve, 50)); // a few snapshots run meanwhile
    assert.ok(await contains(salt), 'kept until its 48 hours are over');

    now = start + 48 * HOUR + MINUTE;
    await eventually(async () => !(await contains(salt)), 'the salt leaves the disk at 48 hours');
    const counts = await store.read('s', DAY);
    assert.equal(counts.pageviews.total, 1, 'the figures stay');
  } finally {
    await store.close();
  }
  const closed = await rawFiles(dir);
  assert.ok(!closed.includes(VISITOR) && !closed.includes('"salts":[["'), 'the final snapshot keeps neither');
});
