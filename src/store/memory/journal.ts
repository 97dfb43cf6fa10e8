// Durability for the embedded store: an append-only journal of operations, group-committed with
// fdatasync, folded into an atomically written snapshot when it grows large and on close.
// Files in dataDir: `lock` (the owner's pid), `snapshot.json`, `journal.ndjson` (one `[seq, record]` a line).
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { StoreLogger } from '../store.js';

/** The part of a pino logger the store uses. */

export interface JournalOptions<R> {
  readonly dataDir: string;
  /** Once the journal is this large (and at least as large as the last snapshot), the next batch goes into a new snapshot. */
  readonly limitBytes: number;
  readonly logger?: StoreLogger | undefined;
  /** Rebuilds the state from the last snapshot (undefined on a first start) and the records written after it. */
  restore(snapshot: unknown, records: R[]): void;
  /** The current state as plain data. Called synchronously, so it covers exactly the records appended so far. */
  snapshot(): unknown;
}

export interface JournalEntry<R> {
  readonly seq: number;
  readonly record: R;
}

const SNAPSHOT = 'snapshot.json';
const JOURNAL = 'journal.ndjson';
const LOCK = 'lock';
const SNAPSHOT_VERSION = 1;

/** Data directories locked by this process: its own pid in a lock file proves nothing about them. */
const held = new Set<string>();

interface Batch {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

function batch(): Batch {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** A rename or a new file is durable only once its directory is synced. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeAtomically(dir: string, name: string, text: string): Promise<void> {
  const temp = join(dir, `${name}.tmp`);
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, join(dir, name));
  await syncDir(dir);
}

function isAlive(pid: number): boolean {
  // Our own pid without an entry in `held` is a lock left by an earlier run (containers reuse pid 1).
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errorCode(err) === 'EPERM';
  }
}

function inUse(dir: string, pid: number): Error {
  return new Error(
    `data directory ${dir} is in use by process ${pid} (lock file ${join(dir, LOCK)}): ` +
      'only one Headcount process may use a data directory; stop the other one or set DATA_DIR to another directory',
  );
}

function notWritable(dir: string, err: unknown): Error {
  const reason = err instanceof Error ? err.message : String(err);
  return new Error(`data directory ${dir} cannot be written: ${reason}`, { cause: err });
}

/** Takes the directory's lock file (exclusive create); returns its release. */
async function lock(dir: string, logger: StoreLogger | undefined): Promise<() => Promise<void>> {
  if (held.has(dir)) throw inUse(dir, process.pid);
  const path = join(dir, LOCK);
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if (errorCode(err) !== 'EEXIST') throw notWritable(dir, err);
      const holder = Number.parseInt((await readText(path)) ?? '', 10);
      // A second EEXIST means another process took the stale lock first.
      if (isAlive(holder) || attempt > 0) throw inUse(dir, holder);
      logger?.warn({ dataDir: dir, pid: holder }, 'taking over the lock of a process that is gone');
      await rm(path, { force: true });
    }
  }
  held.add(dir);
  return async () => {
    held.delete(dir);
    await rm(path, { force: true });
  };
}

/**
 * Reads the journal's records in order. A damaged last line is what a crash mid-write leaves, so it
 * is dropped; a damaged line with records after it means the file itself is corrupt.
 */
export async function readJournal<R>(dataDir: string, logger?: StoreLogger): Promise<{ entries: JournalEntry<R>[]; bytes: number }> {
  const path = join(resolve(dataDir), JOURNAL);
  const text = (await readText(path)) ?? '';
  const lines = text.split('\n');
  const entries: JournalEntry<R>[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = undefined;
    }
    if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'object' && value[1] !== null) {
      entries.push({ seq: value[0], record: value[1] as R });
    } else if (lines.slice(i + 1).every((rest) => rest === '')) {
      logger?.warn({ path, line: i + 1 }, 'ignoring a torn last journal line (crash mid-write)');
    } else {
      throw new Error(`journal ${path} is damaged at line ${i + 1} and records follow it; restore it from a backup or cut it at that line`);
    }
  }
  return { entries, bytes: Buffer.byteLength(text) };
}

async function readSnapshot(dir: string): Promise<{ seq: number; state: unknown; bytes: number }> {
  const path = join(dir, SNAPSHOT);
  const text = await readText(path);
  if (text === undefined) return { seq: 0, state: undefined, bytes: 0 };
  let parsed: { version?: unknown; seq?: unknown; state?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch (err) {
    throw new Error(`snapshot ${path} is not valid JSON (it is written atomically, so the file was changed by hand or the disk is failing)`, { cause: err });
  }
  if (parsed.version !== SNAPSHOT_VERSION || typeof parsed.seq !== 'number') {
    throw new Error(`snapshot ${path} has an unknown format (version ${String(parsed.version)})`);
  }
  return { seq: parsed.seq, state: parsed.state, bytes: Buffer.byteLength(text) };
}

/** Locks dataDir, restores the state through `options.restore`, and returns the journal to append to. */
export async function openJournal<R>(options: JournalOptions<R>): Promise<Journal<R>> {
  const dir = resolve(options.dataDir);
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw notWritable(dir, err);
  }
  const release = await lock(dir, options.logger);
  let handle: FileHandle | undefined;
  try {
    const snapshot = await readSnapshot(dir);
    const { entries, bytes } = await readJournal<R>(dir, options.logger);
    // Records up to the snapshot's seq are in it already: a crash came between its rename and the truncate.
    const fresh = entries.filter((entry) => entry.seq > snapshot.seq);
    options.restore(snapshot.state, fresh.map((entry) => entry.record));
    handle = await open(join(dir, JOURNAL), 'a');
    await syncDir(dir);
    const seq = fresh.at(-1)?.seq ?? snapshot.seq;
    const journal = new Journal<R>(dir, handle, seq, snapshot.bytes, options, release);
    // Start from an empty journal: drops a torn tail and persists the sessions the restore ended.
    if (bytes > 0) await journal.compact();
    return journal;
  } catch (err) {
    await handle?.close();
    await release();
    throw err;
  }
}

export class Journal<R> {
  private lines: string[] = [];
  private batch: Batch | undefined;
  private flushing: Promise<void> | undefined;
  private size = 0;
  private failure: Error | undefined;

  constructor(
    private readonly dir: string,
    private readonly handle: FileHandle,
    private seq: number,
    /** Compacting only once the journal outgrows the snapshot keeps the rewriting linear in the writes. */
    private snapshotBytes: number,
    private readonly options: JournalOptions<R>,
    private readonly release: () => Promise<void>,
  ) {}

  /** Resolves once the record is on disk; records appended in one tick share one write and one fdatasync. */
  append(record: R): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    this.lines.push(`${JSON.stringify([++this.seq, record])}\n`);
    this.batch ??= batch();
    this.flushing ??= this.flush();
    return this.batch.promise;
  }

  /** Throws the write error that stopped the journal, if any: the state in memory is ahead of the disk. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  /** Writes what is pending and a final snapshot, then releases the file and the lock. */
  async close(): Promise<void> {
    try {
      while (this.flushing) await this.flushing;
      await this.compact();
    } finally {
      await this.handle.close();
      await this.release();
    }
  }

  /** Snapshot of the state as of the call (taken synchronously), then an empty journal. */
  async compact(): Promise<void> {
    const text = JSON.stringify({ version: SNAPSHOT_VERSION, seq: this.seq, state: this.options.snapshot() });
    await writeAtomically(this.dir, SNAPSHOT, text);
    await this.handle.truncate(0);
    await this.handle.datasync();
    this.size = 0;
    this.snapshotBytes = Buffer.byteLength(text);
  }

  private async flush(): Promise<void> {
    await nextTurn(); // let everything appended in this tick join the batch
    while (this.lines.length > 0) {
      const text = this.lines.join('');
      const current = this.batch!;
      this.lines = [];
      this.batch = undefined;
      try {
        this.check();
        // The snapshot is taken now, when the state matches the records up to this batch, so the
        // batch itself is made durable by the snapshot.
        if (this.size >= Math.max(this.options.limitBytes, this.snapshotBytes)) await this.compact();
        else await this.write(text);
        current.resolve();
      } catch (err) {
        this.failure ??= new Error(`journal in ${this.dir} stopped: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        current.reject(this.failure);
      }
    }
    this.flushing = undefined; // in the same synchronous step as the empty check, so no append is stranded
  }

  private async write(text: string): Promise<void> {
    await this.handle.appendFile(text);
    await this.handle.datasync();
    this.size += Buffer.byteLength(text);
  }
}
