// The production build, as a fresh clone gets it: in a copy of the repository, `npm run build`, then
// `node dist/main.js` against a node_modules holding only the production dependencies (as the image's
// does), so an import of esbuild, tsx or typescript at run time fails the start. Defect 10 and issue 15.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { eventually, PageClient } from '../support/page-client.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { childrenMatching, productionPackages, ROOT } from './support.js';

const BUILD_INPUTS = ['package.json', 'package-lock.json', 'tsconfig.json', 'build.ts', 'src', 'client'];
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

interface Running {
  child: ChildProcess;
  url: string;
  output(): string;
}

/** A page says hello over the WebSocket and is counted: the transport and the store's join path. */
async function pageIsCounted(url: string): Promise<void> {
  const page = await PageClient.open(`${url.replace('http', 'ws')}/ws`);
  try {
    await page.hello();
    type Stats = { pageviews: { total: number } };
    const stats = await eventually(async () => (await (await fetch(`${url}/api/sites/demo/stats`)).json()) as Stats, (s) => s.pageviews.total === 1);
    assert.equal(stats.pageviews.total, 1);
  } finally {
    await page.close();
  }
}

function startCompiled(dir: string, env: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node dist/main.js did not listen within ${START_TIMEOUT_MS} ms:\n${log}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      log += chunk;
      const match = /Headcount listening on (http:\/\/[\d.]+:\d+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, output: () => log });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node dist/main.js exited with ${code} before listening:\n${log}`));
    });
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exit = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  const [code] = (await exit) as [number | null];
  clearTimeout(timer);
  return code;
}

describe('compiled build (npm run build, node dist/main.js)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'headcount-build-'));
  let redis: RedisServer | undefined;

  before(() => {
    for (const input of BUILD_INPUTS) cpSync(join(ROOT, input), join(dir, input), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const build = spawnSync('npm', ['run', 'build'], { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, npm_config_update_notifier: 'false' } });
    assert.equal(build.status, 0, `npm run build failed:\n${build.stdout}${build.stderr}`);
    // From here on only the production dependencies are there.
    rmSync(join(dir, 'node_modules'));
    for (const name of productionPackages()) {
      if (!existsSync(join(ROOT, 'node_modules', name))) continue;
      mkdirSync(dirname(join(dir, 'node_modules', name)), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
    }
  });
  after(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the server, the Redis scripts and the client files into dist/', () => {
    const dashboard = ['js', 'css'].flatMap((kind) => [`client/dashboard.${kind}`, `client/dashboard.${kind}.gz`, `client/dashboard.${kind}.sha256`]);
    for (const file of ['main.js', 'main.js.map', 'cli.js', 'client/t.js', 'client/t.js.gz', 'client/t.js.sha256', 'client/demo.html', ...dashboard]) {
      assert.ok(existsSync(join(dir, 'dist', file)), `dist/${file}`);
    }
    const scripts = (path: string) => readdirSync(path, { recursive: true, encoding: 'utf8' }).sort();
    assert.deepEqual(scripts(join(dir, 'dist/lua')), scripts(join(ROOT, 'src/store/redis/lua')));
  });

  it('serves /t.js, the demo page and the stats without esbuild, tsx or typescript, and keeps no esbuild process', async (t) => {
    const server = await startCompiled(dir, { DATA_DIR: join(dir, 'data-embedded') });
    t.after(() => stop(server.child));
    const script = await fetch(`${server.url}/t.js`, { headers: { 'Accept-Encoding': 'identity' } });
    assert.equal(script.status, 200);
    const code = await script.text();
    assert.equal(code, readFileSync(join(dir, 'dist/client/t.js'), 'utf8'));
    assert.equal(gunzipSync(readFileSync(join(dir, 'dist/client/t.js.gz'))).toString(), code);
    assert.equal(script.headers.get('etag'), `"${readFileSync(join(dir, 'dist/client/t.js.sha256'), 'utf8')}"`);
    const demo = await fetch(`${server.url}/`);
    assert.equal(demo.status, 200);
    assert.match(await demo.text(), /<script async src="\/t\.js" data-site="demo"><\/script>/);
    for (const asset of ['dashboard.js', 'dashboard.css']) {
      const served = await fetch(`${server.url}/dashboard/${asset}`, { headers: { 'Accept-Encoding': 'identity' } });
      assert.equal(served.status, 200, asset);
      assert.equal(await served.text(), readFileSync(join(dir, `dist/client/${asset}`), 'utf8'), `${asset}: the built file`);
    }
    const stats = await fetch(`${server.url}/api/sites/demo/stats`);
    assert.equal(stats.status, 200);
    assert.equal(((await stats.json()) as { online: { total: number } }).online.total, 0);
    assert.deepEqual(await childrenMatching(server.child.pid!, 'all', /esbuild/), []);
    await pageIsCounted(server.url);
    assert.equal(await stop(server.child), 0, server.output());
  });

  it('runs on Redis with the scripts from dist/lua/', async (t) => {
    redis = await startRedisServer();
    const server = await startCompiled(dir, { REDIS_URL: redis.url, KEY_PREFIX: 'build-test' });
    t.after(() => stop(server.child));
    const stats = await fetch(`${server.url}/api/sites/demo/stats`);
    assert.equal(stats.status, 200, await stats.clone().text());
    assert.equal(((await stats.json()) as { pageviews: { total: number } }).pageviews.total, 0);
    await pageIsCounted(server.url);
    assert.equal(await stop(server.child), 0, server.output());
  });

  it('runs the operator CLI from dist/cli.js', () => {
    const env = { PATH: process.env.PATH ?? '', DATA_DIR: join(dir, 'data-cli') };
    const set = spawnSync(process.execPath, ['dist/cli.js', 'set-totals', 'demo', '--visits', '7'], { cwd: dir, env, encoding: 'utf8', timeout: 15_000 });
    assert.equal(set.status, 0, set.stderr);
    assert.equal((JSON.parse(set.stdout) as { visits: { total: number } }).visits.total, 7);
  });

  it('refuses to start, naming the build, when the client files are missing', async () => {
    rmSync(join(dir, 'dist/client/t.js.gz'));
    const run = spawnSync(process.execPath, ['dist/main.js'], { cwd: dir, env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', DATA_DIR: join(dir, 'data-missing') }, encoding: 'utf8', timeout: 15_000 });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /client file .*t\.js\.gz is missing; run `npm run build`/);
  });
});
