// What a memory store's DATA_DIR holds, read the way a grep of the raw files would see it.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Every byte in the directory, joined. The store's maintenance may rename its snapshot's .tmp file
 * between the listing and the read: such a file is read as empty, since its bytes are now in
 * snapshot.json, which the listing also holds or the next call will.
 */
export async function rawFiles(dir: string): Promise<string> {
  const names = await readdir(dir);
  const texts = await Promise.all(names.map((name) => readFile(join(dir, name), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  })));
  return texts.join('\n');
}
