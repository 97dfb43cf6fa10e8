// The store contract's live pages: readers, engaged readers and sources per page now, the top referring
// hosts, the bounds on what a client can make a store keep, and today's pages. Every store runs these.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { OTHER_PAGE } from '../../src/audience/page-url.js';
import { periodsAt } from '../../src/calendar.js';
import { SOURCES } from '../../src/audience/source.js';
import {
  MAX_LIVE_REFERRERS,
  OTHER_REFERRER,
  type JoinInput,
  type Kind,
  type PageRef,
  type Periods,
  type Source,
  type SourceCounts,
  type Store,
  type StoreOptions,
} from '../../src/store/store.js';
import type { StoreHarness } from './contract.js';

const MINUTE = 60_000;
const WINDOW = 30 * MINUTE;
const DAY: Periods = periodsAt(Date.UTC(2026, 10, 26, 3), 'UTC');
const NEXT_DAY: Periods = periodsAt(Date.UTC(2026, 10, 27, 3), 'UTC');
const A = 'https://news.example/a/1';
const B = 'https://news.example/a/2';
const C = 'https://news.example/a/3';
const D = 'https://news.example/a/4';

/** Source counts with every source present: the given ones, 0 for the rest. */
export function sources(counts: Partial<SourceCounts> = {}): SourceCounts {
  return Object.fromEntries(SOURCES.map((source) => [source, counts[source] ?? 0])) as SourceCounts;
}

interface Reading {
  readonly page?: string | PageRef;
  readonly kind?: Kind;
  readonly id?: string;
  readonly source?: Source;
  readonly referrerHost?: string;
  readonly engaged?: boolean;
  readonly periods?: Periods;
  readonly visitor?: string;
}

export function livePagesContract(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`store contract: ${name}: live pages`, () => {
    let harness: StoreHarness;
    let store: Store;
    let now: number;
    const site = 'contract';
    const options = (extra: Partial<StoreOptions> = {}): StoreOptions => ({ visitWindowMs: WINDOW, clock: () => now, ...extra });
    let n = 0;
    const psid = () => `live-session-${++n}`;
    /** Opens a page session of `identity` (a guest on page A, from direct, engaged, unless told otherwise). */
    const read = (identity: string, how: Reading = {}) => {
      const kind = how.kind ?? 'guest';
      const page = typeof how.page === 'string' ? { url: how.page } : (how.page ?? { url: A });
      const input: JoinInput = {
        site,
        psid: how.id ?? psid(),
        identity,
        visitor: how.visitor ?? (kind === 'guest' ? identity : `vid-of-${identity}`),
        kind,
        now,
        periods: how.periods ?? DAY,
        page,
        source: how.source ?? 'direct',
        referrerHost: how.referrerHost,
        engaged: how.engaged ?? true,
      };
      return store.join(input);
    };
    const page = async (url: string) => (await store.live(site, 100)).pages.find((entry) => entry.url === url);
    const report = (engaged: boolean, engagedMs = 0, periods = DAY) => ({ engaged, engagedMs, periods });
    const reopen = async (extra: Partial<StoreOptions> = {}) => {
      await store.close();
      store = await harness.open(options(extra));
    };

    beforeEach(async () => {
      now = Date.UTC(2026, 10, 26, 3, 0, 0);
      harness = await makeHarness();
      store = await harness.open(options());
    });

    afterEach(async () => {
      await store.close();
      await harness.cleanup();
    });

    it('reads no live pages and no day pages for a site nobody visited', async () => {
      assert.deepEqual(await store.live(site, 10), { engaged: 0, sources: sources(), referrers: [], pages: [] });
      assert.deepEqual(await store.readers(site, [A, B]), [0, 0]);
      assert.deepEqual(await store.dayPages(site, DAY.day, 10), []);
    });

    it('counts a page\'s readers as distinct visitors: two tabs of one visitor once, a second visitor apart', async () => {
      await read('visitor-a', { page: { url: A, title: 'Bão số 9', section: 'Thời sự', author: 'An' } });
      await read('visitor-a');
      assert.deepEqual(await page(A), { url: A, title: 'Bão số 9', section: 'Thời sự', author: 'An', readers: 1, engaged: 1, sources: sources({ direct: 1 }) });
      await read('visitor-b');
      await read('visitor-b', { page: B });
      assert.equal((await page(A))?.readers, 2);
      assert.equal((await page(B))?.readers, 1);
      assert.deepEqual(await store.readers(site, [A, B]), [2, 1]);
    });

    it('never counts bots as readers, engaged, sources, referrers or day pageviews', async () => {
      const crawler = psid();
      await read('crawler-1', { kind: 'bot', id: crawler, source: 'search', referrerHost: 'www.google.com' });
      await store.engage(site, crawler, now, report(true, 5_000));
      assert.deepEqual(await store.live(site, 10), { engaged: 0, sources: sources(), referrers: [], pages: [] });
      assert.deepEqual(await store.readers(site, [A]), [0]);
      await store.leave(site, crawler, now, report(false, 5_000));
      assert.deepEqual(await store.dayPages(site, DAY.day, 10), []);
      assert.equal((await store.read(site, DAY)).online.bot, 0);
    });

    it('counts a member on two devices on one page as one reader', async () => {
      await read('member-1', { kind: 'member', visitor: 'phone' });
      await read('member-1', { kind: 'member', visitor: 'laptop' });
      assert.deepEqual(await store.readers(site, [A]), [1]);
      assert.equal((await store.live(site, 10)).engaged, 1);
    });

    it('follows engage() and leave for the engaged readers of a page and of the site', async () => {
      const [a1, a2, b1] = [psid(), psid(), psid()];
      await read('visitor-a', { id: a1 });
      await read('visitor-a', { id: a2, page: B, engaged: false });
      await read('visitor-b', { id: b1, engaged: false });
      let live = await store.live(site, 10);
      assert.equal(live.engaged, 1);
      assert.deepEqual([(await page(A))?.engaged, (await page(B))?.engaged], [1, 0]);
      await store.engage(site, b1, now, report(true));
      await store.engage(site, a2, now, report(true));
      live = await store.live(site, 10);
      assert.equal(live.engaged, 2, 'visitor-a engaged on two pages is one engaged visitor');
      assert.deepEqual([(await page(A))?.engaged, (await page(B))?.engaged], [2, 1]);
      await store.engage(site, a1, now, report(false));
      assert.deepEqual([(await page(A))?.engaged, (await store.live(site, 10)).engaged], [1, 2]);
      await store.leave(site, a2, now);
      assert.deepEqual([(await page(A))?.engaged, (await store.live(site, 10)).engaged], [1, 1], 'only visitor-b is engaged now');
      assert.equal((await page(A))?.readers, 2, 'idle readers still read');
      await store.engage(site, 'never-joined', now, report(true, 1_000));
      assert.equal((await store.live(site, 10)).engaged, 1, 'an unknown page session is ignored');
    });

    it('counts an engaged reader once however many of their tabs on the page are engaged', async () => {
      const [first, second] = [psid(), psid()];
      await read('visitor-a', { id: first });
      await read('visitor-a', { id: second });
      assert.equal((await page(A))?.engaged, 1);
      await store.engage(site, first, now, report(false));
      assert.equal((await page(A))?.engaged, 1, 'the second tab is still engaged');
      await store.leave(site, second, now);
      assert.equal((await page(A))?.engaged, 0);
      assert.equal((await store.live(site, 10)).engaged, 0);
    });

    it('keeps a page session\'s engagement when it joins again under another visitor id or identity', async () => {
      const [a1, a2, b1] = [psid(), psid(), psid()];
      await read('visitor-a', { id: a1, visitor: 'device-1' });
      await read('visitor-a', { id: a1, visitor: 'device-2' });
      await read('visitor-a', { id: a2 });
      assert.deepEqual([(await page(A))?.readers, (await page(A))?.engaged, (await store.live(site, 10)).engaged], [1, 1, 1]);
      await store.engage(site, a1, now, report(false));
      assert.deepEqual([(await page(A))?.engaged, (await store.live(site, 10)).engaged], [1, 1], 'the other tab is still engaged');
      await store.leave(site, a2, now);
      assert.deepEqual([(await page(A))?.engaged, (await store.live(site, 10)).engaged], [0, 0]);
      await store.leave(site, a1, now);
      await read('visitor-b', { id: b1 });
      await read('member-b', { id: b1, kind: 'member' });
      assert.deepEqual([(await page(A))?.readers, (await page(A))?.engaged, (await store.live(site, 10)).engaged], [1, 1, 1]);
      await store.leave(site, b1, now);
      assert.deepEqual(await store.live(site, 10), { engaged: 0, sources: sources(), referrers: [], pages: [] });
    });

    it('counts a page\'s readers by the source of their first page session; the site\'s sources sum the pages\'', async () => {
      const first = psid();
      await read('visitor-a', { id: first, source: 'search', referrerHost: 'www.google.com' });
      await read('visitor-a', { source: 'social', referrerHost: 'l.facebook.com' });
      await read('visitor-b', { source: 'social', referrerHost: 'zalo.me' });
      await read('visitor-b', { page: B, source: 'internal' });
      await read('visitor-c', { page: B, source: 'email' });
      assert.deepEqual((await page(A))?.sources, sources({ search: 1, social: 1 }));
      assert.deepEqual((await page(B))?.sources, sources({ internal: 1, email: 1 }));
      assert.deepEqual((await store.live(site, 10)).sources, sources({ search: 1, social: 1, internal: 1, email: 1 }));
      await store.leave(site, first, now);
      assert.deepEqual((await page(A))?.sources, sources({ search: 1, social: 1 }), 'still a reader: the source that made them one stays');
    });

    it('lists the top referring hosts by readers and drops a host when its readers leave', async () => {
      const [zalo1, zalo2, google] = [psid(), psid(), psid()];
      await read('visitor-a', { id: zalo1, source: 'social', referrerHost: 'zalo.me' });
      await read('visitor-b', { id: zalo2, page: B, source: 'social', referrerHost: 'zalo.me' });
      await read('visitor-c', { id: google, source: 'search', referrerHost: 'www.google.com' });
      await read('visitor-d', { source: 'search', referrerHost: 'coccoc.com' });
      await read('visitor-d', { source: 'search', referrerHost: 'www.bing.com' }); // not the first session of visitor-d on A
      assert.deepEqual((await store.live(site, 10)).referrers, [
        { host: 'zalo.me', readers: 2 },
        { host: 'coccoc.com', readers: 1 },
        { host: 'www.google.com', readers: 1 },
      ]);
      assert.deepEqual((await store.live(site, 1)).referrers, [{ host: 'zalo.me', readers: 2 }], 'at most `limit` hosts');
      await store.leave(site, google, now);
      await store.leave(site, zalo1, now);
      assert.deepEqual((await store.live(site, 10)).referrers, [
        { host: 'coccoc.com', readers: 1 },
        { host: 'zalo.me', readers: 1 },
      ]);
    });

    it('drops a page\'s entry and its meta when its last reader leaves', async () => {
      const [first, second] = [psid(), psid()];
      await read('visitor-a', { id: first, page: { url: A, title: 'Old title', section: 'World' } });
      await read('visitor-b', { id: second, page: { url: A, title: 'Old title', section: 'World' } });
      await store.leave(site, first, now);
      assert.equal((await page(A))?.readers, 1);
      await store.leave(site, second, now);
      assert.equal(await page(A), undefined);
      assert.deepEqual(await store.live(site, 10), { engaged: 0, sources: sources(), referrers: [], pages: [] });
      assert.deepEqual(await store.readers(site, [A]), [0]);
      await read('visitor-c');
      assert.deepEqual(await page(A), { url: A, readers: 1, engaged: 1, sources: sources({ direct: 1 }) }, 'no meta left from before');
    });

    it('keeps the page meta of the latest join, and earlier fields it lacks', async () => {
      await read('visitor-a', { page: { url: A, title: 'First', section: 'World', author: 'An' } });
      await read('visitor-b', { page: { url: A, title: 'Second', author: 'Bình' } });
      assert.deepEqual(await page(A), { url: A, title: 'Second', section: 'World', author: 'Bình', readers: 2, engaged: 2, sources: sources({ direct: 2 }) });
    });

    it('counts a resumed page session as a reader of its page again', async () => {
      const id = psid();
      await read('visitor-a', { id, source: 'search', referrerHost: 'www.google.com' });
      await store.leave(site, id, now);
      now += MINUTE;
      assert.deepEqual(await read('visitor-a', { id, source: 'search', referrerHost: 'www.google.com' }), { pageview: false, visit: false });
      assert.deepEqual(await page(A), { url: A, readers: 1, engaged: 1, sources: sources({ search: 1 }) });
      assert.deepEqual((await store.live(site, 10)).referrers, [{ host: 'www.google.com', readers: 1 }]);
    });

    it('orders live pages by readers, then engaged readers, then url, and keeps `limit` of them', async () => {
      await read('visitor-a', { page: D, engaged: false });
      await read('visitor-b', { page: D, engaged: false });
      await read('visitor-a', { page: C, engaged: false });
      await read('visitor-a', { page: B });
      await read('visitor-b', { page: A, engaged: false });
      const urls = async (limit: number) => (await store.live(site, limit)).pages.map((entry) => entry.url);
      assert.deepEqual(await urls(10), [D, B, A, C]);
      assert.deepEqual(await urls(2), [D, B]);
      assert.deepEqual((await store.live(site, 2)).sources, sources({ direct: 5 }), 'site figures cover every page, not only the listed ones');
    });

    it('counts a page beyond maxLivePages under (other), and admits new pages once there is room', async () => {
      await reopen({ maxLivePages: 3 });
      const onC = psid();
      await read('visitor-a', { page: A });
      await read('visitor-a', { page: B });
      await read('visitor-a', { page: C, id: onC });
      await read('visitor-b', { page: D, source: 'search' });
      await read('visitor-c', { page: 'https://news.example/a/5', source: 'search' });
      assert.deepEqual(await store.readers(site, [A, B, C, D, OTHER_PAGE]), [1, 1, 1, 0, 2]);
      assert.deepEqual(await page(OTHER_PAGE), { url: OTHER_PAGE, readers: 2, engaged: 2, sources: sources({ search: 2 }) });
      await read('visitor-d', { page: A });
      assert.equal((await page(A))?.readers, 2, 'a page already live takes more readers');
      await store.leave(site, onC, now);
      await read('visitor-e', { page: D });
      assert.deepEqual(await store.readers(site, [C, D, OTHER_PAGE]), [0, 1, 2]);
    });

    it(`bounds the referring hosts at MAX_LIVE_REFERRERS (${MAX_LIVE_REFERRERS}), further hosts under ${OTHER_REFERRER}`, async () => {
      for (let from = 0; from < MAX_LIVE_REFERRERS; from += 250) {
        await Promise.all(
          Array.from({ length: 250 }, (_, i) => read(`visitor-${from + i}`, { source: 'other', referrerHost: `host-${String(from + i).padStart(4, '0')}.example` })),
        );
      }
      const late = psid();
      await read('late-1', { id: late, source: 'other', referrerHost: 'late.example' });
      await read('late-2', { source: 'other', referrerHost: 'later.example' });
      const top = (await store.live(site, 3)).referrers;
      assert.deepEqual(top, [
        { host: OTHER_REFERRER, readers: 2 },
        { host: 'host-0000.example', readers: 1 },
        { host: 'host-0001.example', readers: 1 },
      ]);
      assert.equal((await page(A))?.readers, MAX_LIVE_REFERRERS + 2, 'readers counted all the same');
      await store.leave(site, late, now);
      await read('late-3', { source: 'other', referrerHost: 'latest.example' });
      assert.deepEqual((await store.live(site, 2)).referrers, [
        { host: OTHER_REFERRER, readers: 2 },
        { host: 'host-0000.example', readers: 1 },
      ], 'a host that leaves frees no room while the list is full');
    });

    it('keeps live pages bounded under 10,000 invented urls from one client', async () => {
      await reopen({ maxLivePages: 3 });
      await read('visitor-real', { page: A });
      const ids: string[] = [];
      for (let from = 0; from < 10_000; from += 1_000) {
        await Promise.all(
          Array.from({ length: 1_000 }, (_, i) => {
            const id = psid();
            ids.push(id);
            return read('visitor-bad', { id, page: `https://news.example/invented/${from + i}` });
          }),
        );
      }
      const live = await store.live(site, 100);
      assert.equal(live.pages.length, 4, 'three pages and (other)');
      assert.deepEqual(live.pages.slice(0, 2).map((entry) => [entry.url, entry.readers]), [[OTHER_PAGE, 1], [A, 1]]);
      assert.deepEqual(await store.readers(site, ['https://news.example/invented/9999']), [0]);
      for (let from = 0; from < ids.length; from += 1_000) await Promise.all(ids.slice(from, from + 1_000).map((id) => store.leave(site, id, now)));
      assert.deepEqual((await store.live(site, 100)).pages.map((entry) => entry.url), [A]);
    });

    it('counts a day\'s pageviews per page: resumes and bots count none', async () => {
      const id = psid();
      await read('visitor-a', { id, page: { url: A, title: 'Bão số 9', section: 'Thời sự', author: 'An' } });
      await read('visitor-a');
      await read('visitor-b', { page: B });
      await read('crawler', { kind: 'bot', page: B });
      await store.leave(site, id, now);
      now += MINUTE;
      await read('visitor-a', { id }); // a resume
      assert.deepEqual(await store.dayPages(site, DAY.day, 10), [
        { url: A, title: 'Bão số 9', section: 'Thời sự', pageviews: 2, engagedSeconds: 0 },
        { url: B, pageviews: 1, engagedSeconds: 0 },
      ]);
    });

    it('sums the engaged time reported by engage() and leave per page, in whole seconds', async () => {
      const [a, b] = [psid(), psid()];
      await read('visitor-a', { id: a });
      await read('visitor-b', { id: b });
      await store.engage(site, a, now, report(false, 1_500));
      await store.engage(site, a, now, report(true, 0));
      await store.leave(site, a, now, report(false, 1_700));
      await store.leave(site, b, now, report(false, 999));
      await store.leave(site, b, now, report(false, 60_000)); // already gone: ignored
      assert.deepEqual(await store.dayPages(site, DAY.day, 10), [{ url: A, pageviews: 2, engagedSeconds: 4 }], '1.5 + 1.7 + 0.999 s');
    });

    it('adds engaged time to the day of the report', async () => {
      const id = psid();
      await read('visitor-a', { id });
      await store.engage(site, id, now, report(true, 2_000, NEXT_DAY));
      assert.deepEqual(await store.dayPages(site, NEXT_DAY.day, 10), [{ url: A, pageviews: 0, engagedSeconds: 2 }]);
      assert.deepEqual(await store.dayPages(site, DAY.day, 10), [{ url: A, pageviews: 1, engagedSeconds: 0 }]);
    });

    it('orders day pages by pageviews, then engaged seconds, then url, keeps `limit` and keeps days apart', async () => {
      const [onC, onD] = [psid(), psid()];
      await read('visitor-a', { page: A });
      await read('visitor-b', { page: A });
      await read('visitor-a', { page: B });
      await read('visitor-a', { page: C, id: onC });
      await read('visitor-a', { page: D, id: onD });
      await store.leave(site, onC, now, report(false, 3_000));
      await store.leave(site, onD, now, report(false, 3_000));
      await read('visitor-c', { page: D, periods: NEXT_DAY });
      const urls = async (day: string, limit: number) => (await store.dayPages(site, day, limit)).map((entry) => entry.url);
      assert.deepEqual(await urls(DAY.day, 10), [A, C, D, B]);
      assert.deepEqual(await urls(DAY.day, 2), [A, C]);
      assert.deepEqual(await store.dayPages(site, NEXT_DAY.day, 10), [{ url: D, pageviews: 1, engagedSeconds: 0 }]);
      assert.deepEqual(await store.dayPages(site, '2026-11-25', 10), []);
    });

    it('keeps day pages across a restart, and ends the readers of the closed store\'s pages', async () => {
      const id = psid();
      await read('visitor-a', { id, page: { url: A, title: 'Bão số 9' }, source: 'search', referrerHost: 'www.google.com' });
      await store.engage(site, id, now, report(false, 2_500));
      await read('visitor-b', { page: B });
      const before = await store.dayPages(site, DAY.day, 10);
      assert.deepEqual(before, [
        { url: A, title: 'Bão số 9', pageviews: 1, engagedSeconds: 2 },
        { url: B, pageviews: 1, engagedSeconds: 0 },
      ]);
      await reopen();
      assert.deepEqual(await store.dayPages(site, DAY.day, 10), before);
      assert.deepEqual(await store.live(site, 10), { engaged: 0, sources: sources(), referrers: [], pages: [] });
      now += MINUTE;
      assert.deepEqual(await read('visitor-a', { id, page: { url: A, title: 'Bão số 9' }, source: 'search' }), { pageview: false, visit: false }, 'a resume');
      assert.deepEqual(await store.readers(site, [A, B]), [1, 0]);
      await store.leave(site, id, now, report(false, 1_000));
      assert.deepEqual((await store.dayPages(site, DAY.day, 1))[0], { url: A, title: 'Bão số 9', pageviews: 1, engagedSeconds: 3 });
    });

    it('keeps sites apart', async () => {
      await read('visitor-a', { source: 'search', referrerHost: 'www.google.com' });
      const elsewhere = await store.live('other-site', 10);
      assert.deepEqual(elsewhere, { engaged: 0, sources: sources(), referrers: [], pages: [] });
      assert.deepEqual(await store.readers('other-site', [A]), [0]);
      assert.deepEqual(await store.dayPages('other-site', DAY.day, 10), []);
    });
  });
}
