// Two real service processes on one DATA_DIR: the second refuses to start (exit 2, DATA_DIR named),
// in the same PID namespace and in two new ones where both are pid 1 (what two containers on one
// volume are); a holder killed with -9 never blocks the next start; a refused start frees nothing.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { PageClient } from '../../support/page-client.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SERVICE = [process.execPath, '--import', 'tsx', 'src/main.ts'];
/** Each process in a new PID namespace of its own, as pid 1 (root only). */
const PID_NAMESPACE = ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child'];

const canUnshare = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child', 'true']).status === 0;

interface Run {
  child: ChildProcess;
  /** Signals the service itself: under unshare that is the child of the unshare process, which ignores SIGTERM. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Resolves with the port once listening, or with the exit code if it exits first. */
  started: Promise<{ port: number } | { code: number | null }>;
  exited: Promise<number | null>;
  output(): string;
}

function run(dataDir: string, prefix: readonly string[] = []): Run {
  const [command, ...args] = [...prefix, ...SERVICE];
  const child = spawn(command!, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = new Promise<{ port: number } | { code: number | null }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`neither listening nor exited within 20 s:\n${log}`)), 20_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const match = /Headcount listening on http:\/\/[^:]+:(\d+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve({ port: Number(match[1]) });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      resolve({ code });
    });
  });
  running.push(child);
  const kill = async (signal: NodeJS.Signals) => {
    if (prefix.length === 0) return void child.kill(signal);
    const children = await readFile(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8');
    process.kill(Number(children.trim().split(' ')[0]), signal);
  };
  return { child, kill, started, exited, output: () => log };
}

const running: ChildProcess[] = [];
const dirs: string[] = [];
after(async () => {
  // SIGKILL to unshare also ends its child (--kill-child).
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'headcount-lock-'));
  dirs.push(dir);
  return dir;
}

async function listening(process: Run): Promise<number> {
  const result = await process.started;
  assert.ok('port' in result, `the holder should start:\n${process.output()}`);
  return result.port;
}

async function refused(process: Run, dir: string): Promise<void> {
  const result = await process.started;
  assert.ok('code' in result, `a second process on ${dir} must not start:\n${process.output()}`);
  assert.equal(result.code, 2, process.output());
  assert.match(process.output(), new RegExp(`headcount: configuration error: DATA_DIR ${dir} is in use by another Headcount process`));
}

async function welcomed(port: number): Promise<void> {
  const page = await PageClient.open(`ws://127.0.0.1:${port}/ws`);
  assert.equal((await page.hello()).resumed, false);
  await page.close();
}

async function pageviews(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/api/sites/demo/stats`);
  return ((await res.json()) as { pageviews: { total: number } }).pageviews.total;
}

for (const [name, prefix] of [
  ['in one PID namespace', []],
  ['in two PID namespaces, both pid 1', PID_NAMESPACE],
] as const) {
  describe(`two service processes on one DATA_DIR, ${name}`, { skip: prefix.length > 0 && !canUnshare && 'unshare --pid needs root and util-linux' }, () => {
    it('refuses the second with exit code 2, and loses nothing the holder acknowledged', { timeout: 90_000 }, async () => {
      const dir = await dataDir();
      const holder = run(dir, prefix);
      const port = await listening(holder);
      for (let i = 0; i < 5; i++) await welcomed(port);
      await refused(run(dir, prefix), dir);
      // The refused start let go of nothing: a third one is refused too.
      await refused(run(dir, prefix), dir);
      for (let i = 0; i < 3; i++) await welcomed(port);
      await holder.kill('SIGTERM');
      assert.equal(await holder.exited, 0);

      const next = run(dir, prefix);
      const nextPort = await listening(next);
      assert.equal(await pageviews(nextPort), 8, 'every acknowledged pageview survives the restart');
      await next.kill('SIGTERM');
      assert.equal(await next.exited, 0);
    });

    it('starts at once after a holder killed with -9', { timeout: 90_000 }, async () => {
      const dir = await dataDir();
      const holder = run(dir, prefix);
      const port = await listening(holder);
      await welcomed(port);
      await holder.kill('SIGKILL');
      await holder.exited;
      assert.match(await readFile(join(dir, 'lock'), 'utf8'), /^pid \d+ on host /, 'the dead holder left its lock file');

      const next = run(dir, prefix);
      const nextPort = await listening(next);
      assert.equal(await pageviews(nextPort), 1);
      await next.kill('SIGTERM');
      assert.equal(await next.exited, 0);
    });
  });
}
