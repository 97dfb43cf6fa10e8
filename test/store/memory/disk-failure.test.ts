// The embedded store on a failing disk (ENOSPC, EIO from the append, the fdatasync or the snapshot),
// through a wrapper over its file calls: a join whose write fails is refused and never counted, a
// leave takes effect at once, reads are marked stale, and the store recovers by itself once a
// snapshot can be written; nothing acknowledged is lost. The real process: disk-failure-process.test.ts.
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { periodsAt } from '../../../src/calendar.js';
import { nodeFileOps, type FileOps } from '../../../src/store/memory/file-ops.js';
import { openMemoryStore, type MemoryStore } from '../../../src/store/memory/memory-store.js';
import { toCounts } from '../../../src/stats.js';
import type { Periods } from '../../../src/store/store.js';

const NOW = Date.UTC(2026, 10, 26, 3, 0, 0);
const DAY: Periods = periodsAt(NOW, 'UTC');
const SITE = 'disk';
/** The page every join here reads: these tests are about durability, not pages. */
const READING = { page: { url: 'https://memory.example/' }, source: 'direct', engaged: true } as const;

type Op = keyof FileOps;

/** The real file calls, except those told to fail: for a while (`failing`) or the next n calls (`failNext`). */
class FaultyDisk {
  readonly failing = new Set<Op>();
  readonly failNext = new Map<Op, number>();
  readonly calls = new Map<Op, number>();
  code = 'ENOSPC';

  readonly files: FileOps = {
    append: (handle, text) => this.call('append', () => nodeFileOps.append(handle, text)),
    datasync: (handle) => this.call('datasync', () => nodeFileOps.datasync(handle)),
    truncate: (handle, length) => this.call('truncate', () => nodeFileOps.truncate(handle, length)),
    replace: (dir, name, text) => this.call('replace', () => nodeFileOps.replace(dir, name, text)),
  };

  /** What a full disk refuses: new data. Shrinking a file still works there. */
  fill(): void {
    for (const op of ['append', 'datasync', 'replace'] as const) this.failing.add(op);
  }

  private async call(op: Op, real: () => Promise<void>): Promise<void> {
    this.calls.set(op, (this.calls.get(op) ?? 0) + 1);
    const next = this.failNext.get(op) ?? 0;
    if (next > 0) this.failNext.set(op, next - 1);
    if (next > 0 || this.failing.has(op)) {
      // The data may well have reached the file before the error (EIO from fdatasync): write it first.
      if (op === 'append') await real();
      throw Object.assign(new Error(`${this.code}: injected failure, ${op}`), { code: this.code });
    }
    await real();
  }
}

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'headcount-disk-'));
  dirs.push(dir);
  return dir;
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within 5 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('memory store on a failing disk', () => {
  const now = NOW;
  const open = (dataDir: string, disk?: FaultyDisk) =>
    openMemoryStore({ dataDir, visitWindowMs: 30 * 60_000, clock: () => now, files: disk?.files, maintenanceIntervalMs: 10 });
  const join = (store: MemoryStore, psid: string) =>
    store.join({ site: SITE, psid, identity: `visitor-${psid}`, visitor: `visitor-${psid}`, kind: 'guest', now, periods: DAY, ...READING });
  const read = (store: MemoryStore) => store.read(SITE, DAY);
  const healthy = (store: MemoryStore) => store.ping().then(() => true, () => false);
  /** What a crash right now would leave: the files as they are, opened by a new store. */
  async function afterCrash(dir: string): Promise<{ pageviews: number; close(): Promise<void>; store: MemoryStore }> {
    const copy = await tempDir();
    // The store's maintenance may rename its snapshot's .tmp file while the copy lists and reads the
    // directory: a file gone mid-copy means the copy saw no one moment, so it is taken again.
    for (let attempt = 1; ; attempt++) {
      try {
        await cp(dir, copy, { recursive: true, force: true });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === 5) throw error;
        await rm(copy, { recursive: true, force: true });
      }
    }
    const store = await open(copy);
    return { pageviews: (await read(store)).pageviews.total, store, close: () => store.close() };
  }

  it('refuses and never counts a join whose write fails, marks reads stale, and recovers by itself', async () => {
    const dir = await tempDir();
    const disk = new FaultyDisk();
    const store = await open(dir, disk);
    const changed: string[] = [];
    store.onChange((site) => changed.push(site));
    await join(store, 'a');
    disk.fill();
    await assert.rejects(join(store, 'b'), (err: Error) => err.message.includes(`data directory ${dir} cannot be written (ENOSPC`));
    let counts = await read(store);
    assert.equal(counts.pageviews.total, 1, 'the refused join is not counted');
    assert.deepEqual(counts.online, { guest: 1, member: 0, bot: 0 });
    assert.equal(counts.stale, true);
    assert.equal(toCounts(SITE, counts, now).stale, true, 'the public figures say stale too');
    assert.ok(changed.length >= 2, 'listeners hear that the figures turned stale');
    await assert.rejects(store.ping(), /cannot be written/, 'not ready: /readyz answers 503');

    const appends = disk.calls.get('append');
    await assert.rejects(join(store, 'c'), /cannot be written/);
    assert.equal(disk.calls.get('append'), appends, 'refused at once, without trying the disk');
    await assert.rejects(store.setTotals(SITE, { visits: 5 }), /cannot be written/);
    await assert.rejects(store.dailySalt(SITE, DAY.day, now), /cannot be written/, 'a new salt cannot be kept');

    const during = await afterCrash(dir);
    assert.equal(during.pageviews, 1, 'a crash now replays only the acknowledged join');
    await during.close();

    disk.failing.clear();
    await eventually(() => healthy(store), 'the store recovers once the disk takes writes');
    counts = await read(store);
    assert.equal(counts.stale, undefined);
    assert.deepEqual(await join(store, 'b'), { pageview: true, visit: true }, 'b was never counted, so now it is a new pageview');
    assert.deepEqual(await join(store, 'c'), { pageview: true, visit: true });
    assert.equal((await read(store)).pageviews.total, 3);

    const crashed = await afterCrash(dir);
    assert.equal(crashed.pageviews, 3, 'every acknowledged join survives a crash after the recovery');
    await crashed.close();
    await store.close();
    const reopened = await open(dir);
    assert.equal((await read(reopened)).pageviews.total, 3);
    await reopened.close();
  });

  it('refuses a join whose fdatasync fails with EIO once, although its line reached the file', async () => {
    const dir = await tempDir();
    const disk = new FaultyDisk();
    disk.code = 'EIO';
    const store = await open(dir, disk);
    await join(store, 'a');
    disk.failNext.set('datasync', 1);
    const [b, c] = await Promise.allSettled([join(store, 'b'), join(store, 'c')]);
    assert.equal(b.status, 'rejected', 'both joins of the failed batch are refused');
    assert.equal(c.status, 'rejected');
    assert.equal((await read(store)).pageviews.total, 1);
    const during = await afterCrash(dir);
    assert.equal(during.pageviews, 1, 'the refused lines were cut from the journal');
    await during.close();

    await eventually(() => healthy(store), 'the store recovers');
    assert.deepEqual(await join(store, 'b'), { pageview: true, visit: true });
    assert.equal((await read(store)).pageviews.total, 2);
    await store.close();
    const reopened = await open(dir);
    assert.equal((await read(reopened)).pageviews.total, 2);
    await reopened.close();
  });

  it('takes a leave off the online count at once, whether its own write fails or the disk already did', async () => {
    const dir = await tempDir();
    const disk = new FaultyDisk();
    const store = await open(dir, disk);
    for (const psid of ['a', 'b', 'c']) await join(store, psid);
    disk.fill();
    // A leave in the batch whose write fails, next to a join that is refused.
    const [refused] = await Promise.allSettled([join(store, 'd'), store.leave(SITE, 'a', now)]);
    assert.equal(refused.status, 'rejected');
    assert.deepEqual((await read(store)).online, { guest: 2, member: 0, bot: 0 });
    await store.leave(SITE, 'b', now); // while the journal is stopped
    assert.deepEqual((await read(store)).online, { guest: 1, member: 0, bot: 0 });

    const during = await afterCrash(dir);
    assert.deepEqual((await read(during.store)).online, { guest: 0, member: 0, bot: 0 }, 'a restart ends every session anyway');
    assert.equal(during.pageviews, 3);
    assert.deepEqual(await join(during.store, 'a'), { pageview: false, visit: false }, 'and the page can resume');
    await during.close();

    disk.failing.clear();
    await eventually(() => healthy(store), 'the store recovers');
    assert.deepEqual((await read(store)).online, { guest: 1, member: 0, bot: 0 }, 'the leaves stay left after the recovery');
    await store.close();
  });

  it('stays refusing while the snapshot that would end the failure fails too, then recovers', async () => {
    const dir = await tempDir();
    const disk = new FaultyDisk();
    const store = await open(dir, disk);
    disk.fill();
    await assert.rejects(join(store, 'a'));
    const tried = () => (disk.calls.get('replace') ?? 0) >= 3;
    await eventually(async () => tried(), 'the store retries the snapshot');
    assert.equal(await healthy(store), false);
    disk.failing.clear();
    await eventually(() => healthy(store), 'the store recovers');
    assert.deepEqual(await join(store, 'a'), { pageview: true, visit: true });
    await store.close();
  });
});
