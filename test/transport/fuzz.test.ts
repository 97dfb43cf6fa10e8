// Fuzzing the WebSocket and HTTP inputs with a fixed seed and iteration count, on the Redis store:
// afterwards the server is alive, its memory is flat, the counts are exactly what the legitimate pages
// created, and Redis holds no key and /metrics no series for anything the fuzzer invented.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startInProcess, type InProcess } from '../support/in-process.js';
import { PageClient } from '../support/page-client.js';
import { heapAfterGc } from '../support/heap.js';
import { seededRandom } from '../support/random.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

const SEED = 20261126;
const ITERATIONS = 1_500;
const INVENTED_SITES = 100_000;

describe('fuzz', () => {
  let redis: RedisServer;
  let hc: InProcess;
  let base: string;
  const rand = seededRandom(SEED);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const junk = (length: number) => Array.from({ length }, () => String.fromCharCode(Math.floor(rand() * 0x3000))).join('');

  /** A message that is invalid by construction: a valid hello with one breaking mutation. */
  function invalidMessage(): string | Buffer {
    const hello: Record<string, unknown> = { t: 'hello', site: 'demo', vid: randomUUID(), psid: randomUUID(), url: '/fuzz' };
    switch (Math.floor(rand() * 9)) {
      case 0: delete hello[pick(['t', 'site', 'vid', 'psid', 'url'])]; break;
      case 1: hello[pick(['vid', 'psid', 'url', 'site', 'sub', 'vis', 'bot'])] = pick([null, 7, [], {}, true, '', 'x y', -1]); break;
      case 2: hello[junk(4)] = junk(8); break;
      case 3: return JSON.stringify(hello).slice(0, Math.floor(rand() * 40));
      case 4: return junk(1 + Math.floor(rand() * 200));
      case 5: return Buffer.from(junk(16));
      case 6: hello.t = pick(['page', 'vis', 'sub', 'HELLO', 'welcome', 'counts', junk(3)]); hello.vis = 'sideways'; break;
      case 7: hello.site = pick(['other', junk(10), '../demo', 'demo ', '{demo}']); break;
      default: hello.member = pick(['a.b.c', 'e30.e30.', junk(50), 'x'.repeat(3000)]);
    }
    return JSON.stringify(hello);
  }

  before(async () => {
    redis = await startRedisServer();
    hc = await startInProcess({ REDIS_URL: redis.url, KEY_PREFIX: 'fuzz', HTTP_REQUESTS_PER_MINUTE: '10000000', MAX_MESSAGES_PER_MINUTE: '100000', HELLO_TIMEOUT_MS: '1000' });
    base = `http://127.0.0.1:${hc.server.port}`;
  });
  after(async () => {
    await hc.stop();
    await redis.stop();
  });

  it('stays alive, flat and exact under random frames and HTTP inputs', async () => {
    const legit = await Promise.all(Array.from({ length: 10 }, () => PageClient.open(hc.wsUrl)));
    const vids = Array.from({ length: 5 }, () => randomUUID());
    for (const [i, page] of legit.entries()) await page.hello({ vid: vids[i % 5] });
    const expected = (await hc.stats()).body;
    assert.deepEqual([expected.online.guests, expected.pageviews.total], [5, 10]);
    const heapBefore = await heapAfterGc();

    let socket = await PageClient.open(hc.wsUrl);
    for (let i = 0; i < ITERATIONS; i++) {
      if (socket.socket.readyState !== socket.socket.OPEN) socket = await PageClient.open(hc.wsUrl);
      const message = invalidMessage();
      socket.socket.send(message, { binary: Buffer.isBuffer(message) });
      if (i % 10 === 0) {
        const path = pick([`/api/sites/${encodeURIComponent(junk(6))}/stats`, `/api/sites/demo/${junk(3)}`, `/${junk(20)}`, '/api/sites/demo/badge.svg?x=' + junk(5)]);
        const res = await fetch(base + path.replace(/[\u0000-\u001f]/g, ''), { method: pick(['GET', 'POST', 'PUT', 'DELETE']), body: undefined }).catch(() => undefined);
        if (res) assert.ok(res.status < 500, `${path} answered ${res.status}`);
        const put = await fetch(`${base}/api/sites/demo/totals`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: junk(30) });
        assert.equal(put.status, 403, 'admin API disabled without ADMIN_TOKEN');
      }
    }
    socket.socket.terminate();

    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const after = (await hc.stats()).body;
    assert.deepEqual(after.online, expected.online);
    assert.deepEqual(after.pageviews, expected.pageviews);
    assert.deepEqual(after.visits, expected.visits);
    assert.ok((await heapAfterGc()) - heapBefore < 8 * 1024 * 1024, 'heap grew less than 8 MB');
    await Promise.all(legit.map((p) => p.close()));
  });

  it(`creates no key, cache entry or metric series for ${INVENTED_SITES.toLocaleString('en')} invented site ids`, async () => {
    const client = new Redis(redis.url);
    try {
      const keysBefore = await client.dbsize();
      const heapBefore = await heapAfterGc();
      // Pipelined keep-alive requests: the server parses every one, the test stays fast.
      const BATCH = 500;
      const socket = connect(hc.server.port, '127.0.0.1');
      await once(socket, 'connect');
      // Count answers as they stream in; the 12-character carry (one less than a status line) lets a
      // line split across chunks count once and no line count twice.
      let notFound = 0;
      let carry = '';
      socket.on('data', (chunk: Buffer) => {
        const text = carry + chunk.toString('latin1');
        notFound += (text.match(/HTTP\/1\.1 404 /g) ?? []).length;
        carry = text.slice(-12);
      });
      for (let start = 0; start < INVENTED_SITES; start += BATCH) {
        let requests = '';
        for (let i = start; i < start + BATCH; i++) requests += `GET /api/sites/site-${i}-${SEED}/stats HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
        socket.write(requests);
        while (notFound < start + BATCH) await once(socket, 'data');
      }
      assert.equal(notFound, INVENTED_SITES);
      socket.destroy();
      for (let i = 0; i < 300; i++) {
        await assert.rejects(PageClient.open(hc.wsUrl, `invented-${i}`), (e: any) => e.status === 404);
      }
      assert.equal(await client.dbsize(), keysBefore, 'no Redis key created');
      const keys = await client.keys('*');
      assert.ok(keys.every((k) => k.startsWith('fuzz:{demo}:')), `only the demo site's keys: ${keys.join(', ')}`);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      assert.doesNotMatch(metrics, /site="(?!demo")/);
      assert.ok((await heapAfterGc()) - heapBefore < 8 * 1024 * 1024, 'heap grew less than 8 MB');
    } finally {
      client.disconnect();
    }
  });
});
