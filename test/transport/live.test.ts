// Live pages over the socket, in process, on the embedded store: which page and source a page session
// counts under, server-timed engagement, the live view and readers subscriptions, and bad input
// (foreign and script urls, dirty titles, invented urls by the thousand, eng floods, missing tokens).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { periodsAt } from '../../src/calendar.js';
import { CloseCode, type HelloMessage, type LiveMessage, type ReadersMessage, type ServerMessage } from '../../src/protocol.js';
import type { LiveFigures } from '../../src/store/store.js';
import { Redis } from 'ioredis';
import { heapAfterGc } from '../support/heap.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { startInProcess, type InProcess } from '../support/in-process.js';
import { eventually, isWelcome, PageClient } from '../support/page-client.js';

const ORIGIN = 'http://localhost:3000';
const ARTICLE = `${ORIGIN}/thoi-su/bai-viet-1.html`;
const READ_TOKEN = 'read-token-of-the-paper-site-0123456789';
const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const MAX_LIVE_PAGES = 50;
const COALESCE_MS = 100;

const isLive = (m: ServerMessage): m is LiveMessage => m.t === 'live';
const isReaders = (m: ServerMessage): m is ReadersMessage => m.t === 'readers';

/** The socket's close, or a failure after `ms`: a server that never closes must not hang the test. */
function closedWithin(client: PageClient, ms = 3_000) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms)));
  return Promise.race([client.closed, timeout]).finally(() => clearTimeout(timer));
}

for (const storeKind of ['embedded', 'redis'] as const) {
  describe(`live pages over the socket (${storeKind} store)`, () => {
    let hc: InProcess;
    let redis: RedisServer | undefined;
    const redisKeys = async () => {
      if (!redis) return 0;
      const client = new Redis(redis.url);
      try {
        return await client.dbsize();
      } finally {
        client.disconnect();
      }
    };
    const open: PageClient[] = [];
    let offset = 0;
    const advance = (ms: number) => {
      offset += ms;
      hc.advance(ms);
    };

    const connect = async (site = 'demo') => {
      const client = await PageClient.open(hc.wsUrl, site, ORIGIN);
      open.push(client);
      return client;
    };
    const reader = async (fields: Partial<HelloMessage> = {}) => {
      const client = await connect();
      await client.hello({ url: ARTICLE, ...fields });
      return client;
    };
    const live = (site = 'demo'): Promise<LiveFigures> => hc.store.live(site, 100);
    const pageOf = async (url: string) => (await live()).pages.find((p) => p.url === url);

    before(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'headcount-live-'));
      const sitesFile = join(dir, 'sites.json');
      const site = { origins: ['http://localhost:*'], memberSecret: 'm'.repeat(40), timeZone: 'Asia/Ho_Chi_Minh' };
      writeFileSync(
        sitesFile,
        JSON.stringify({ sites: [{ id: 'demo', ...site, live: 'public', pageParams: ['id'] }, { id: 'paper', ...site, live: 'private', readToken: READ_TOKEN }] }),
      );
      redis = storeKind === 'redis' ? await startRedisServer() : undefined;
      hc = await startInProcess({ ...(redis && { REDIS_URL: redis.url, KEY_PREFIX: 'live' }), SITES_FILE: sitesFile, ADMIN_TOKEN, LIVE_PAGES_MAX: String(MAX_LIVE_PAGES), PUSH_COALESCE_MS: String(COALESCE_MS), MAX_SOCKETS_PER_IP: '100000' });
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((c) => c.close()));
      await eventually(live, (figures) => figures.pages.length === 0);
    });
    after(async () => {
      await hc.stop();
      await redis?.stop();
    });

    describe('which page', () => {
      it('counts javascript:, data: and foreign-host urls under "(other)", and a canonical link on the site as the page', async () => {
        for (const url of ['javascript:alert(1)', 'data:text/html,<p>x</p>', 'https://evil.example/thoi-su/bai-viet-1.html', 'http://localhost.evil.example/a']) await reader({ url });
        // A canonical link off the site is ignored; one on the site names the page, without query or fragment.
        await reader({ url: `${ORIGIN}/amp/1?utm_source=x#top`, canon: 'https://evil.example/1' });
        await reader({ url: `${ORIGIN}/amp/1`, canon: `${ORIGIN}/bai-1?id=7&ref=x#c` });
        const figures = await live();
        assert.deepEqual(
          figures.pages.map((p) => [p.url, p.readers]),
          [
            ['(other)', 4],
            [`${ORIGIN}/amp/1`, 1],
            [`${ORIGIN}/bai-1?id=7`, 1],
          ],
        );
      });

      it('cleans control characters and whitespace out of titles, sections and authors, and caps them', async () => {
        await reader({ title: `\u0007Tin\u200b  nóng\n\tsáng nay${'x'.repeat(1000)}`, section: ' Thời\u0000sự ', author: '\u202eAn\u202c' });
        const page = await pageOf(ARTICLE);
        const title = page?.title ?? '';
        assert.ok(title.startsWith('Tin nóng sáng nay'), JSON.stringify(title));
        assert.ok([...title].length <= 200, `title of ${[...title].length} characters`);
        assert.doesNotMatch(title, /[\u0000-\u001f\u200b\u202e]/);
        assert.equal(page?.section, 'Thờisự');
        assert.equal(page?.author, 'An');
      });

      it('keeps at most LIVE_PAGES_MAX live pages and flat memory under thousands of invented urls and titles', async () => {
        // Beyond the bound, further pages count under "(other)".
        const many = await Promise.all(Array.from({ length: 3 * MAX_LIVE_PAGES }, (_, i) => reader({ url: `${ORIGIN}/invented/${i}`, title: `t${i}` })));
        const figures = await live();
        assert.ok(figures.pages.length <= MAX_LIVE_PAGES + 1, `${figures.pages.length} live pages`);
        assert.equal(figures.pages.reduce((sum, p) => sum + p.readers, 0), many.length);
        await Promise.all(open.splice(0).map((c) => c.close()));
        await eventually(live, (f) => f.pages.length === 0);
        // 2,000 page sessions with invented urls and titles, 50 at a time, each on its own socket.
        const heapBefore = await heapAfterGc();
        const keysBefore = await redisKeys();
        for (let batch = 0; batch < 40; batch++) {
          const clients = await Promise.all(Array.from({ length: 50 }, (_, i) => reader({ url: `${ORIGIN}/x/${randomUUID()}?id=${batch * 50 + i}`, title: randomUUID().repeat(20) })));
          assert.ok((await live()).pages.length <= MAX_LIVE_PAGES + 1);
          await Promise.all(clients.map((c) => c.close()));
          open.splice(0);
        }
        await eventually(live, (f) => f.pages.length === 0);
        assert.ok((await heapAfterGc()) - heapBefore < 16 * 1024 * 1024, 'heap grew less than 16 MB');
        // Nothing keyed by the invented urls is left: a page's live entry goes with its last reader.
        assert.equal(await redisKeys(), keysBefore, 'Redis key count');
      });

      it('counts two tabs of one visitor on one article as one reader', async () => {
        const vid = randomUUID();
        await reader({ vid });
        await reader({ vid });
        assert.equal((await pageOf(ARTICLE))?.readers, 1);
        assert.equal((await hc.stats()).body.online.total, 1);
      });
    });

    describe('where from', () => {
      it('classifies Google, Zalo, Facebook, utm_medium=email, no referrer and an SPA navigation', async () => {
        await reader({ url: `${ORIGIN}/google`, ref: 'https://www.google.com.vn/' });
        await reader({ url: `${ORIGIN}/zalo`, ref: 'https://zalo.me/' });
        await reader({ url: `${ORIGIN}/facebook`, ref: 'https://m.facebook.com/' });
        await reader({ url: `${ORIGIN}/email?utm_source=newsletter&utm_medium=email` });
        await reader({ url: `${ORIGIN}/direct` });
        const spa = await reader({ url: `${ORIGIN}/spa-start`, ref: 'https://www.google.com/' });
        const from = spa.messages.length;
        spa.send({ t: 'page', psid: randomUUID(), url: `${ORIGIN}/spa-next`, ref: `${ORIGIN}/spa-start` });
        await spa.next(isWelcome, 3_000, from);
        const sourceOf = async (path: string) => {
          const sources: Record<string, number> = (await pageOf(`${ORIGIN}/${path}`))?.sources ?? {};
          return Object.entries(sources).filter(([, n]) => n > 0).map(([source]) => source);
        };
        assert.deepEqual(await sourceOf('google'), ['search']);
        assert.deepEqual(await sourceOf('zalo'), ['social']);
        assert.deepEqual(await sourceOf('facebook'), ['social']);
        assert.deepEqual(await sourceOf('email'), ['email']);
        assert.deepEqual(await sourceOf('direct'), ['direct']);
        assert.deepEqual(await sourceOf('spa-next'), ['internal']);
        assert.equal(await pageOf(`${ORIGIN}/spa-start`), undefined, 'the page left behind has no readers');
        const figures = await live();
        assert.deepEqual(figures.sources, { direct: 1, internal: 1, search: 1, social: 2, ai: 0, email: 1, other: 0 });
        assert.deepEqual(figures.referrers.map((r) => r.host).sort(), ['google.com.vn', 'm.facebook.com', 'zalo.me'].sort());
      });
    });

    describe('engaged or idle', () => {
      it('starts engaged when visible, turns idle on eng false or a hidden page, and engaged again on eng true', async () => {
        const client = await reader();
        assert.equal((await live()).engaged, 1);
        client.send({ t: 'vis', vis: 'hidden' });
        await eventually(live, (f) => f.engaged === 0);
        client.send({ t: 'vis', vis: 'visible' });
        client.send({ t: 'eng', on: true });
        await eventually(live, (f) => f.engaged === 1);
        advance(5_000);
        client.send({ t: 'eng', on: false });
        await eventually(live, (f) => f.engaged === 0 && f.pages[0]?.engaged === 0);
        const hidden = await reader({ vis: 'hidden' });
        assert.equal((await live()).engaged, 0);
        assert.equal((await pageOf(ARTICLE))?.readers, 2);
        await hidden.close();
      });

      it('closes an eng flood with 4429', async () => {
        const client = await reader();
        for (let i = 0; i < 6; i++) client.send({ t: 'eng', on: i % 2 === 0 });
        assert.deepEqual(await closedWithin(client), { code: CloseCode.rateLimited, reason: 'more than one eng message per 5 s' });
      });

      it('times engaged seconds with the server clock: never more than the session lasted', async () => {
        const url = `${ORIGIN}/timed-${randomUUID()}`;
        const client = await reader({ url });
        // Repeats claim nothing: only the server's clock between changes counts.
        client.send({ t: 'eng', on: true });
        advance(4_000);
        // Each change is timed when the server handles it: wait for that before moving the clock on.
        client.send({ t: 'eng', on: false });
        await eventually(live, (f) => f.engaged === 0);
        advance(60_000);
        client.send({ t: 'eng', on: true });
        await eventually(live, (f) => f.engaged === 1);
        advance(3_000);
        await client.close();
        const day = periodsAt(Date.now() + offset, 'Asia/Ho_Chi_Minh').day;
        const read = async () => (await hc.store.dayPages('demo', day, 1_000)).find((p) => p.url === url);
        // The leave carries the last engaged span.
        await eventually(live, (f) => f.pages.length === 0);
        const page = await read();
        assert.equal(page?.engagedSeconds, 7);
        assert.equal(page?.pageviews, 1);
      });

      it('refuses eng and readers before the hello with 4400', async () => {
        const early = await connect();
        early.send({ t: 'eng', on: true });
        assert.deepEqual(await closedWithin(early), { code: CloseCode.badMessage, reason: 'eng before hello' });
        const readers = await connect();
        readers.send({ t: 'readers', on: true });
        assert.deepEqual(await closedWithin(readers), { code: CloseCode.badMessage, reason: 'readers before hello' });
      });
    });

    describe('live view subscriptions', () => {
      it('pushes the live view on subscribe and after a join, without counting the dashboard', async () => {
        const dashboard = await connect();
        dashboard.send({ t: 'live', on: true, n: 2 });
        const first = await dashboard.next(isLive);
        assert.deepEqual([first.site, first.online.total, first.pages], ['demo', 0, []]);
        const from = dashboard.messages.length;
        await reader({ title: 'Bài một', section: 'Thời sự' });
        const pushed = await dashboard.next((m): m is LiveMessage => isLive(m) && m.pages.length === 1, COALESCE_MS + 2_000, from);
        assert.deepEqual(pushed.pages[0], {
          url: ARTICLE,
          title: 'Bài một',
          section: 'Thời sự',
          readers: 1,
          engaged: 1,
          sources: { direct: 1, internal: 0, search: 0, social: 0, ai: 0, email: 0, other: 0 },
        });
        assert.equal(pushed.online.total, 1, 'the dashboard is not counted');
        // n limits the pages this socket receives.
        await reader({ url: `${ORIGIN}/b` });
        await reader({ url: `${ORIGIN}/c` });
        const capped = await dashboard.next((m): m is LiveMessage => isLive(m) && m.online.total === 3, COALESCE_MS + 2_000);
        assert.equal(capped.pages.length, 2);
      });

      it('pushes engagement changes', async () => {
        const client = await reader();
        const dashboard = await connect();
        dashboard.send({ t: 'live', on: true });
        assert.equal((await dashboard.next(isLive)).engaged, 1);
        client.send({ t: 'eng', on: false });
        const idle = await dashboard.next((m): m is LiveMessage => isLive(m) && m.engaged === 0, COALESCE_MS + 2_000);
        assert.deepEqual([idle.pages[0]?.readers, idle.pages[0]?.engaged], [1, 0]);
        client.send({ t: 'eng', on: true });
        await dashboard.next((m): m is LiveMessage => isLive(m) && m.engaged === 1 && m.pages[0]?.engaged === 1, COALESCE_MS + 2_000);
      });

      it('sends nothing when the figures a subscriber receives did not change', async () => {
        const vid = randomUUID();
        await reader({ vid });
        const dashboard = await connect();
        dashboard.send({ t: 'live', on: true });
        await dashboard.next(isLive);
        // A second tab of the same reader: a pageview, but the same live view.
        await reader({ vid });
        await new Promise((r) => setTimeout(r, COALESCE_MS * 4));
        assert.equal(dashboard.messages.filter(isLive).length, 1);
        await reader();
        assert.equal((await dashboard.next((m): m is LiveMessage => isLive(m) && m.online.total === 2, COALESCE_MS + 2_000)).pages[0]?.readers, 2);
      });

      it("needs the read token or ADMIN_TOKEN for a private site's live view", async () => {
        const without = await connect('paper');
        without.send({ t: 'live', on: true });
        assert.deepEqual(await closedWithin(without), { code: CloseCode.forbidden, reason: 'live view of this site needs its read token' });
        const wrong = await connect('paper');
        wrong.send({ t: 'live', on: true, token: `${READ_TOKEN}x` });
        assert.equal((await closedWithin(wrong)).code, CloseCode.forbidden);
        for (const token of [READ_TOKEN, ADMIN_TOKEN]) {
          const dashboard = await connect('paper');
          dashboard.send({ t: 'live', on: true, token });
          assert.equal((await dashboard.next(isLive)).site, 'paper');
        }
        const rejected = (await (await fetch(`http://127.0.0.1:${hc.server.port}/metrics`)).text()).match(/headcount_sessions_rejected_total\{reason="live_token"\} (\d+)/);
        assert.equal(rejected?.[1], '2');
      });
    });

    describe('readers subscriptions', () => {
      it("pushes the readers of the socket's page as they change, and follows its navigation", async () => {
        const first = await reader();
        first.send({ t: 'readers', on: true });
        assert.deepEqual(await first.next(isReaders), { t: 'readers', url: ARTICLE, readers: 1 });
        const second = await reader();
        await first.next((m): m is ReadersMessage => isReaders(m) && m.readers === 2, COALESCE_MS + 2_000);
        const opened = first.messages.length;
        await second.close();
        await first.next((m): m is ReadersMessage => isReaders(m) && m.readers === 1, COALESCE_MS + 2_000, opened);
        // Others' articles change nothing this socket receives.
        const before = first.messages.length;
        await reader({ url: `${ORIGIN}/elsewhere` });
        await new Promise((r) => setTimeout(r, COALESCE_MS * 3));
        assert.equal(first.messages.slice(before).filter(isReaders).length, 0);
        // A page message moves the subscription to the new page.
        first.send({ t: 'page', psid: randomUUID(), url: `${ORIGIN}/elsewhere`, ref: ARTICLE });
        assert.deepEqual(await first.next((m): m is ReadersMessage => isReaders(m) && m.url !== ARTICLE, 3_000, before), {
          t: 'readers',
          url: `${ORIGIN}/elsewhere`,
          readers: 2,
        });
      });
    });
  });
}
