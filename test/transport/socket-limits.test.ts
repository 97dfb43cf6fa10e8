// Per-socket limits and backstops: the address cap groups IPv6 by /64 like the HTTP limiter, a 1009
// names its rule, a refusal whose reason would not fit a close frame still closes, and a listener's
// exception costs its socket only.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { CloseCode } from '../../src/protocol.js';
import { fitCloseReason, GuardedSocket } from '../../src/transport/socket-guard.js';
import { startInProcess, type InProcess } from '../support/in-process.js';
import { eventually, PageClient } from '../support/page-client.js';

describe('socket limits', () => {
  let hc: InProcess;
  const pages: PageClient[] = [];
  const page = async (headers: Record<string, string> = {}) => {
    const client = await PageClient.open(hc.wsUrl, 'demo', undefined, headers);
    pages.push(client);
    return client;
  };
  const metric = async (series: string) => {
    const text = await (await fetch(`http://127.0.0.1:${hc.server.port}/metrics`)).text();
    return Number(text.split('\n').find((line) => line.startsWith(`${series} `))?.split(' ')[1] ?? NaN);
  };
  const api = (forwardedFor: string) => fetch(`http://127.0.0.1:${hc.server.port}/api/sites/demo/stats`, { headers: { 'x-forwarded-for': forwardedFor } });

  before(async () => {
    hc = await startInProcess({ MAX_SOCKETS_PER_IP: '1', HTTP_REQUESTS_PER_MINUTE: '2', TRUST_PROXY: 'loopback' });
  });
  after(async () => {
    await Promise.all(pages.splice(0).map((p) => p.close()));
    await hc.stop();
  });

  it('counts one IPv6 /64 as one address for MAX_SOCKETS_PER_IP, as the HTTP limiter does', async () => {
    const before = await metric('headcount_sessions_rejected_total{reason="address_limit"}');
    const first = await page({ 'x-forwarded-for': '2001:db8:a:b::1' });
    await assert.rejects(page({ 'x-forwarded-for': '2001:db8:a:b:ffff::2' }), (e: any) => e.status === 429 && /too many open connections/.test(JSON.parse(e.body).error));
    await (await page({ 'x-forwarded-for': '2001:db8:a:c::1' })).hello();
    // IPv4-mapped IPv6 is the IPv4 address.
    await page({ 'x-forwarded-for': '198.51.100.4' });
    await assert.rejects(page({ 'x-forwarded-for': '::ffff:198.51.100.4' }), (e: any) => e.status === 429);
    assert.equal(await metric('headcount_sessions_rejected_total{reason="address_limit"}'), before + 2);
    // The HTTP limiter (2 a minute here) keys the same groups.
    assert.equal((await api('2001:db8:a:b::1')).status, 200);
    assert.equal((await api('2001:db8:a:b:1234::9')).status, 200);
    assert.equal((await api('2001:db8:a:b::77')).status, 429);
    assert.equal((await api('2001:db8:a:d::1')).status, 200, 'another /64 has its own allowance');
    await first.close();
    await eventually(async () => page({ 'x-forwarded-for': '2001:db8:a:b::3' }).then(() => true, () => false), (ok) => ok);
  });

  it('closes a message over 8192 bytes with 1009 and a reason, counted as too_big', async () => {
    const before = await metric('headcount_sessions_rejected_total{reason="too_big"}');
    const client = await page({ 'x-forwarded-for': '192.0.2.50' });
    client.socket.send('x'.repeat(9_000));
    assert.deepEqual(await client.closed, { code: CloseCode.tooBig, reason: 'message over 8192 bytes' });
    assert.equal(await metric('headcount_sessions_rejected_total{reason="too_big"}'), before + 1);
  });

  it('closes a text frame of invalid UTF-8 with 1007 and a reason, counted as bad_message', async () => {
    const before = await metric('headcount_sessions_rejected_total{reason="bad_message"}');
    const client = await page({ 'x-forwarded-for': '192.0.2.52' });
    client.socket.send(Buffer.from([0x7b, 0xff, 0x7d]), { binary: false });
    assert.deepEqual(await client.closed, { code: 1007, reason: 'text frame is not valid UTF-8' });
    assert.equal(await metric('headcount_sessions_rejected_total{reason="bad_message"}'), before + 1);
  });

  it('closes on an invalid field whose name is too long for a close reason, and keeps running', async () => {
    const client = await page({ 'x-forwarded-for': '192.0.2.51' });
    client.send({ t: 'hello', ['k'.repeat(300)]: 1 });
    const closed = await client.closed;
    assert.equal(closed.code, CloseCode.badMessage);
    assert.match(closed.reason, /^unknown field "kkkk/);
    assert.ok(Buffer.byteLength(closed.reason) <= 123);
    assert.equal((await hc.stats()).status, 200);
  });
});

describe('GuardedSocket', () => {
  it('fits a close reason into 123 bytes at a character boundary', () => {
    assert.equal(fitCloseReason('short'), 'short');
    const cut = fitCloseReason('ệ'.repeat(100));
    assert.ok(Buffer.byteLength(cut) <= 123 && cut === 'ệ'.repeat(cut.length));
  });

  it("ends only the socket whose listener threw, reports it, and the server's process goes on", async () => {
    const server = createServer();
    const failures: unknown[] = [];
    class TestSocket extends GuardedSocket {
      protected listenerFailed(error: unknown): void {
        failures.push(error);
      }
    }
    const wss = new WebSocketServer({ server, WebSocket: TestSocket });
    wss.on('connection', (ws) => {
      ws.on('message', (data) => {
        if (data.toString() === 'boom') throw new Error('listener bug');
        ws.send('ok');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const victim = new WebSocket(url);
      const bystander = new WebSocket(url);
      await Promise.all([once(victim, 'open'), once(bystander, 'open')]);
      victim.send('boom');
      const [code] = await once(victim, 'close');
      assert.equal(code, 1006, 'terminated');
      assert.equal((failures[0] as Error).message, 'listener bug');
      bystander.send('hi');
      assert.equal(String((await once(bystander, 'message'))[0]), 'ok');
      bystander.close();
    } finally {
      wss.close();
      server.close();
    }
  });
});
