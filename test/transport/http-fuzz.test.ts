// Fuzzing the HTTP layer below the routes, over raw TCP: request lines, targets, methods and headers of
// plain requests and WebSocket upgrades, with a fixed seed and count. Afterwards the process is alive,
// no listener threw, the legitimate pages' counts are exact, and nothing invented left a Redis key or a
// metric series. The requests that once ended the process are also sent to the real service (a child
// process), where a crash shows as an exit.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { loadSites, type SiteRegistry } from '../../src/sites.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { startHeadcount } from '../support/headcount.js';
import { startInProcess, type InProcess } from '../support/in-process.js';
import { PageClient, PAGE_ORIGIN } from '../support/page-client.js';
import { seededRandom } from '../support/random.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

const SEED = 20261201;
const ITERATIONS = 800;
const BATCH = 16;
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/**
 * Sends raw bytes and returns the server's first answer: complete at its Content-Length, at the end of
 * a 101's headers, when the server closes, or 300 ms after headers without a length (HEAD, chunked).
 */
function raw(port: number, bytes: Buffer | string, waitMs = 3_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let grace: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      clearTimeout(grace);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(done, waitMs);
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      const end = answer.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = answer.slice(0, end);
      const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
      if (/^HTTP\/1\.1 101 /.test(head) || (length !== undefined && answer.length - end - 4 >= Number(length))) return done();
      grace ??= setTimeout(done, 300);
    });
    socket.on('error', () => undefined);
    socket.on('close', done);
    socket.write(bytes);
  });
}

const upgradeHeaders = (origin = PAGE_ORIGIN) =>
  `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${KEY}\r\nOrigin: ${origin}\r\n`;
const request = (target: string, upgrade: boolean) => `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${upgrade ? upgradeHeaders() : ''}\r\n`;

/** The targets of the review's reproduction and their neighbours. */
const HOSTILE_TARGETS = [
  '//[/ws',
  '//[/ws?site=demo',
  'http://a:99999/ws',
  'http://a:99999/ws?site=demo',
  'http://[::1',
  'http://[::1/ws?site=demo',
  'http://x/ws?site=demo',
  'http://[::1]:8080/ws?site=demo',
  '/%zz',
  '/ws?site=%E0%A4%A',
  '/ws%zz?site=demo',
  '/api/sites/%zz/stats',
  '/api/sites/%FF/stats',
  '//',
  '/\\\\evil',
  '*',
  'example.vn:443',
];

/** Every answer is a status line with a JSON error body, a 101/200/304, or a cut; never a 5xx. */
function assertAnswer(answer: string, what: string): void {
  if (answer === '') return;
  const status = Number(/^HTTP\/1\.[01] (\d{3}) /.exec(answer)?.[1]);
  assert.ok(status >= 100 && status < 500, `${what} answered ${JSON.stringify(answer.slice(0, 80))}`);
  if (status < 400) return;
  const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
  if (what.startsWith('"HEAD ')) return;
  let error: unknown;
  try {
    error = JSON.parse(body).error;
  } catch {
    // reported below
  }
  assert.equal(typeof error, 'string', `${what}: JSON error body, got ${JSON.stringify(answer.slice(0, 300))}`);
}

describe('HTTP request fuzz', () => {
  let redis: RedisServer;
  let hc: InProcess;
  let base: string;
  const rand = seededRandom(SEED);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const bytes = (length: number) => Buffer.from(Array.from({ length }, () => Math.floor(rand() * 256))).toString('latin1');
  const printable = (length: number) => Array.from({ length }, () => String.fromCharCode(0x21 + Math.floor(rand() * 94))).join('');
  const control = () => String.fromCharCode(pick([0, 1, 7, 8, 0x0b, 0x0c, 0x1b, 0x7f]));

  const target = (): string =>
    pick([
      () => pick(HOSTILE_TARGETS),
      () => `/${bytes(1 + Math.floor(rand() * 30))}`,
      () => `/${printable(1 + Math.floor(rand() * 60))}`,
      () => `/ws?site=${printable(1 + Math.floor(rand() * 12))}`,
      () => `/ws?site=demo&${pick(['%', '%z', '%E0%A4%A', '%00', '%C0%AF'])}`,
      () => `/${'a'.repeat(pick([200, 8_000, 20_000]))}`,
      () => `${pick(['http', 'https', 'ws', 'h'])}://${pick(['a', '[', '[::1', '[::1]', 'a:', 'a:0', 'a:65535', 'a:65536', 'u@a', ''])}${pick(['/ws?site=demo', '/ws', '', '?site=demo', '/api/sites/demo/stats'])}`,
      () => pick(['/ws?site=demo', '/api/sites/demo/stats', '/healthz', '/metrics']),
    ])();

  /** A valid request (plain or upgrade) with one or two breaking mutations, as fuzz.test.ts does for frames. */
  const fuzzedRequest = (): string => {
    const upgrade = rand() < 0.6;
    let method = 'GET';
    let path = pick(['/ws?site=demo', '/api/sites/demo/stats', '/healthz', '/ws?site=other']);
    let version = 'HTTP/1.1';
    const lines: Array<[string, string]> = [['Host', '127.0.0.1']];
    if (upgrade) {
      lines.push(['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Version', '13'], ['Sec-WebSocket-Key', KEY], ['Origin', PAGE_ORIGIN]);
    }
    const mutations = 1 + Math.floor(rand() * 2);
    for (let m = 0; m < mutations; m++) {
      switch (Math.floor(rand() * 12)) {
        case 0:
        case 1:
        case 2:
        case 3:
          path = target();
          break;
        case 4:
          method = pick(['POST', 'HEAD', 'OPTIONS', 'DELETE', 'get', 'CONNECT', printable(5), bytes(4)]);
          break;
        case 5:
          version = pick(['HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 x', 'HTTP/1', printable(8)]);
          break;
        case 6: {
          const [name] = lines.length ? pick(lines) : ['Host'];
          lines.push([name, pick(['127.0.0.1', 'https://evil.example', 'WebSocket', 'h2c', 'c2hvcnQ=', KEY, '8', '99', printable(12)])]);
          break;
        }
        case 7:
          lines.splice(Math.floor(rand() * lines.length), 1);
          break;
        case 8: {
          const line = lines.length ? pick(lines) : (lines[0] = ['Host', '127.0.0.1']);
          line[1] = pick([`${line[1]}${control()}`, `${control()}${line[1]}`, bytes(12), '']);
          break;
        }
        case 9:
          lines.push([`X-${printable(6)}`, 'a'.repeat(pick([100, 8_000, 20_000]))]);
          break;
        case 10:
          lines.push(pick([['User-Agent', pick(['Googlebot/2.1', printable(30)])], ['X-Forwarded-For', pick(['1.2.3.4', '::1, [', printable(12)])], [bytes(8), 'x']]));
          break;
        default:
          return `${bytes(40 + Math.floor(rand() * 400))}\r\n\r\n`;
      }
    }
    return `${method} ${path} ${version}\r\n${lines.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
  };

  const metric = async (name: string) => (await (await fetch(`${base}/metrics`)).text()).split('\n').filter((l) => l.startsWith(name));

  before(async () => {
    redis = await startRedisServer();
    hc = await startInProcess({ REDIS_URL: redis.url, KEY_PREFIX: 'hfuzz', HTTP_REQUESTS_PER_MINUTE: '10000000' });
    base = `http://127.0.0.1:${hc.server.port}`;
  });
  after(async () => {
    await hc.stop();
    await redis.stop();
  });

  it('answers the targets that once ended the process, as plain requests and as upgrades', async () => {
    for (const target of HOSTILE_TARGETS) {
      for (const upgrade of [false, true]) {
        const answer = await raw(hc.server.port, request(target, upgrade));
        assertAnswer(answer, `${upgrade ? 'upgrade' : 'GET'} ${target}`);
      }
    }
    const answer = await raw(hc.server.port, request('http://a:99999/ws?site=demo', true));
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /"error":"malformed request target: invalid host or port"/);
    assert.match(await raw(hc.server.port, request('/ws?site=%E0%A4%A', true)), /"error":"malformed request target: invalid percent-encoding"/);
    assert.match(await raw(hc.server.port, request('/nothing', true)), /^HTTP\/1\.1 404 [^]*"error":"no WebSocket endpoint at \/nothing; use \/ws\?site=SITE"/);
    assert.match(await raw(hc.server.port, request('/ws?site=demo', true)), /^HTTP\/1\.1 101 /, 'absolute and origin forms of /ws still connect');
    assert.match(await raw(hc.server.port, request('http://stats.example/ws?site=demo', true)), /^HTTP\/1\.1 101 /);
  });

  it(`stays alive and exact under ${ITERATIONS} fuzzed request lines, targets, methods and headers`, async () => {
    const client = new Redis(redis.url);
    try {
      const legit = await Promise.all(Array.from({ length: 6 }, () => PageClient.open(hc.wsUrl)));
      const vids = Array.from({ length: 3 }, () => randomUUID());
      for (const [i, page] of legit.entries()) await page.hello({ vid: vids[i % 3] });
      const expected = (await hc.stats()).body;
      assert.deepEqual([expected.online.guests, expected.pageviews.total], [3, 6]);
      const keysBefore = (await client.keys('*')).sort();

      for (let i = 0; i < ITERATIONS; i += BATCH) {
        const batch = Array.from({ length: Math.min(BATCH, ITERATIONS - i) }, fuzzedRequest);
        const answers = await Promise.all(batch.map((bytes) => raw(hc.server.port, bytes)));
        answers.forEach((answer, j) => assertAnswer(answer, JSON.stringify(batch[j]!.slice(0, 120))));
      }

      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      const after = (await hc.stats()).body;
      assert.deepEqual(after.online, expected.online);
      assert.deepEqual(after.pageviews, expected.pageviews);
      assert.deepEqual(after.visits, expected.visits);
      assert.deepEqual((await client.keys('*')).sort(), keysBefore, 'no Redis key created or removed');
      const text = await (await fetch(`${base}/metrics`)).text();
      assert.doesNotMatch(text, /site="(?!demo")/, 'no metric series for an invented site');
      assert.deepEqual(await metric('headcount_handler_errors_total'), [
        'headcount_handler_errors_total{where="request"} 0',
        'headcount_handler_errors_total{where="upgrade"} 0',
        'headcount_handler_errors_total{where="socket"} 0',
      ], 'every fuzzed input was answered by its rule, none by the backstop');
      await Promise.all(legit.map((p) => p.close()));
    } finally {
      client.disconnect();
    }
  });

  it('keeps the real service running after the same requests, and counting', async () => {
    const service = await startHeadcount();
    try {
      for (const target of HOSTILE_TARGETS) {
        for (const upgrade of [false, true]) assertAnswer(await raw(service.port, request(target, upgrade)), target);
      }
      assert.equal(service.child.exitCode, null, `the process is alive:\n${service.output()}`);
      const page = await PageClient.open(service.wsUrl);
      await page.hello();
      const stats = await (await fetch(`${service.url}/api/sites/demo/stats`)).json();
      assert.equal(stats.online.total, 1);
      await page.close();
    } finally {
      await service.dispose();
    }
  });
});

describe('listener backstop', () => {
  let server: RunningServer;
  let store: Store;
  let base: string;
  const dataDir = `/tmp/headcount-backstop-${randomUUID()}`;

  before(async () => {
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATA_DIR: dataDir });
    const demo = loadSites(undefined);
    // A registry that fails on one site id stands for any bug a request's values might reach.
    const sites: SiteRegistry = {
      all: () => demo.all(),
      get: (id) => {
        if (id === 'boom') throw new Error('site lookup failed');
        return demo.get(id);
      },
    };
    const logger = createLogger(config.logLevel);
    ({ store } = await openStore(config, sites, Date.now, logger));
    server = await startServer({ config, sites, store, clock: Date.now, logger });
    base = server.url;
  });
  after(async () => {
    await server.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('turns an exception in the upgrade or request handler into a counted 400/500 for that connection only', async () => {
    const upgrade = await raw(server.port, request('/ws?site=boom', true));
    assert.match(upgrade, /^HTTP\/1\.1 400 [^]*\{"error":"request could not be handled"\}$/);
    const plain = await fetch(`${base}/api/sites/boom/stats`);
    assert.equal(plain.status, 500);
    assert.deepEqual(await plain.json(), { error: 'internal error' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /headcount_handler_errors_total\{where="upgrade"\} 1\n/);
    assert.match(metrics, /headcount_handler_errors_total\{where="request"\} 1\n/);
    const page = await PageClient.open(`${base.replace('http', 'ws')}/ws`);
    assert.equal((await page.hello()).t, 'welcome', 'the server still admits pages');
    await page.close();
  });
});
