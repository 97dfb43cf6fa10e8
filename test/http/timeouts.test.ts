// The HTTP server's timeouts: explicit keep-alive above a load balancer's idle timeout, and a client that
// trickles its headers (slowloris) cut off after HTTP_HEADERS_TIMEOUT_MS, for plain and upgrade requests.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { startInProcess, type InProcess } from '../support/in-process.js';
import { PAGE_ORIGIN } from '../support/page-client.js';

const HEADERS_TIMEOUT_MS = 1_000;
/** Far beyond the timeout plus Node's check period, far below Node's defaults (60 s, checked every 30 s). */
const GIVE_UP_MS = 8_000;

/** Sends `start`, then one byte of an endless header every `everyMs`; resolves with the answer once the server ends the socket. */
function trickle(port: number, start: string, everyMs: number): Promise<{ answer: string; cut: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const drip = setInterval(() => socket.write('a'), everyMs);
    const finish = (cut: boolean) => {
      clearInterval(drip);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ answer, cut });
    };
    const giveUp = setTimeout(() => finish(false), GIVE_UP_MS);
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => finish(true));
    socket.write(`${start}X-Slow: `);
  });
}

describe('HTTP timeouts', () => {
  let hc: InProcess;

  before(async () => {
    hc = await startInProcess({ HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS), HTTP_REQUEST_TIMEOUT_MS: '2000' });
  });
  after(() => hc.stop());

  it('keeps idle connections longer than a load balancer does (65 s by default) and applies the configured limits', () => {
    const defaults = loadConfig({}).http;
    assert.deepEqual(defaults, { keepAliveTimeoutMs: 65_000, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 });
    const { server } = hc.server;
    assert.equal(server.keepAliveTimeout, 65_000);
    assert.equal(server.headersTimeout, HEADERS_TIMEOUT_MS);
    assert.equal(server.requestTimeout, 2_000);
  });

  for (const [what, start] of [
    ['a plain request', 'GET /api/sites/demo/stats HTTP/1.1\r\nHost: 127.0.0.1\r\n'],
    ['an upgrade request', `GET /ws?site=demo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: ${PAGE_ORIGIN}\r\n`],
  ] as const) {
    it(`cuts off ${what} whose headers trickle in after the headers timeout, with a JSON 408`, async () => {
      const { answer, cut } = await trickle(hc.server.port, start, 200);
      assert.ok(cut, `the server kept a socket sending one byte every 200 ms open for ${GIVE_UP_MS} ms`);
      assert.match(answer, /^HTTP\/1\.1 408 Request Timeout\r\n/);
      assert.match(answer, /\r\n\r\n\{"error":"request too slow: headers are due within 1000 ms, the whole request within 2000 ms"\}$/);
      assert.equal((await hc.stats()).status, 200, 'the server still answers others');
    });
  }
});
