// The WebSocket protocol end to end, in process, against the embedded store.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { CloseCode } from '../../src/protocol.js';
import { DEMO_SITE } from '../../src/sites.js';
import { startInProcess, type InProcess } from '../support/in-process.js';
import { eventually, isCounts, PageClient } from '../support/page-client.js';

const MINUTE = 60_000;

async function memberToken(sub: string, expiresInSeconds = 300, now = Date.now()): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setAudience('demo')
    .setExpirationTime(Math.floor(now / 1000) + expiresInSeconds)
    .sign(new TextEncoder().encode(DEMO_SITE.memberSecret));
}

describe('WebSocket transport', () => {
  let hc: InProcess;
  const open: PageClient[] = [];
  const page = async () => {
    const client = await PageClient.open(hc.wsUrl);
    open.push(client);
    return client;
  };
  const online = async () => (await hc.stats()).body.online;
  const pageviews = async () => (await hc.stats()).body.pageviews.total as number;
  const closeAll = async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
    await eventually(online, (o) => o.total === 0 && o.bots === 0);
  };

  before(async () => {
    hc = await startInProcess({ HELLO_TIMEOUT_MS: '300', HEARTBEAT_INTERVAL_MS: '200', PUSH_COALESCE_MS: '50' });
  });
  after(async () => {
    await closeAll();
    await hc.stop();
  });

  it('counts two tabs of one visitor once, a second visitor apart, and drops a closed one at once', async () => {
    const vid = randomUUID();
    const [tab1, tab2, other] = await Promise.all([page(), page(), page()]);
    assert.equal((await tab1.hello({ vid })).resumed, false);
    await tab2.hello({ vid });
    assert.deepEqual(await online(), { guests: 1, members: 0, total: 1, bots: 0 });
    await other.hello();
    assert.deepEqual(await online(), { guests: 2, members: 0, total: 2, bots: 0 });
    const started = Date.now();
    await other.close();
    await eventually(online, (o) => o.guests === 1, 2_000);
    assert.ok(Date.now() - started < 2_000);
    await closeAll();
  });

  it('moves a visitor with a valid member token to members, once across devices', async () => {
    const token = await memberToken('reader-42');
    const [phone, laptop] = await Promise.all([page(), page()]);
    const welcome = await phone.hello({ member: token });
    assert.equal(welcome.kind, 'member');
    assert.ok(welcome.ticket);
    await laptop.hello({ member: token });
    assert.deepEqual(await online(), { guests: 0, members: 1, total: 1, bots: 0 });
    await closeAll();
  });

  it('refuses expired and forged member tokens with 4401 and counts nothing', async () => {
    const before = await pageviews();
    const expired = await page();
    expired.send({ t: 'hello', site: 'demo', vid: randomUUID(), psid: randomUUID(), url: '/a', member: await memberToken('r', -120) });
    assert.deepEqual(await expired.closed, { code: CloseCode.badMemberToken, reason: 'member token expired' });
    const forged = await page();
    const bad = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('r').setAudience('demo').setExpirationTime('5m').sign(new TextEncoder().encode('not-the-site-secret-but-long-enough-000'));
    forged.send({ t: 'hello', site: 'demo', vid: randomUUID(), psid: randomUUID(), url: '/a', member: bad });
    assert.deepEqual(await forged.closed, { code: CloseCode.badMemberToken, reason: 'member token signature invalid' });
    assert.equal(await pageviews(), before);
    assert.deepEqual(await online(), { guests: 0, members: 0, total: 0, bots: 0 });
  });

  it('keeps a member a member on reconnect with the ticket after the token expired', async () => {
    const psid = randomUUID();
    const first = await page();
    const welcome = await first.hello({ psid, member: await memberToken('reader-7', 60) });
    await first.close();
    hc.advance(5 * MINUTE);
    const again = await page();
    const resumed = await again.hello({ psid, ticket: welcome.ticket! });
    assert.deepEqual([resumed.kind, resumed.resumed], ['member', true]);
    assert.equal((await online()).members, 1);
    await closeAll();
  });

  it('refuses unknown sites with 404 and foreign origins with 403 before a socket exists', async () => {
    await assert.rejects(PageClient.open(hc.wsUrl, 'nope'), (e: any) => e.status === 404 && JSON.parse(e.body).error === 'unknown site');
    await assert.rejects(PageClient.open(hc.wsUrl, 'demo', 'https://evil.example'), (e: any) => e.status === 403 && /origin not allowed/.test(JSON.parse(e.body).error));
    await assert.rejects(PageClient.open(hc.wsUrl, 'demo', null), (e: any) => e.status === 403);
    await assert.rejects(PageClient.open(hc.wsUrl.replace('/ws', '/other'), 'demo'), (e: any) => e.status === 404);
  });

  for (const [what, send, code, reason] of [
    ['not JSON', (c: PageClient) => c.socket.send('{"t":'), CloseCode.badMessage, 'not JSON'],
    ['an unknown type', (c: PageClient) => c.send({ t: 'join' }), CloseCode.badMessage, 'unknown message type "join"'],
    ['a binary frame', (c: PageClient) => c.socket.send(Buffer.from([1, 2, 3])), CloseCode.badMessage, 'binary frames are not part of the protocol'],
    ['an oversized frame', (c: PageClient) => c.socket.send('x'.repeat(9000)), CloseCode.tooBig, 'message over 8192 bytes'],
    ['a hello for another site', (c: PageClient) => c.send({ t: 'hello', site: 'other', vid: randomUUID(), psid: randomUUID(), url: '/a' }), CloseCode.wrongSite, 'hello site differs from the connection site'],
    ['a page before hello', (c: PageClient) => c.send({ t: 'page', psid: randomUUID(), url: '/a' }), CloseCode.badMessage, 'page before hello'],
    ['silence', (_c: PageClient) => undefined, CloseCode.helloTimeout, 'no hello within 300 ms'],
  ] as const) {
    it(`closes on ${what} with ${code} and counts nothing`, async () => {
      const before = await pageviews();
      const client = await page();
      send(client);
      const closed = await client.closed;
      assert.equal(closed.code, code);
      if (reason) assert.equal(closed.reason, reason);
      assert.equal(await pageviews(), before);
      assert.deepEqual(await online(), { guests: 0, members: 0, total: 0, bots: 0 });
    });
  }

  it('refuses a second hello on one socket', async () => {
    const client = await page();
    await client.hello();
    client.send({ t: 'hello', site: 'demo', vid: randomUUID(), psid: randomUUID(), url: '/b' });
    assert.deepEqual(await client.closed, { code: CloseCode.badMessage, reason: 'hello sent twice' });
    await eventually(online, (o) => o.total === 0);
  });

  it('resumes a page session that reconnects: no pageview, no visit', async () => {
    const vid = randomUUID();
    const psid = randomUUID();
    const first = await page();
    await first.hello({ vid, psid });
    const counted = (await hc.stats()).body;
    await first.close();
    const again = await page();
    assert.equal((await again.hello({ vid, psid })).resumed, true);
    const now = (await hc.stats()).body;
    assert.deepEqual([now.pageviews.total, now.visits.total, now.online.guests], [counted.pageviews.total, counted.visits.total, 1]);
    await closeAll();
  });

  it('hands a page session to its newer socket with 4409 and keeps it counted once', async () => {
    const psid = randomUUID();
    const vid = randomUUID();
    const old = await page();
    await old.hello({ vid, psid });
    const before = await pageviews();
    const fresh = await page();
    assert.equal((await fresh.hello({ vid, psid })).resumed, true);
    assert.equal((await old.closed).code, CloseCode.replaced);
    assert.equal(await pageviews(), before);
    assert.equal((await online()).guests, 1);
    await closeAll();
  });

  it('counts single-page navigation as a new pageview of the same visitor', async () => {
    const client = await page();
    await client.hello();
    const before = await pageviews();
    const from = client.messages.length;
    const psid = randomUUID();
    client.send({ t: 'page', psid, url: '/next' });
    const welcome = await client.next((m): m is any => m.t === 'welcome', 3_000, from);
    assert.equal(welcome.psid, psid);
    assert.equal(await pageviews(), before + 1);
    assert.equal((await online()).guests, 1);
    await closeAll();
  });

  it('pushes coalesced counts to subscribers when they change', async () => {
    const widget = await page();
    widget.send({ t: 'sub', on: true });
    const first = await widget.next(isCounts);
    assert.equal(first.online.total, 0);
    const from = widget.messages.length;
    const readers = await Promise.all([page(), page(), page()]);
    await Promise.all(readers.map((r) => r.hello()));
    const pushed = await widget.next((m): m is any => isCounts(m) && m.online.total === 3, 2_000, from);
    assert.equal(pushed.site, 'demo');
    assert.ok(widget.messages.slice(from).length <= 3, 'three joins within the coalescing window give at most three pushes');
    await closeAll();
  });

  it('keeps hidden pages online and counts them as idle sockets', async () => {
    const hidden = async () => Number(/^headcount_hidden_sockets (\d+)$/m.exec(await (await fetch(`http://127.0.0.1:${hc.server.port}/metrics`)).text())?.[1]);
    const client = await page();
    await client.hello({ vis: 'visible' });
    client.send({ t: 'vis', vis: 'hidden' });
    await eventually(hidden, (n) => n === 1);
    assert.equal((await online()).guests, 1);
    client.send({ t: 'vis', vis: 'hidden' });
    client.send({ t: 'vis', vis: 'visible' });
    await eventually(hidden, (n) => n === 0);
    const again = await page();
    await again.hello({ vis: 'hidden' });
    await eventually(hidden, (n) => n === 1);
    await closeAll();
    await eventually(hidden, (n) => n === 0);
  });

  it('drops a peer that stops answering pings within two intervals', async () => {
    const socket = new WebSocket(`${hc.wsUrl}?site=demo`, { origin: 'http://localhost:3000', autoPong: false });
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ t: 'hello', site: 'demo', vid: randomUUID(), psid: randomUUID(), url: '/a' }));
    await eventually(online, (o) => o.guests === 1);
    const started = Date.now();
    await eventually(online, (o) => o.guests === 0, 2_000);
    assert.ok(Date.now() - started <= 1_000, 'heartbeat is 200 ms: gone within a few intervals');
    socket.terminate();
  });

  it('counts a pageview after 30 idle minutes as a new visit, and sooner ones as the same visit', async () => {
    const vid = randomUUID();
    const visits = async () => (await hc.stats()).body.visits.total as number;
    const start = await visits();
    const first = await page();
    await first.hello({ vid });
    await first.close();
    hc.advance(29 * MINUTE);
    const second = await page();
    await second.hello({ vid });
    await second.close();
    assert.equal(await visits(), start + 1);
    hc.advance(31 * MINUTE);
    const third = await page();
    await third.hello({ vid });
    assert.equal(await visits(), start + 2);
    await closeAll();
  });
});
