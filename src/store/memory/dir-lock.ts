// One process per data directory: an exclusive lock on `DATA_DIR/lock` taken with the OS's own file
// locking (open-file-description locks on Linux, flock elsewhere). The kernel drops the lock when the
// holder exits in any way, kill -9 included, and it names no PID, so PID reuse (pid 1 in every
// container) and PID namespaces cannot fool it. The file is never deleted: deleting it would let a
// second process lock a new file while a third still holds the old one.
import { hostname } from 'node:os';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

const LOCK_FILE = 'lock';

/** Another process holds the data directory: a configuration error, not a crash. */
export class DataDirInUseError extends Error {
  constructor(readonly dataDir: string, holder: string) {
    super(
      `DATA_DIR ${dataDir} is in use by another Headcount process${holder === '' ? '' : ` (${holder})`}: ` +
        'only one process may use a data directory; stop the other one or set DATA_DIR to another directory',
    );
  }
}

export function notWritable(dir: string, err: unknown): Error {
  const reason = err instanceof Error ? err.message : String(err);
  return new Error(`data directory ${dir} cannot be written: ${reason}`, { cause: err });
}

async function holderOf(handle: FileHandle): Promise<string> {
  const text = await handle.readFile('utf8').catch(() => '');
  return text.trim().slice(0, 200);
}

/** Locks dir (which must exist) for this process; returns the release. */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  // Loaded here, not at start: a process on Redis never takes the lock, nor loads the native addon.
  const { tryLock, unlock } = await import('fs-native-extensions');
  let handle: FileHandle;
  try {
    // 'a+' creates the file when missing and never truncates what a holder wrote.
    handle = await open(join(dir, LOCK_FILE), 'a+');
  } catch (err) {
    throw notWritable(dir, err);
  }
  let locked: boolean;
  try {
    locked = tryLock(handle.fd);
  } catch (err) {
    await handle.close();
    throw new Error(`data directory ${dir} cannot be locked (its file system may not support locks): ${(err as Error).message}`, { cause: err });
  }
  if (!locked) {
    const holder = await holderOf(handle);
    await handle.close();
    throw new DataDirInUseError(dir, holder);
  }
  // For people only: who holds it. The lock itself is the kernel's, so a full disk must not stop the start.
  await handle
    .truncate(0)
    .then(() => handle.appendFile(`pid ${process.pid} on host ${hostname()} since ${new Date().toISOString()}\n`))
    .catch(() => undefined);
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    try {
      unlock(handle.fd);
    } finally {
      await handle.close();
    }
  };
}
