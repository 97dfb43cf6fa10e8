// Every write the journal makes to DATA_DIR, behind one small interface so tests can make the disk
// fail (ENOSPC, EIO) on exactly the call they choose.
import { open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export interface FileOps {
  append(handle: FileHandle, text: string): Promise<void>;
  datasync(handle: FileHandle): Promise<void>;
  truncate(handle: FileHandle, length: number): Promise<void>;
  /** Replaces dir/name with text durably: written and synced under a temporary name, renamed, dir synced. */
  replace(dir: string, name: string, text: string): Promise<void>;
}

/** A rename or a new file is durable only once its directory is synced. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function replace(dir: string, name: string, text: string): Promise<void> {
  const temp = join(dir, `${name}.tmp`);
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, join(dir, name));
  } catch (err) {
    // A half-written copy would only hold space on a disk that is likely full already.
    await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDir(dir);
}

export const nodeFileOps: FileOps = {
  append: (handle, text) => handle.appendFile(text),
  datasync: (handle) => handle.datasync(),
  truncate: (handle, length) => handle.truncate(length),
  replace,
};
