// The embedded store's pages on disk: page sessions, engagement changes and reports replay from the
// journal exactly, a snapshot keeps what later records need, day pages stay bounded in days and pages,
// and live page entries exist only while read (also after a crash). The semantics: test/store/contract-live.ts.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { periodsAt } from '../../../src/calendar.js';
import { readJournal } from '../../../src/store/memory/journal.js';
import { openMemoryStore, type MemoryStore, type MemoryStoreOptions, type StoreRecord } from '../../../src/store/memory/memory-store.js';
import { DAY_PAGES_KEEP_DAYS, DAY_PAGES_MAX, type JoinInput, type Periods } from '../../../src/store/store.js';
import { sources } from '../contract-live.js';

const MINUTE = 60_000;
const WINDOW = 30 * MINUTE;
const NOW = Date.UTC(2026, 10, 26, 3, 0, 0);
const DAY: Periods = periodsAt(Date.UTC(2026, 10, 26, 3), 'UTC');
const SITE = 'pages';
const A = 'https://news.example/a/1';
const B = 'https://news.example/a/2';

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'headcount-pages-'));
  tempDirs.push(dir);
  return dir;
}
after(() => Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true }))));

/** The files a crash would leave right now: a store closed later must not have written its final snapshot. */
async function crashCopy(dir: string): Promise<() => Promise<void>> {
  const names = ['journal.ndjson', 'snapshot.json'];
  const texts = await Promise.all(names.map((name) => readFile(join(dir, name), 'utf8').catch(() => undefined)));
  return async () => {
    await Promise.all(names.map((name, i) => (texts[i] === undefined ? rm(join(dir, name), { force: true }) : writeFile(join(dir, name), texts[i]!))));
  };
}

describe('memory store pages on disk', () => {
  const now = NOW;
  const open = (dataDir: string, extra: Partial<MemoryStoreOptions> = {}) => openMemoryStore({ dataDir, visitWindowMs: WINDOW, clock: () => now, ...extra });
  const input = (psid: string, identity: string, extra: Partial<JoinInput> = {}): JoinInput => ({
    site: SITE,
    psid,
    identity,
    visitor: identity,
    kind: 'guest',
    now,
    periods: DAY,
    page: { url: A },
    source: 'direct',
    engaged: true,
    ...extra,
  });

  async function readThrough(store: MemoryStore): Promise<void> {
    await store.join(input('a1', 'visitor-a', { page: { url: A, title: 'Bão số 9', section: 'Thời sự', author: 'An' }, source: 'search', referrerHost: 'www.google.com' }));
    await store.join(input('b1', 'visitor-b', { page: { url: B }, engaged: false }));
    await store.join(input('m1', 'member-1', { kind: 'member', visitor: 'visitor-c', page: { url: B }, source: 'social', referrerHost: 'zalo.me' }));
    await store.engage(SITE, 'a1', now, { engaged: false, engagedMs: 4_200, periods: DAY });
    await store.engage(SITE, 'b1', now, { engaged: true, engagedMs: 0, periods: DAY });
    await store.leave(SITE, 'm1', now, { engaged: false, engagedMs: 2_500, periods: DAY });
  }

  it('journals page sessions compactly and replays them, their engagement and their reports exactly', async () => {
    const dir = await tempDir();
    const store = await open(dir);
    await readThrough(store);
    const { entries } = await readJournal<StoreRecord>(dir);
    assert.deepEqual(
      entries.map(({ record }) => record),
      [
        { o: 'j', s: SITE, p: 'a1', t: 'g:visitor-a', n: now, d: DAY.day, m: DAY.month, mi: DAY.minute, hr: DAY.hour, u: A, ti: 'Bão số 9', se: 'Thời sự', au: 'An', c: 'search', h: 'www.google.com' },
        { o: 'j', s: SITE, p: 'b1', t: 'g:visitor-b', n: now, d: DAY.day, m: DAY.month, mi: DAY.minute, hr: DAY.hour, u: B, i: 1 },
        { o: 'j', s: SITE, p: 'm1', t: 'm:member-1', n: now, d: DAY.day, m: DAY.month, mi: DAY.minute, hr: DAY.hour, v: 'visitor-c', u: B, c: 'social', h: 'zalo.me' },
        { o: 'e', s: SITE, p: 'a1', i: 1, ms: 4_200, d: DAY.day },
        { o: 'e', s: SITE, p: 'b1' },
        { o: 'l', s: SITE, p: 'm1', n: now, ms: 2_500, d: DAY.day, k: [DAY.minute, DAY.hour, DAY.day, DAY.month] },
      ],
      'the usual values (direct, engaged) are left out',
    );
    const live = await store.live(SITE, 10);
    const dayPages = await store.dayPages(SITE, DAY.day, 10);
    const restore = await crashCopy(dir);
    await store.close();
    await restore();

    const replayed = await open(dir);
    try {
      assert.deepEqual(await replayed.dayPages(SITE, DAY.day, 10), dayPages);
      assert.deepEqual(dayPages, [
        { url: B, pageviews: 2, engagedSeconds: 2 },
        { url: A, title: 'Bão số 9', section: 'Thời sự', pageviews: 1, engagedSeconds: 4 },
      ]);
      assert.deepEqual(await replayed.live(SITE, 10), { engaged: 0, sources: sources(), referrers: [], pages: [] }, 'a restart ends the open sessions');
      assert.deepEqual(replayed.entryCounts().livePages, 0);
      // Resumes read their pages again, as they did before the crash.
      await replayed.join(input('a1', 'visitor-a', { page: { url: A, title: 'Bão số 9', section: 'Thời sự', author: 'An' }, source: 'search', referrerHost: 'www.google.com', engaged: false }));
      await replayed.join(input('b1', 'visitor-b', { page: { url: B } }));
      assert.deepEqual((await replayed.live(SITE, 10)).pages, live.pages);
      assert.deepEqual(await replayed.dayPages(SITE, DAY.day, 10), dayPages, 'resumes count no pageview');
    } finally {
      await replayed.close();
    }
  });

  it('adds engaged time reported after a snapshot to the page of a session the snapshot held open', async () => {
    const dir = await tempDir();
    const store = await open(dir, { journalLimitBytes: 1 }); // a snapshot after every batch
    await Promise.all([store.join(input('a1', 'visitor-a')), store.join(input('b1', 'visitor-b', { page: { url: B } }))]);
    // Written after that batch (the leave's batch waits for it); the leave's record is too small for another.
    await store.leave(SITE, 'b1', now, { engaged: false, engagedMs: 3_000, periods: DAY });
    const snapshot = JSON.parse(await readFile(join(dir, 'snapshot.json'), 'utf8')) as { state: { sites: [string, { open: unknown[] }][] } };
    assert.deepEqual(snapshot.state.sites[0]![1].open, [['a1', 'g:visitor-a', A], ['b1', 'g:visitor-b', B]]);
    assert.equal((await readJournal<StoreRecord>(dir)).entries.length, 1, 'the leave is in the journal only');
    const restore = await crashCopy(dir);
    await store.close();
    await restore();
    const replayed = await open(dir);
    try {
      assert.deepEqual(await replayed.dayPages(SITE, DAY.day, 10), [
        { url: B, pageviews: 1, engagedSeconds: 3 },
        { url: A, pageviews: 1, engagedSeconds: 0 },
      ]);
    } finally {
      await replayed.close();
    }
  });

  it(`keeps day pages ${DAY_PAGES_KEEP_DAYS} days and trims a day to its top ${DAY_PAGES_MAX} pages`, async () => {
    const dir = await tempDir();
    const store = await open(dir);
    // A popular page, then more than the max of pages read once each.
    for (let i = 0; i < 3; i++) await store.join(input(`hot-${i}`, `visitor-${i}`));
    const once = Math.ceil(DAY_PAGES_MAX * 1.1);
    await Promise.all(Array.from({ length: once }, (_, i) => store.join(input(`cold-${i}`, 'visitor-cold', { page: { url: `https://news.example/cold/${i}` } }))));
    assert.ok(store.entryCounts().dayPages <= Math.ceil(DAY_PAGES_MAX * 1.1), `trimmed (${store.entryCounts().dayPages} pages)`);
    const top = await store.dayPages(SITE, DAY.day, 2);
    assert.deepEqual(top[0], { url: A, pageviews: 3, engagedSeconds: 0 }, 'the most read page stays');

    for (let d = 1; d <= DAY_PAGES_KEEP_DAYS; d++) {
      await store.join(input(`day-${d}`, 'visitor-days', { periods: periodsAt(Date.UTC(2026, 10, 26 + d), 'UTC') }));
    }
    assert.deepEqual(await store.dayPages(SITE, DAY.day, 10), [], `the oldest day goes once ${DAY_PAGES_KEEP_DAYS} newer ones are kept`);
    assert.equal(store.entryCounts().dayPages, DAY_PAGES_KEEP_DAYS);
    await store.close();
    const reopened = await open(dir);
    assert.equal(reopened.entryCounts().dayPages, DAY_PAGES_KEEP_DAYS, 'the snapshot holds the day pages');
    await reopened.close();
  });

  it('holds a live page entry only while someone reads it', async () => {
    const store = await open(await tempDir(), { maxLivePages: 5 });
    try {
      await Promise.all(Array.from({ length: 2_000 }, (_, i) => store.join(input(`p-${i}`, `visitor-${i}`, { page: { url: `https://news.example/invented/${i}` }, referrerHost: `host-${i}.example` }))));
      assert.deepEqual([store.entryCounts().livePages, store.entryCounts().referrers], [6, 1_000 + 1], 'five pages and (other); the hosts bound and (other)');
      await Promise.all(Array.from({ length: 2_000 }, (_, i) => store.leave(SITE, `p-${i}`, now)));
      assert.deepEqual([store.entryCounts().livePages, store.entryCounts().referrers], [0, 0]);
    } finally {
      await store.close();
    }
  });

  it('replays a join journaled before pages were kept: counted, on no page', async () => {
    const dir = await tempDir();
    const old = { o: 'j', s: SITE, p: 'a1', t: 'g:visitor-a', n: now, d: DAY.day, m: DAY.month };
    await writeFile(join(dir, 'journal.ndjson'), `${JSON.stringify([1, old])}\n`);
    const store = await open(dir);
    try {
      assert.equal((await store.read(SITE, DAY)).pageviews.total, 1);
      assert.deepEqual(await store.dayPages(SITE, DAY.day, 10), []);
      assert.deepEqual(await store.join(input('a1', 'visitor-a')), { pageview: false, visit: false }, 'it resumes, on its page now');
      assert.deepEqual(await store.readers(SITE, [A]), [1]);
    } finally {
      await store.close();
    }
  });

  it('refuses an engagement report of a negative or fractional time', async () => {
    const store = await open(await tempDir());
    try {
      await store.join(input('a1', 'visitor-a'));
      for (const engagedMs of [-1, 1.5, Number.NaN]) {
        await assert.rejects(store.engage(SITE, 'a1', now, { engaged: true, engagedMs, periods: DAY }), RangeError);
        await assert.rejects(store.leave(SITE, 'a1', now, { engaged: true, engagedMs, periods: DAY }), RangeError);
      }
      assert.deepEqual(await store.readers(SITE, [A]), [1]);
    } finally {
      await store.close();
    }
  });
});
