// Member sessions, bots and native apps over the WebSocket, in process, on the embedded store:
// the ticket chain's deadline, token clock leeway, bots that send tokens, app origins, the `page` allowance.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, SignJWT, type JWTPayload } from 'jose';
import { CloseCode, type ServerMessage, type WelcomeMessage } from '../../src/protocol.js';
import { DEMO_SITE } from '../../src/sites.js';
import { startInProcess, type InProcess } from '../support/in-process.js';
import { eventually, isCounts, isWelcome, PageClient } from '../support/page-client.js';

const MINUTE = 60_000;

/** The socket's close, or a failure after `ms`: a server that never closes must not hang the test. */
function closedWithin(client: PageClient, ms = 3_000) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms)));
  return Promise.race([client.closed, timeout]).finally(() => clearTimeout(timer));
}
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

function memberToken(now: number, claims: JWTPayload = {}): Promise<string> {
  const s = Math.floor(now / 1000);
  return new SignJWT({ sub: 'reader-7', aud: 'demo', iat: s, exp: s + 300, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(DEMO_SITE.memberSecret));
}

describe('member sessions over the socket', () => {
  let hc: InProcess;
  let offset = 0;
  const now = () => Date.now() + offset;
  const advance = (ms: number) => {
    offset += ms;
    hc.advance(ms);
  };
  const open: PageClient[] = [];
  const page = async (headers: Record<string, string> = {}) => {
    const client = await PageClient.open(hc.wsUrl, 'demo', undefined, headers);
    open.push(client);
    return client;
  };
  const online = async () => (await hc.stats()).body.online;
  const pageviews = async () => (await hc.stats()).body.pageviews.total as number;
  const navigate = async (client: PageClient, psid: string): Promise<WelcomeMessage> => {
    const from = client.messages.length;
    client.send({ t: 'page', psid, url: `http://localhost:3000/${psid}.html` });
    return client.next(isWelcome, 3_000, from);
  };
  const closeAll = async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
    await eventually(online, (o) => o.total === 0 && o.bots === 0);
  };

  before(async () => {
    hc = await startInProcess({ MEMBER_SESSION_MAX_S: '3600', PUSH_COALESCE_MS: '0' });
  });
  after(async () => {
    await closeAll();
    await hc.stop();
  });

  it('ends a member session at the deadline set by its token, however often the page navigates', async () => {
    const client = await page();
    const start = now();
    const first = await client.hello({ member: await memberToken(start) });
    assert.equal(first.kind, 'member');
    const deadline = decodeJwt(first.ticket!).dl as number;
    assert.ok(Math.abs(deadline * 1000 - (start + 60 * MINUTE)) <= 2_000, 'deadline = verification time + MEMBER_SESSION_MAX_S');
    const kinds: string[] = [];
    let last = first;
    for (let step = 0; step < 3; step++) {
      advance(25 * MINUTE);
      const welcome = await navigate(client, randomUUID());
      kinds.push(welcome.kind);
      if (welcome.ticket) {
        const claims = decodeJwt(welcome.ticket);
        assert.equal(claims.dl, deadline, 'a renewed ticket keeps the deadline');
        assert.ok(claims.exp! <= deadline, 'and never outlives it');
        last = welcome;
      }
    }
    assert.deepEqual(kinds, ['member', 'member', 'guest'], 'after the deadline the next page counts as a guest');
    assert.deepEqual(await online(), { guests: 1, members: 0, total: 1, bots: 0 });
    await client.close();
    // The last ticket cannot bring the member back either.
    const again = await page();
    again.send({ t: 'hello', site: 'demo', vid: randomUUID(), psid: last.psid, url: '/a', ticket: last.ticket });
    assert.deepEqual(await closedWithin(again), { code: CloseCode.badMemberToken, reason: 'resume ticket expired (member session limit reached)' });
    await closeAll();
  });

  it('binds a ticket to its page session: a page message moves membership, an old ticket resumes nothing else', async () => {
    const client = await page();
    const first = await client.hello({ member: await memberToken(now()) });
    const next = await navigate(client, randomUUID());
    assert.equal(next.kind, 'member');
    await client.close();
    const thief = await page();
    thief.send({ t: 'hello', site: 'demo', vid: randomUUID(), psid: next.psid, url: '/a', ticket: first.ticket });
    assert.deepEqual(await closedWithin(thief), { code: CloseCode.badMemberToken, reason: 'resume ticket is for another page session' });
    const back = await page();
    assert.deepEqual((({ kind, resumed }) => ({ kind, resumed }))(await back.hello({ psid: next.psid, ticket: next.ticket! })), { kind: 'member', resumed: true });
    await closeAll();
  });

  it('changes nothing for a page message that names the current page session', async () => {
    const client = await page();
    const welcome = await client.hello({ member: await memberToken(now()) });
    const before = await pageviews();
    const from = client.messages.length;
    client.send({ t: 'page', psid: welcome.psid, url: '/same' });
    client.send({ t: 'sub', on: true });
    await client.next(isCounts, 3_000, from);
    assert.deepEqual(client.messages.slice(from).filter(isWelcome), [], 'no new welcome, so no renewed ticket');
    assert.equal(await pageviews(), before);
    assert.deepEqual(await online(), { guests: 0, members: 1, total: 1, bots: 0 });
    await closeAll();
  });

  it('tolerates a member token from a clock a little ahead, and names a missing aud', async () => {
    const s = Math.floor(now() / 1000);
    const ahead = await page();
    assert.equal((await ahead.hello({ member: await memberToken(now(), { nbf: s + 2, iat: s + 2 }) })).kind, 'member');
    const future = await page();
    future.send({ t: 'hello', site: 'demo', vid: randomUUID(), psid: randomUUID(), url: '/a', member: await memberToken(now(), { nbf: s + 120 }) });
    assert.deepEqual(await closedWithin(future), { code: CloseCode.badMemberToken, reason: 'member token not valid yet (claim "nbf")' });
    const noAud = await page();
    noAud.send({ t: 'hello', site: 'demo', vid: randomUUID(), psid: randomUUID(), url: '/a', member: await memberToken(now(), { aud: undefined }) });
    assert.deepEqual(await closedWithin(noAud), { code: CloseCode.badMemberToken, reason: 'member token claim "aud" missing' });
    await closeAll();
  });

  it('keeps a bot a bot when it sends a valid member token: no member, no ticket', async () => {
    const crawler = await page({ 'user-agent': GOOGLEBOT });
    const welcome = await crawler.hello({ member: await memberToken(now()) });
    assert.deepEqual([welcome.kind, welcome.ticket], ['bot', undefined]);
    const webdriver = await page();
    const flagged = await webdriver.hello({ member: await memberToken(now(), { sub: 'reader-8' }), bot: true });
    assert.deepEqual([flagged.kind, flagged.ticket], ['bot', undefined]);
    assert.deepEqual(await online(), { guests: 0, members: 0, total: 0, bots: 2 });
    // The token is still checked: a broken one is refused, whoever sends it.
    const forged = await page({ 'user-agent': GOOGLEBOT });
    forged.send({ t: 'hello', site: 'demo', vid: randomUUID(), psid: randomUUID(), url: '/a', member: 'not.a.token' });
    assert.equal((await closedWithin(forged)).code, CloseCode.badMemberToken);
    await closeAll();
  });

  it('allows page messages at a human pace only: a burst of 5, then 4429', async () => {
    const client = await page();
    await client.hello();
    const before = await pageviews();
    for (let i = 0; i < 5; i++) await navigate(client, randomUUID());
    client.send({ t: 'vis', vis: 'hidden' });
    client.send({ t: 'page', psid: randomUUID(), url: '/one-too-many' });
    assert.deepEqual(await closedWithin(client), { code: CloseCode.rateLimited, reason: 'more than 20 page messages per minute' });
    assert.equal(await pageviews(), before + 5);
    const rejected = await (await fetch(`http://127.0.0.1:${hc.server.port}/metrics`)).text();
    assert.match(rejected, /headcount_sessions_rejected_total\{reason="page_rate"\} 1/);
    await closeAll();
  });
});

describe('native apps', () => {
  let hc: InProcess;
  const open: PageClient[] = [];
  const APP = 'https://app.news.example';
  const WEB = 'https://news.example';
  const connect = async (origin: string, userAgent: string) => {
    const client = await PageClient.open(hc.wsUrl, 'news', origin, { 'user-agent': userAgent });
    open.push(client);
    return client;
  };
  const hello = (client: PageClient, fields: Record<string, unknown> = {}) => {
    const from = client.messages.length;
    client.send({ t: 'hello', site: 'news', vid: randomUUID(), psid: randomUUID(), url: 'https://news.example/thoi-su/bai-viet-1.html', ...fields });
    return client.next((m: ServerMessage): m is WelcomeMessage => m.t === 'welcome', 3_000, from);
  };
  const online = async () => (await hc.stats('news')).body.online;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'headcount-apps-'));
    const sitesFile = join(dir, 'sites.json');
    writeFileSync(sitesFile, JSON.stringify({ sites: [{ id: 'news', origins: [WEB], appOrigins: [APP], memberSecret: 'n'.repeat(40) }] }));
    hc = await startInProcess({ SITES_FILE: sitesFile });
  });
  after(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
    await hc.stop();
  });

  it('counts the site\'s app as readers whatever its HTTP stack calls itself', async () => {
    for (const userAgent of ['okhttp/4.12.0', 'NewsApp/1.0 (Android 14)', 'Python/3.11 websockets/12.0', 'Go-http-client/1.1']) {
      assert.equal((await hello(await connect(APP, userAgent))).kind, 'guest', userAgent);
    }
    assert.deepEqual(await online(), { guests: 4, members: 0, total: 4, bots: 0 });
  });

  it('still counts a bot user agent on the web origin, and an app that says bot, as bots', async () => {
    assert.equal((await hello(await connect(WEB, 'okhttp/4.12.0'))).kind, 'bot');
    assert.equal((await hello(await connect(APP, 'okhttp/4.12.0'), { bot: true })).kind, 'bot');
    assert.equal((await hello(await connect(APP, GOOGLEBOT), {})).kind, 'guest', 'an app origin is trusted by the operator: not judged by user agent');
  });
});
