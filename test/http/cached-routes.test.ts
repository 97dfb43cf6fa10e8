// The stats and live routes answered before Express: the same paths, methods, validators and errors
// as Express gave them, and one per-address request limit shared with the routes Express answers.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestLimiter } from '../../src/http/request-limit.js';
import { startInProcess, type InProcess } from '../support/in-process.js';

/** A raw request, so HEAD bodies and exact headers are seen as sent. */
function raw(port: number, method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('cached routes', () => {
  let hc: InProcess;
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => raw(hc.server.port, method, path, headers);

  before(async () => {
    hc = await startInProcess({ HTTP_REQUESTS_PER_MINUTE: '1000' });
  });
  after(() => hc.stop());

  it('answers the paths Express matched: any case, a trailing slash, HEAD without a body', async () => {
    for (const route of ['stats', 'live']) {
      const plain = await get(`/api/sites/demo/${route}`);
      assert.equal(plain.status, 200, route);
      assert.equal(JSON.parse(plain.body).site, 'demo');
      assert.equal(plain.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(Number(plain.headers['content-length']), Buffer.byteLength(plain.body));
      assert.equal(plain.headers['x-powered-by'], undefined);
      for (const path of [`/API/Sites/demo/${route.toUpperCase()}`, `/api/sites/demo/${route}/`]) {
        const res = await get(path);
        assert.equal(res.status, 200, path);
        assert.equal(JSON.parse(res.body).site, 'demo', path);
      }
      const head = await get(`/api/sites/demo/${route}`, {}, 'HEAD');
      assert.equal(head.status, 200);
      assert.equal(head.body, '');
      assert.ok(Number(head.headers['content-length']) > 0);
      assert.equal(head.headers['access-control-allow-origin'], '*');
    }
  });

  it('answers If-None-Match as Express did: 304 for the ETag, weak or listed or *, 200 when the client asks past caches', async () => {
    for (const route of ['stats', 'live']) {
      const path = `/api/sites/demo/${route}`;
      // Retried until two reads fall in the same cached second, so the ETag is still current.
      for (let attempt = 0; ; attempt++) {
        const first = await get(path);
        const etag = first.headers.etag!;
        assert.match(etag, /^"[\w-]+"$/);
        const answers = await Promise.all([
          get(path, { 'if-none-match': etag }),
          get(path, { 'if-none-match': `W/${etag}` }),
          get(path, { 'if-none-match': `"other", ${etag}` }),
          get(path, { 'if-none-match': '*' }),
          get(path, { 'if-none-match': '"other"' }),
          get(path, { 'if-none-match': etag, 'cache-control': 'no-cache' }),
          get(path, { 'if-none-match': etag, 'if-modified-since': new Date().toUTCString() }),
        ]);
        if (answers.some((a) => a.headers.etag !== etag) && attempt < 20) continue;
        assert.deepEqual(answers.map((a) => a.status), [304, 304, 304, 304, 200, 200, 200], route);
        const notModified = answers[0]!;
        assert.equal(notModified.body, '');
        assert.equal(notModified.headers['content-type'], undefined);
        assert.equal(notModified.headers['access-control-allow-origin'], '*');
        assert.equal(notModified.headers['cache-control'], 'public, max-age=1');
        break;
      }
    }
  });

  it('leaves other methods and paths to Express, and refuses a site id that does not decode', async () => {
    const post = await get('/api/sites/demo/stats', {}, 'POST');
    assert.equal(post.status, 404);
    assert.match(JSON.parse(post.body).error, /no route for POST/);
    const preflight = await get('/api/sites/demo/live', { origin: 'https://x.example', 'access-control-request-method': 'GET' }, 'OPTIONS');
    assert.equal(preflight.status, 204);
    assert.equal((await get('/api/sites/demo/stats/x')).status, 404);
    const undecodable = await get('/api/sites/%FF/stats');
    assert.equal(undecodable.status, 400);
    assert.deepEqual(JSON.parse(undecodable.body), { error: "Failed to decode param '%FF'" });
    const unknown = await get('/api/sites/d%65mo%2F/live');
    assert.equal(unknown.status, 404, 'a decoded slash is part of the id');
    assert.equal((await get('/api/sites/d%65mo/live')).status, 200, 'the id is decoded');
  });
});

describe('the per-address request limit', () => {
  it('counts cached and Express routes alike, answers 429 in JSON, counts it and resets after a minute', async () => {
    const hc = await startInProcess({ HTTP_REQUESTS_PER_MINUTE: '4' });
    try {
      const port = hc.server.port;
      const statuses = [];
      for (const path of ['/api/sites/demo/stats', '/api/sites/demo/live', '/api/sites/demo/pages/today', '/api/sites/nope/stats', '/api/sites/demo/live', '/api/sites/demo/history?period=day']) {
        statuses.push((await raw(port, 'GET', path)).status);
      }
      assert.deepEqual(statuses, [200, 200, 200, 404, 429, 429]);
      const refused = await raw(port, 'GET', '/api/sites/demo/stats');
      assert.equal(refused.status, 429);
      assert.equal(refused.headers['content-type'], 'application/json; charset=utf-8');
      assert.deepEqual(JSON.parse(refused.body), { error: 'more than 4 API requests per minute from one address' });
      assert.equal((await raw(port, 'GET', '/healthz')).status, 200, 'routes outside /api are not limited');
      const metrics = (await raw(port, 'GET', '/metrics')).body;
      assert.match(metrics, /headcount_sessions_rejected_total\{reason="http_rate_limit"\} 3\n/);
      assert.match(metrics, /headcount_sessions_rejected_total\{reason="unknown_site"\} 1\n/);
      hc.advance(60_000);
      assert.equal((await raw(port, 'GET', '/api/sites/demo/stats')).status, 200, 'a new minute, a new allowance');
    } finally {
      await hc.stop();
    }
  });

  it('counts an IPv6 /64 as one address and each IPv4 address apart', () => {
    let now = 0;
    let refused = 0;
    const answers: number[] = [];
    const admit = requestLimiter({ perMinute: 2, addressOf: (req) => req.socket.remoteAddress!, clock: () => now, refused: () => refused++ });
    const from = (address: string) => ({ socket: { remoteAddress: address }, headers: {} }) as unknown as IncomingMessage;
    const res = { writeHead: (status: number) => (answers.push(status), res), end: () => res } as unknown as ServerResponse;
    const take = (address: string) => admit(from(address), res);
    assert.deepEqual(['2001:db8::1', '2001:db8::2', '2001:db8::ffff:3'].map(take), [true, true, false], 'one /64');
    assert.deepEqual(['2001:db8:0:1::1', '10.0.0.1', '10.0.0.1', '::ffff:10.0.0.1', '10.0.0.2'].map(take), [true, true, true, false, true], 'IPv4-mapped is the IPv4 address');
    assert.equal(refused, 2);
    assert.deepEqual(answers, [429, 429]);
    now += 59_999;
    assert.equal(take('10.0.0.1'), false, 'still the same minute');
    now += 1;
    assert.equal(take('10.0.0.1'), true, 'the next minute');
  });
});
