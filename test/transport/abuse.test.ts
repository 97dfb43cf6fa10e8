// One test per attack from the abuse issue, on loopback, bounded: each must be refused with a clear
// code and reason, counted by reason, and leave the legitimate counts exactly as they were.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import { CloseCode } from '../../src/protocol.js';
import { DEMO_SITE } from '../../src/sites.js';
import { startInProcess, type InProcess } from '../support/in-process.js';
import { eventually, PageClient } from '../support/page-client.js';

const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const key = new TextEncoder().encode(DEMO_SITE.memberSecret);
const token = (claims: { sub?: string; aud?: string; exp?: string | number } = {}, secret = key) =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub ?? 'member-1')
    .setAudience(claims.aud ?? 'demo')
    .setExpirationTime(claims.exp ?? '5m')
    .sign(secret);

/** Sends raw bytes to the server and returns what it answers before closing (or after `waitMs`). */
function raw(port: number, bytes: Buffer | string, waitMs = 2_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const done = () => {
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(done, waitMs);
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.write(bytes);
  });
}

describe('abuse', () => {
  let hc: InProcess;
  const pages: PageClient[] = [];
  const page = async (headers: Record<string, string> = {}) => {
    const client = await PageClient.open(hc.wsUrl, 'demo', 'http://localhost:3000', headers);
    pages.push(client);
    return client;
  };
  const stats = async () => (await hc.stats()).body;
  const rejected = async (reason: string) => {
    const text = await (await fetch(`http://127.0.0.1:${hc.server.port}/metrics`)).text();
    return Number(new RegExp(`headcount_sessions_rejected_total\\{reason="${reason}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  };
  const closeAll = async () => {
    await Promise.all(pages.splice(0).map((p) => p.close()));
    await eventually(stats, (s) => s.online.total === 0 && s.online.bots === 0);
  };

  before(async () => {
    hc = await startInProcess({ MAX_SOCKETS_PER_IP: '6', MAX_MESSAGES_PER_MINUTE: '40', HTTP_REQUESTS_PER_MINUTE: '100000', TRUST_PROXY: 'loopback' });
  });
  after(async () => {
    await closeAll();
    await hc.stop();
  });

  it('refuses tampered, expired, wrong-site, alg:none and long-lived member tokens, each with its reason', async () => {
    const good = await token();
    const [header, payload] = good.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ sub: 'someone-else', aud: 'demo', exp: Math.floor(Date.now() / 1000) + 60 })).toString('base64url')}.${good.split('.')[2]}`;
    const none = new UnsecuredJWT({}).setSubject('member-1').setAudience('demo').setExpirationTime('5m').encode();
    assert.ok(payload);
    const before = await stats();
    const beforeRejected = await rejected('member_token');
    for (const [bad, reason] of [
      [tampered, 'member token signature invalid'],
      [await token({ exp: Math.floor(Date.now() / 1000) - 120 }), 'member token expired'],
      [await token({ aud: 'other-site' }), 'member token is for another site'],
      [none, 'member token algorithm not allowed (use HS256)'],
      [await token({ exp: '2h' }), 'member token lifetime too long (expire within 900 s)'],
    ] as const) {
      const client = await page();
      client.send({ t: 'hello', site: 'demo', vid: randomUUID(), psid: randomUUID(), url: '/a', member: bad });
      assert.deepEqual(await client.closed, { code: CloseCode.badMemberToken, reason });
    }
    assert.equal(await rejected('member_token'), beforeRejected + 5);
    const after = await stats();
    assert.deepEqual([after.online, after.pageviews.total], [before.online, before.pageviews.total]);
  });

  it('counts a replayed member token as one member', async () => {
    const shared = await token({ sub: 'replayed' });
    await Promise.all([page(), page(), page()].map(async (p) => (await p).hello({ member: shared })));
    assert.deepEqual((await stats()).online, { guests: 0, members: 1, total: 1, bots: 0 });
    await closeAll();
  });

  it('counts bots (isbot user agents, navigator.webdriver) apart: never guests, never visits', async () => {
    const before = await stats();
    const crawler = await page({ 'user-agent': GOOGLEBOT });
    assert.equal((await crawler.hello()).kind, 'bot');
    const automated = await page();
    assert.equal((await automated.hello({ bot: true })).kind, 'bot');
    const after = await stats();
    assert.deepEqual(after.online, { guests: 0, members: 0, total: 0, bots: 2 });
    assert.equal(after.visits.total, before.visits.total);
    assert.equal(after.pageviews.total, before.pageviews.total);
    const metrics = await (await fetch(`http://127.0.0.1:${hc.server.port}/metrics`)).text();
    assert.match(metrics, /headcount_online_visitors\{site="demo",kind="bot"\} 2/);
    await closeAll();
  });

  it('caps open sockets per address, trusting X-Forwarded-For only from the configured proxy', async () => {
    const before = await rejected('address_limit');
    const held = await Promise.all(Array.from({ length: 6 }, () => page({ 'x-forwarded-for': '203.0.113.7' })));
    await assert.rejects(page({ 'x-forwarded-for': '203.0.113.7' }), (e: any) => e.status === 429 && /too many open connections/.test(JSON.parse(e.body).error));
    // A different reader behind the same (trusted, loopback) proxy is not affected.
    await (await page({ 'x-forwarded-for': '203.0.113.8' })).hello();
    // A spoofed leftmost entry does not make a new address: the proxy appends the real one last.
    await assert.rejects(page({ 'x-forwarded-for': '198.51.100.1, 203.0.113.7' }), (e: any) => e.status === 429);
    assert.equal(await rejected('address_limit'), before + 2);
    await held[0]!.close();
    await eventually(async () => page({ 'x-forwarded-for': '203.0.113.7' }).then(() => true, () => false), (ok) => ok);
    await closeAll();
  });

  it('closes a socket that floods messages with 4429', async () => {
    const client = await page();
    await client.hello();
    for (let i = 0; i < 40; i++) client.send({ t: 'vis', vis: i % 2 ? 'hidden' : 'visible' });
    const closed = await client.closed;
    assert.deepEqual(closed, { code: CloseCode.rateLimited, reason: 'more than 40 messages per minute' });
    await eventually(stats, (s) => s.online.guests === 0);
  });

  it('runs on ws 8.21 or later (fixes for the 2024 header DoS and the tiny-fragment memory DoS)', () => {
    const version = createRequire(import.meta.url)('ws/package.json').version as string;
    const [major, minor] = version.split('.').map(Number) as [number, number];
    assert.ok(major > 8 || (major === 8 && minor >= 21), `ws ${version}`);
  });

  it('survives a handshake with 2,000 headers and keeps serving', async () => {
    const headers = Array.from({ length: 2_000 }, (_, i) => `X-Filler-${i}: ${'a'.repeat(8)}\r\n`).join('');
    const answer = await raw(
      hc.server.port,
      `GET /ws?site=demo HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://localhost:3000\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${headers}\r\n`,
    );
    assert.match(answer, /^HTTP\/1\.1 431/);
    await (await page()).hello();
    assert.equal((await stats()).online.guests, 1);
    await closeAll();
  });

  it('bounds a flood of tiny fragments and counts nothing for it', async () => {
    const before = await stats();
    const handshake = `GET /ws?site=demo HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://localhost:3000\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    // A text frame without FIN, then 100,000 masked one-byte continuation frames, none final.
    const mask = Buffer.from([1, 2, 3, 4]);
    const frame = (opcode: number, byte: number) => Buffer.concat([Buffer.from([opcode, 0x80 | 1]), mask, Buffer.from([byte ^ mask[0]!])]);
    const fragments = Buffer.concat([frame(0x01, 0x7b), ...Array.from({ length: 100_000 }, () => frame(0x00, 0x20))]);
    const answer = await raw(hc.server.port, Buffer.concat([Buffer.from(handshake), fragments]), 3_000);
    assert.match(answer, /^HTTP\/1\.1 101/);
    // The server closed the connection (1009: the message passed maxPayload) instead of buffering it all.
    assert.ok(answer.includes('\x88'), 'a close frame was sent');
    const after = await stats();
    assert.deepEqual([after.online, after.pageviews.total], [before.online, before.pageviews.total]);
  });
});
