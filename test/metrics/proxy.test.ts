// The compose stack's proxy config (deploy/nginx/headcount.conf) run by a real nginx in front of two
// real Headcount replicas on one redis-server: WebSocket upgrades pass, pages spread over both
// replicas, both report the same figures, and readers cannot reach /metrics.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHeadcount, type HeadcountProcess } from '../support/headcount.js';
import { eventually, PageClient } from '../support/page-client.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { freePort } from '../support/free-port.js';
import { notInstalled, parseSamples, ROOT, scrape, valueOf } from './support.js';

const START_TIMEOUT_MS = 10_000;

describe('nginx proxy of the compose stack', () => {
  let dir: string;
  let redis: RedisServer | undefined;
  const replicas: HeadcountProcess[] = [];
  let nginx: ChildProcess | undefined;
  let base: string;
  let pages: PageClient[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'headcount-nginx-'));
    redis = await startRedisServer();
    for (let i = 0; i < 2; i++) replicas.push(await startHeadcount({ env: { REDIS_URL: redis.url, KEY_PREFIX: `hc-proxy-${process.pid}` } }));
    const port = await freePort();
    // The repo's server block as it is, with the compose service names pointed at the local replicas.
    const server = readFileSync(join(ROOT, 'deploy/nginx/headcount.conf'), 'utf8')
      .replace('headcount-1:8080', `127.0.0.1:${replicas[0]!.port}`)
      .replace('headcount-2:8080', `127.0.0.1:${replicas[1]!.port}`)
      .replace('listen 80;', `listen 127.0.0.1:${port};`);
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `${kind}_temp_path ${dir}/${kind};`).join(' ');
    writeFileSync(join(dir, 'nginx.conf'), `daemon off; pid ${dir}/nginx.pid; error_log stderr warn; events {} http { access_log off; ${temp}\n${server}\n}\n`);
    nginx = spawn('nginx', ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    nginx.stderr!.on('data', (chunk: Buffer) => (log += chunk));
    const failed = new Promise<never>((_, reject) => {
      nginx!.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT' ? notInstalled('nginx') : error));
      nginx!.once('exit', (code) => reject(new Error(`nginx exited with ${code}:\n${log}`)));
    });
    base = `http://127.0.0.1:${port}`;
    const healthy = () => fetch(`${base}/healthz`).then((res) => res.status, () => 0);
    await Promise.race([eventually(healthy, (status) => status === 200, START_TIMEOUT_MS), failed]);
    failed.catch(() => undefined); // later exits are the stop in after()
  });
  after(async () => {
    for (const page of pages) page.socket.terminate();
    if (nginx && nginx.exitCode === null && nginx.signalCode === null) {
      const exited = once(nginx, 'exit');
      nginx.kill('SIGTERM');
      await exited;
    }
    for (const replica of replicas) await replica.dispose();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes WebSocket upgrades to both replicas, which agree on the count', async () => {
    const origin = base.replace('127.0.0.1', 'localhost'); // an origin the demo site accepts
    pages = await Promise.all(Array.from({ length: 4 }, () => PageClient.open(`${base.replace('http', 'ws')}/ws`, 'demo', origin)));
    await Promise.all(pages.map((page) => page.hello()));
    const [first, second] = await Promise.all(replicas.map(async (replica) => parseSamples(await scrape(replica.url))));
    assert.equal(valueOf(first!, 'headcount_open_sockets') + valueOf(second!, 'headcount_open_sockets'), 4);
    assert.ok(valueOf(first!, 'headcount_open_sockets') > 0 && valueOf(second!, 'headcount_open_sockets') > 0, 'round robin reaches both replicas');
    for (const samples of [first!, second!]) assert.equal(valueOf(samples, 'headcount_online_visitors', { site: 'demo', kind: 'guest' }), 4);
  });

  it('serves the API but refuses /metrics to readers, however it is spelled', async () => {
    assert.equal((await fetch(`${base}/api/sites/demo/stats`)).status, 200);
    for (const path of ['/metrics', '/METRICS', '/metrics/', '/%6detrics', '//metrics']) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 404, path);
      assert.deepEqual(await res.json(), { error: 'not found' }, path);
    }
  });
});
