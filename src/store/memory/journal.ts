// Durability for the embedded store: an append-only journal of records, group-committed with
// fdatasync, folded into an atomically written snapshot when it grows large, on a schedule and on close.
// A record changes the state only once its batch is durable, so the state in memory is what a replay
// of the files gives. A failed write stops the journal: records are refused (a leave still takes
// effect in memory) until a fresh snapshot of the state can be written.
// Files in dataDir: `lock` (see dir-lock.ts), `snapshot.json`, `journal.ndjson` (one `[seq, record]` a line).
import { mkdir, open, readFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { StoreLogger } from '../store.js';
import { lockDataDir, notWritable } from './dir-lock.js';
import { nodeFileOps, syncDir, type FileOps } from './file-ops.js';

export interface JournalOptions<R> {
  readonly dataDir: string;
  /** Once the journal is this large (and at least as large as the last snapshot), a snapshot follows the batch. */
  readonly limitBytes: number;
  readonly logger?: StoreLogger | undefined;
  /** Rebuilds the state from the last snapshot (undefined on a first start) and the records written after it. */
  restore(snapshot: unknown, records: R[]): void;
  /** The current state as plain data. Called synchronously, so it covers exactly the records applied so far. */
  snapshot(): unknown;
  /** Told when writes start failing (with the error) and when they work again (undefined). */
  onHealth?(failure: Error | undefined): void;
  /** Tests swap in failing writes. */
  readonly files?: FileOps | undefined;
}

export interface JournalEntry<R> {
  readonly seq: number;
  readonly record: R;
}

interface Pending<R> {
  readonly record: R;
  apply(): unknown;
  /** Applied even when its write fails (a leave): then memory is ahead of the disk, never behind it. */
  readonly evenIfLost: boolean;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

const SNAPSHOT = 'snapshot.json';
const JOURNAL = 'journal.ndjson';
const SNAPSHOT_VERSION = 1;

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

function settle<R>(entry: Pending<R>): void {
  try {
    entry.resolve(entry.apply());
  } catch (err) {
    entry.reject(err instanceof Error ? err : new Error(String(err)));
  }
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
  const release = await lockDataDir(dir);
  let handle: FileHandle | undefined;
  try {
    const snapshot = await readSnapshot(dir);
    const { entries, bytes } = await readJournal<R>(dir, options.logger);
    // Records up to the snapshot's seq are in it already: a crash came between its rename and the truncate.
    const fresh = entries.filter((entry) => entry.seq > snapshot.seq);
    options.restore(snapshot.state, fresh.map((entry) => entry.record));
    handle = await open(join(dir, JOURNAL), 'a');
    await syncDir(dir);
    const seq = Math.max(entries.at(-1)?.seq ?? 0, snapshot.seq);
    const journal = new Journal<R>(dir, handle, seq, snapshot.bytes, options, release);
    // Start from an empty journal: drops a torn tail and persists the sessions the restore ended.
    if (bytes > 0) await journal.compact().catch((err: Error) => Promise.reject(notWritable(dir, err.cause ?? err)));
    return journal;
  } catch (err) {
    await handle?.close();
    await release();
    throw err;
  }
}

export class Journal<R> {
  private pending: Pending<R>[] = [];
  private flushing: Promise<void> | undefined;
  /** Writes and snapshots run one at a time, in order. */
  private chain: Promise<unknown> = Promise.resolve();
  private size = 0;
  private stopped: Error | undefined;
  private readonly files: FileOps;

  constructor(
    private readonly dir: string,
    private readonly handle: FileHandle,
    private seq: number,
    /** Compacting only once the journal outgrows the snapshot keeps the rewriting linear in the writes. */
    private snapshotBytes: number,
    private readonly options: JournalOptions<R>,
    private readonly release: () => Promise<void>,
  ) {
    this.files = options.files ?? nodeFileOps;
  }

  /** The write error that stopped the journal, until a snapshot succeeds again. */
  get failure(): Error | undefined {
    return this.stopped;
  }

  /**
   * Writes the record, then applies it (`apply` runs once the record is durable, in journal order)
   * and resolves with what `apply` returned. Records appended in one tick share one write and one
   * fdatasync. When the write fails the promise rejects and `apply` never runs, unless `evenIfLost`.
   */
  append<T>(record: R, apply: () => T, evenIfLost = false): Promise<T> {
    if (this.stopped) {
      if (evenIfLost) return new Promise<T>((resolve) => resolve(apply()));
      return Promise.reject(this.stopped);
    }
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ record, apply, evenIfLost, resolve: resolve as (value: unknown) => void, reject });
      this.kick();
    });
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

  /**
   * Snapshot of the state as of its turn (taken synchronously), then an empty journal. Its success
   * is what ends a failure: the files then hold the whole state in memory again.
   */
  compact(): Promise<void> {
    return this.exclusive(() => this.compactNow());
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.exclusive(async () => {
      try {
        await nextTurn(); // let everything appended in this tick join the batch
        while (this.pending.length > 0) {
          const batch = this.pending;
          this.pending = [];
          await this.writeBatch(batch);
        }
      } finally {
        this.flushing = undefined; // in the same synchronous step as the empty check, so no append is stranded
      }
    });
  }

  private async writeBatch(batch: Pending<R>[]): Promise<void> {
    if (this.stopped) return this.settleLost(batch);
    let text = '';
    for (const entry of batch) text += `${JSON.stringify([++this.seq, entry.record])}\n`;
    const before = this.size;
    try {
      await this.files.append(this.handle, text);
      await this.files.datasync(this.handle);
    } catch (err) {
      this.fail(err);
      this.settleLost(batch);
      // Best effort: a restart before the recovery must not replay records that were refused.
      await this.files.truncate(this.handle, before).catch(() => undefined);
      return;
    }
    this.size += Buffer.byteLength(text);
    for (const entry of batch) settle(entry);
    if (this.size >= Math.max(this.options.limitBytes, this.snapshotBytes)) await this.compactNow().catch(() => undefined);
  }

  private settleLost(batch: Pending<R>[]): void {
    for (const entry of batch) {
      if (entry.evenIfLost) settle(entry);
      else entry.reject(this.stopped!);
    }
  }

  private async compactNow(): Promise<void> {
    // Every record written so far is applied (apply runs right after its batch is durable), so the
    // state matches seq; records that failed took their seq too and are covered, never replayed.
    const text = JSON.stringify({ version: SNAPSHOT_VERSION, seq: this.seq, state: this.options.snapshot() });
    try {
      await this.files.replace(this.dir, SNAPSHOT, text);
      await this.files.truncate(this.handle, 0);
      await this.files.datasync(this.handle);
    } catch (err) {
      this.fail(err);
      throw this.stopped!;
    }
    this.size = 0;
    this.snapshotBytes = Buffer.byteLength(text);
    if (this.stopped) {
      this.stopped = undefined;
      this.options.logger?.warn({ dataDir: this.dir }, 'data directory writable again: snapshot written, journal resumed');
      this.options.onHealth?.(undefined);
    }
  }

  private fail(err: unknown): void {
    if (this.stopped) return;
    const reason = err instanceof Error ? err.message : String(err);
    this.stopped = new Error(`data directory ${this.dir} cannot be written (${reason}); joins are refused until it can`, { cause: err });
    this.options.logger?.warn({ dataDir: this.dir, err }, 'journal write failed: refusing joins, retrying with a snapshot');
    this.options.onHealth?.(this.stopped);
  }
}
