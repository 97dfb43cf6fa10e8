// The embedded store: the shared contract, then what only a store on local files must prove
// (kill -9 durability, torn journal lines, the lock, compaction, bounded memory). Processes sharing a
// data directory: dir-lock.test.ts; failing disks: disk-failure*.test.ts; retention: retention.test.ts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { periodsAt } from '../../../src/calendar.js';
import { DataDirInUseError } from '../../../src/store/memory/dir-lock.js';
import { readJournal } from '../../../src/store/memory/journal.js';
import { openMemoryStore, type MemoryStore, type MemoryStoreOptions, type StoreRecord } from '../../../src/store/memory/memory-store.js';
import { DAY_PAGES_KEEP_DAYS, type Periods } from '../../../src/store/store.js';
import { storeContract } from '../contract.js';

const MINUTE = 60_000;
const WINDOW = 30 * MINUTE;
const NOW = Date.UTC(2026, 10, 26, 3, 0, 0);
const DAY: Periods = periodsAt(NOW, 'UTC');
const NOTHING = { pageview: false, visit: false };
const SITE = 'memory';
/** The page every join here reads: these tests are about durability, not pages. */
const READING = { page: { url: 'https://memory.example/' }, source: 'direct', engaged: true } as const;
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const CRASH_WRITER = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'headcount-memory-'));
  tempDirs.push(dir);
  return dir;
}
after(() => Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true }))));

storeContract('memory', async () => {
  const dataDir = await tempDir();
  return {
    open: (options) => openMemoryStore({ ...options, dataDir }),
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
});

describe('memory store on disk', () => {
  let now = NOW;
  const open = (dataDir: string, extra: Partial<MemoryStoreOptions> = {}) =>
    openMemoryStore({ dataDir, visitWindowMs: WINDOW, clock: () => now, ...extra });
  const joinPage = (store: MemoryStore, psid: string, identity = `visitor-${psid}`, periods = DAY) =>
    store.join({ site: SITE, psid, identity, visitor: identity, kind: 'guest', now, periods, ...READING });
  const pageviews = async (store: MemoryStore) => (await store.read(SITE, DAY)).pageviews.total;

  it('loses no acknowledged join and counts none twice when killed -9 mid-stream', { timeout: 60_000 }, async () => {
    const dir = await tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', CRASH_WRITER, dir, String(NOW), DAY.day, DAY.month], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const acknowledged: string[] = [];
    createInterface({ input: child.stdout }).on('line', (psid) => {
      if (acknowledged.push(psid) === 300) child.kill('SIGKILL');
    });
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    assert.equal(signal, 'SIGKILL', `the crash writer ended by itself (code ${code}): ${stderr}`);
    assert.ok(acknowledged.length >= 300);

    await assert.rejects(stat(join(dir, 'snapshot.json')), 'no compaction ran, so the journal holds every join');
    const { entries } = await readJournal<StoreRecord>(dir);
    const journaled = new Set(entries.flatMap(({ record }) => (record.o === 'j' ? [record.p] : [])));
    for (const psid of acknowledged) assert.ok(journaled.has(psid), `acknowledged ${psid} is in the journal`);

    now = NOW + MINUTE;
    const store = await open(dir); // also takes over the dead child's lock
    try {
      const counts = await store.read('crash', DAY);
      assert.equal(counts.pageviews.total, journaled.size, 'every journaled join counted once');
      assert.ok(counts.pageviews.total >= acknowledged.length);
      assert.deepEqual(counts.online, { guest: 0, member: 0, bot: 0 });
      for (const psid of acknowledged) {
        const resumed = await store.join({ site: 'crash', psid, identity: 'anyone', visitor: 'anyone', kind: 'guest', now, periods: DAY, ...READING });
        assert.deepEqual(resumed, NOTHING, `${psid} resumes`);
      }
      assert.equal((await store.read('crash', DAY)).pageviews.total, journaled.size);
    } finally {
      await store.close();
      now = NOW;
    }
  });

  it('ignores a torn last journal line', async () => {
    const dir = await tempDir();
    const store = await open(dir);
    for (const psid of ['a', 'b', 'c']) await joinPage(store, psid);
    const journal = await readFile(join(dir, 'journal.ndjson'), 'utf8');
    await store.close();
    // What a crash mid-write leaves: the synced records, part of the next one, no newer snapshot.
    await rm(join(dir, 'snapshot.json'));
    await writeFile(join(dir, 'journal.ndjson'), `${journal}[4,{"o":"j","s":"mem`);

    const reopened = await open(dir);
    assert.equal(await pageviews(reopened), 3);
    assert.deepEqual(await joinPage(reopened, 'a'), NOTHING, 'a session of the replayed journal resumes');
    await joinPage(reopened, 'd');
    await reopened.close();
    const again = await open(dir);
    assert.equal(await pageviews(again), 4, 'the torn fragment did not swallow a later record');
    await again.close();
  });

  it('refuses a journal damaged before its last line, and releases the lock', async () => {
    const dir = await tempDir();
    const store = await open(dir);
    await joinPage(store, 'a');
    const journal = await readFile(join(dir, 'journal.ndjson'), 'utf8');
    await store.close();
    await writeFile(join(dir, 'journal.ndjson'), `not a record\n${journal}`);
    await assert.rejects(open(dir), /journal .*journal\.ndjson is damaged at line 1/);
    // Refused for the same reason again, not as "in use": the failed start let the lock go.
    await assert.rejects(open(dir), /journal .*journal\.ndjson is damaged at line 1/);
  });

  it('lets one store at a time use a data directory, whatever text the lock file holds', async () => {
    const dir = await tempDir();
    const store = await open(dir);
    await assert.rejects(open(dir), (err: Error) => err instanceof DataDirInUseError && err.message.startsWith(`DATA_DIR ${dir} is in use`));
    assert.match(await readFile(join(dir, 'lock'), 'utf8'), new RegExp(`^pid ${process.pid} on host `));
    await store.close();
    // What an old version or a crash leaves behind is no claim: only a live holder's OS lock is.
    for (const text of [`${process.pid}\n`, `${process.ppid}\n`, '1\n', '']) {
      await writeFile(join(dir, 'lock'), text);
      const next = await open(dir);
      await next.close();
    }
  });

  it('fails with the directory named when the data directory cannot be written', async () => {
    const file = join(await tempDir(), 'a-file');
    await writeFile(file, '');
    const dir = join(file, 'data');
    await assert.rejects(open(dir), (err: Error) => err.message.startsWith(`data directory ${dir} cannot be written`));
  });

  it('keeps the same counts through compaction', async () => {
    const dir = await tempDir();
    const store = await open(dir, { journalLimitBytes: 2048 });
    for (let wave = 0; wave < 15; wave++) {
      await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const psid = `p${wave}-${i}`;
          await joinPage(store, psid, `visitor-${i % 7}`);
          if (i % 2 === 0) await store.leave(SITE, psid, now);
        }),
      );
      now += MINUTE;
    }
    await store.setTotals(SITE, { visits: 1000 });
    const before = await store.read(SITE, DAY);
    assert.equal(before.pageviews.total, 300);
    await stat(join(dir, 'snapshot.json'));
    const { entries } = await readJournal<StoreRecord>(dir);
    assert.ok(entries.length < 100, `the journal was truncated on the way (${entries.length} records left of 451)`);
    await store.close();

    const reopened = await open(dir);
    const after = await reopened.read(SITE, DAY);
    assert.deepEqual({ ...after, online: before.online }, before);
    assert.deepEqual(after.online, { guest: 0, member: 0, bot: 0 });
    assert.deepEqual(await joinPage(reopened, 'p14-1'), NOTHING, 'a session open at close resumes');
    await reopened.close();
    now = NOW;
  });

  it('does not apply twice a journal left behind by a crash between snapshot and truncate', async () => {
    const dir = await tempDir();
    const store = await open(dir);
    for (const psid of ['a', 'b', 'c', 'd', 'e']) await joinPage(store, psid);
    const journal = await readFile(join(dir, 'journal.ndjson'), 'utf8');
    await store.close();
    await writeFile(join(dir, 'journal.ndjson'), journal);
    const reopened = await open(dir);
    assert.equal(await pageviews(reopened), 5);
    await reopened.close();
  });

  it('prunes resumable sessions, last activity and old buckets, so memory stays bounded', async () => {
    const dir = await tempDir();
    const store = await open(dir);
    await Promise.all(Array.from({ length: 100 }, (_, i) => joinPage(store, `old-${i}`)));
    await Promise.all(Array.from({ length: 100 }, (_, i) => store.leave(SITE, `old-${i}`, now)));
    assert.deepEqual(store.entryCounts(), { open: 0, closed: 100, last: 100, days: 1, months: 1, minutes: 1, hours: 1, livePages: 0, referrers: 0, dayPages: 1 });
    now += WINDOW + MINUTE;
    await joinPage(store, 'new');
    assert.deepEqual(store.entryCounts(), { open: 1, closed: 0, last: 1, days: 1, months: 1, minutes: 1, hours: 1, livePages: 1, referrers: 0, dayPages: 1 });

    await Promise.all(
      Array.from({ length: 800 }, (_, d) => {
        return joinPage(store, `day-${d}`, 'visitor', periodsAt(Date.UTC(2026, 0, 1) + d * 24 * 60 * MINUTE, 'UTC'));
      }),
    );
    const { days, months, dayPages } = store.entryCounts();
    assert.equal(days, 62);
    assert.equal(months, 25);
    assert.equal(dayPages, DAY_PAGES_KEEP_DAYS, 'one page a day, for the days kept');
    const latest = await store.read(SITE, periodsAt(Date.UTC(2028, 2, 10), 'UTC'));
    assert.deepEqual([latest.pageviews.today, latest.pageviews.month], [1, 10]);
    await store.close();
    now = NOW;
  });

  it('keeps a page online that rejoins while its leave is still being written', async () => {
    const store = await open(await tempDir());
    await joinPage(store, 'a');
    // Records are applied once durable: the rejoin must queue behind the leave, not read the old state.
    const [, rejoined] = await Promise.all([store.leave(SITE, 'a', now), joinPage(store, 'a')]);
    assert.deepEqual(rejoined, NOTHING, 'a resume');
    assert.deepEqual((await store.read(SITE, DAY)).online, { guest: 1, member: 0, bot: 0 });
    const [, left] = await Promise.all([joinPage(store, 'b'), store.leave(SITE, 'b', now)]);
    assert.equal(left, undefined);
    assert.deepEqual((await store.read(SITE, DAY)).online, { guest: 1, member: 0, bot: 0 }, 'a leave right behind its join ends it');
    await store.close();
  });

  it('keeps a throwing change listener away from the caller', async () => {
    const store = await open(await tempDir());
    const heard: string[] = [];
    store.onChange(() => {
      throw new Error('listener bug');
    });
    store.onChange((site) => heard.push(site));
    assert.deepEqual(await joinPage(store, 'a'), { pageview: true, visit: true });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(heard, [SITE]);
    await store.close();
  });
});

describe('memory store salts', () => {
  it('deletes a daily salt 48 hours after it was made', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'headcount-salt-'));
    let now = Date.UTC(2026, 10, 26);
    const store = await openMemoryStore({ dataDir, visitWindowMs: 30 * 60_000, clock: () => now });
    try {
      const salt = await store.dailySalt('s', '2026-11-26', now);
      now += 47 * 3_600_000;
      assert.equal(await store.dailySalt('s', '2026-11-26', now), salt);
      now += 2 * 3_600_000;
      assert.notEqual(await store.dailySalt('s', '2026-11-26', now), salt, 'a new salt once the old one is deleted');
    } finally {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
