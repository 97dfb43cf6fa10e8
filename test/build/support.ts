// Helpers of the build tests. Child processes of a running process, read from /proc:
// /proc/PID/task/TID/children lists the children each thread forked. tsx (the TypeScript loader of the tests) keeps its own esbuild service,
// forked by its loader thread; the server's code runs on the main thread (TID = PID).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // the thread or the child ended meanwhile
  }
}

/** Command lines of the children of `pid`: of its main thread only, or of all its threads. */
export function childCommands(pid: number, threads: 'main' | 'all'): string[] {
  const tids = threads === 'main' ? [String(pid)] : readdirSync(`/proc/${pid}/task`);
  const children = tids.flatMap((tid) => read(`/proc/${pid}/task/${tid}/children`).split(' ').filter(Boolean));
  return children.map((child) => read(`/proc/${child}/cmdline`).replaceAll('\0', ' ').trim()).filter(Boolean);
}

/** Polls until `pid` has no child matching `pattern` (a stopped child takes a moment to be reaped). */
export async function childrenMatching(pid: number, threads: 'main' | 'all', pattern: RegExp, waitMs = 3_000): Promise<string[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const found = childCommands(pid, threads).filter((command) => pattern.test(command));
    if (found.length === 0 || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Top-level node_modules entries of the production tree (what `npm ci --omit=dev` installs). */
export function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const names = Object.entries(lock.packages)
    .filter(([path, entry]) => path.startsWith('node_modules/') && !entry.dev)
    .map(([path]) => path.slice('node_modules/'.length).split('/node_modules/')[0]!);
  return [...new Set(names)];
}
