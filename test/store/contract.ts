// The store contract: every Store implementation runs exactly these cases.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { JoinInput, Kind, Periods, Store, StoreOptions } from '../../src/store/store.js';
import { periodsAt } from '../../src/calendar.js';
import { historyContract } from './contract-history.js';
import { livePagesContract } from './contract-live.js';

/** Opens stores on one backend; opening again after close() must see what the earlier store persisted. */
export interface StoreHarness {
  open(options: StoreOptions): Promise<Store>;
  /** Removes everything the harness created (keys, files). */
  cleanup(): Promise<void>;
}

const MINUTE = 60_000;
const WINDOW = 30 * MINUTE;
const DAY: Periods = periodsAt(Date.UTC(2026, 10, 26, 3), 'UTC');
const NEXT_DAY: Periods = periodsAt(Date.UTC(2026, 10, 27, 3), 'UTC');
const NEXT_MONTH: Periods = periodsAt(Date.UTC(2026, 11, 1, 3), 'UTC');
/** What the presence cases read: one page, arrived directly, engaged (the live pages cases vary it). */
const READING = { page: { url: 'https://news.example/' }, source: 'direct', engaged: true } as const;

export function storeContract(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`store contract: ${name}`, () => {
    let harness: StoreHarness;
    let store: Store;
    let now: number;
    const site = 'contract';
    const options = (): StoreOptions => ({ visitWindowMs: WINDOW, clock: () => now });
    let n = 0;
    const psid = () => `page-session-${++n}`;
    // A guest's visitor id is its identity; members and bots get a visitor id of their own unless given one.
    const join = (identity: string, kind: Kind = 'guest', id = psid(), periods = DAY, at = now, visitor = kind === 'guest' ? identity : `vid-of-${identity}`) =>
      store.join({ site, psid: id, identity, visitor, kind, now: at, periods, ...READING } satisfies JoinInput);
    const online = async () => (await store.read(site, DAY)).online;

    beforeEach(async () => {
      now = Date.UTC(2026, 10, 26, 3, 0, 0);
      harness = await makeHarness();
      store = await harness.open(options());
    });

    afterEach(async () => {
      await store.close();
      await harness.cleanup();
    });

    it('reads zeros for a site nobody visited', async () => {
      const counts = await store.read(site, DAY);
      assert.deepEqual(counts, {
        online: { guest: 0, member: 0, bot: 0 },
        visits: { total: 0, today: 0, month: 0, yesterday: 0 },
        pageviews: { total: 0, today: 0, month: 0, yesterday: 0 },
        peak: { online: 0, at: null },
      });
    });

    it('does not mark its figures stale while it can read and save', async () => {
      await join('visitor-a');
      assert.equal((await store.read(site, DAY)).stale, undefined);
      await store.ping();
    });

    it('counts two page sessions of one visitor once, and a second visitor apart', async () => {
      assert.deepEqual(await join('visitor-a'), { pageview: true, visit: true });
      assert.deepEqual(await join('visitor-a'), { pageview: true, visit: false });
      assert.deepEqual(await online(), { guest: 1, member: 0, bot: 0 });
      await join('visitor-b');
      const counts = await store.read(site, DAY);
      assert.deepEqual(counts.online, { guest: 2, member: 0, bot: 0 });
      assert.deepEqual(counts.pageviews, { total: 3, today: 3, month: 3, yesterday: 0 });
      assert.deepEqual(counts.visits, { total: 2, today: 2, month: 2, yesterday: 0 });
    });

    it('keeps a visitor online until the last of their page sessions leaves', async () => {
      const first = psid();
      const second = psid();
      await join('visitor-a', 'guest', first);
      await join('visitor-a', 'guest', second);
      await store.leave(site, first, now);
      assert.deepEqual(await online(), { guest: 1, member: 0, bot: 0 });
      await store.leave(site, second, now);
      assert.deepEqual(await online(), { guest: 0, member: 0, bot: 0 });
    });

    it('counts one member on two devices once, under members', async () => {
      await join('member-1', 'member');
      await join('member-1', 'member');
      await join('visitor-a');
      assert.deepEqual(await online(), { guest: 1, member: 1, bot: 0 });
    });

    it('counts a visitor id with a member page session open only as that member', async () => {
      const [guestTab, memberTab] = [psid(), psid()];
      await join('visitor-a', 'guest', guestTab);
      assert.deepEqual(await online(), { guest: 1, member: 0, bot: 0 });
      await join('member-1', 'member', memberTab, DAY, now, 'visitor-a');
      assert.deepEqual(await online(), { guest: 0, member: 1, bot: 0 });
      // Reconnects of either tab count nothing twice.
      await join('visitor-a', 'guest', guestTab);
      await join('member-1', 'member', memberTab, DAY, now, 'visitor-a');
      assert.deepEqual(await online(), { guest: 0, member: 1, bot: 0 });
      await store.leave(site, memberTab, now);
      assert.deepEqual(await online(), { guest: 1, member: 0, bot: 0 }, 'the member tab closed: a guest again');
      await store.leave(site, guestTab, now);
      assert.deepEqual(await online(), { guest: 0, member: 0, bot: 0 });
      assert.equal((await store.read(site, DAY)).peak.online, 1, 'never two at once');
    });

    it('hides a guest tab opened after the member tab, and again when the member tab resumes', async () => {
      const [memberTab, guestTab, phone] = [psid(), psid(), psid()];
      await join('member-1', 'member', memberTab, DAY, now, 'visitor-a');
      await join('visitor-a', 'guest', guestTab);
      await join('visitor-b', 'guest');
      assert.deepEqual(await online(), { guest: 1, member: 1, bot: 0 });
      await store.leave(site, memberTab, now);
      assert.deepEqual(await online(), { guest: 2, member: 0, bot: 0 });
      now += MINUTE;
      assert.deepEqual(await join('member-1', 'member', memberTab, DAY, now, 'visitor-a'), { pageview: false, visit: false });
      assert.deepEqual(await online(), { guest: 1, member: 1, bot: 0 });
      // The same member on another device (another visitor id) does not hide this browser's guest tab.
      await join('member-1', 'member', phone, DAY, now, 'visitor-c');
      await store.leave(site, memberTab, now);
      assert.deepEqual(await online(), { guest: 2, member: 1, bot: 0 });
      await store.leave(site, phone, now);
      await store.leave(site, guestTab, now);
      assert.deepEqual(await online(), { guest: 1, member: 0, bot: 0 });
    });

    it('counts bots apart: no pageviews, visits or peak', async () => {
      assert.deepEqual(await join('crawler-1', 'bot'), { pageview: false, visit: false });
      const counts = await store.read(site, DAY);
      assert.deepEqual(counts.online, { guest: 0, member: 0, bot: 1 });
      assert.equal(counts.pageviews.total, 0);
      assert.equal(counts.visits.total, 0);
      assert.deepEqual(counts.peak, { online: 0, at: null });
    });

    it('counts a repeated join of the same page session once', async () => {
      const id = psid();
      await join('visitor-a', 'guest', id);
      assert.deepEqual(await join('visitor-a', 'guest', id), { pageview: false, visit: false });
      const counts = await store.read(site, DAY);
      assert.equal(counts.pageviews.total, 1);
      await store.leave(site, id, now);
      assert.deepEqual((await store.read(site, DAY)).online, { guest: 0, member: 0, bot: 0 });
    });

    it('resumes a page session that reconnects within the window: no pageview, no visit', async () => {
      const id = psid();
      await join('visitor-a', 'guest', id);
      await store.leave(site, id, now);
      now += 10 * MINUTE;
      assert.deepEqual(await join('visitor-a', 'guest', id), { pageview: false, visit: false });
      const counts = await store.read(site, DAY);
      assert.equal(counts.pageviews.total, 1);
      assert.equal(counts.visits.total, 1);
      assert.equal(counts.online.guest, 1);
    });

    it('starts a new visit only after the window passes with no activity', async () => {
      const first = psid();
      await join('visitor-a', 'guest', first);
      now += 45 * MINUTE; // reading one long article: online all along, still one visit
      await store.leave(site, first, now);
      now += 29 * MINUTE;
      const second = psid();
      assert.deepEqual(await join('visitor-a', 'guest', second), { pageview: true, visit: false }, '29 min after leaving');
      await store.leave(site, second, now);
      now += 31 * MINUTE;
      assert.deepEqual(await join('visitor-a'), { pageview: true, visit: true }, '31 min after leaving');
      assert.equal((await store.read(site, DAY)).visits.total, 2);
    });

    it('slides the window with activity', async () => {
      for (let i = 0; i < 6; i++) {
        const id = psid();
        await join('visitor-a', 'guest', id);
        now += MINUTE;
        await store.leave(site, id, now);
        now += 25 * MINUTE;
      }
      const counts = await store.read(site, DAY);
      assert.equal(counts.pageviews.total, 6);
      assert.equal(counts.visits.total, 1);
      now += 6 * MINUTE; // 31 minutes since the last leave
      assert.deepEqual(await join('visitor-a'), { pageview: true, visit: true });
    });

    it('counts a reconnect after the window as a new pageview', async () => {
      const id = psid();
      await join('visitor-a', 'guest', id);
      await store.leave(site, id, now);
      now += WINDOW + MINUTE;
      assert.deepEqual(await join('visitor-a', 'guest', id), { pageview: true, visit: true });
    });

    it('buckets today and this month by the periods given', async () => {
      await join('visitor-a', 'guest', psid(), DAY);
      await join('visitor-b', 'guest', psid(), NEXT_DAY);
      await join('visitor-c', 'guest', psid(), NEXT_MONTH);
      assert.deepEqual((await store.read(site, DAY)).pageviews, { total: 3, today: 1, month: 2, yesterday: 0 });
      assert.deepEqual((await store.read(site, NEXT_DAY)).visits, { total: 3, today: 1, month: 2, yesterday: 1 });
      assert.deepEqual((await store.read(site, NEXT_MONTH)).visits, { total: 3, today: 1, month: 1, yesterday: 0 });
    });

    it('records the peak of guests plus members with its time', async () => {
      const a = psid();
      await join('visitor-a', 'guest', a);
      now += MINUTE;
      const peakAt = now;
      await join('member-1', 'member');
      now += MINUTE;
      await store.leave(site, a, now);
      await join('crawler', 'bot');
      assert.deepEqual((await store.read(site, DAY)).peak, { online: 2, at: peakAt });
    });

    it('sets starting lifetime totals and counts on from them', async () => {
      await join('visitor-a');
      await store.setTotals(site, { visits: 52_015_394, pageviews: 90_000_000 });
      await join('visitor-b');
      const counts = await store.read(site, DAY);
      assert.equal(counts.visits.total, 52_015_395);
      assert.equal(counts.pageviews.total, 90_000_001);
      assert.equal(counts.visits.today, 2);
      await store.setTotals(site, { pageviews: 5 });
      assert.equal((await store.read(site, DAY)).visits.total, 52_015_395, 'visits untouched when only pageviews are set');
    });

    it('ignores a leave for an unknown page session', async () => {
      await join('visitor-a');
      await store.leave(site, 'never-joined-1', now);
      assert.deepEqual(await online(), { guest: 1, member: 0, bot: 0 });
    });

    it('keeps sites apart', async () => {
      await join('visitor-a');
      await store.join({ site: 'other-site', psid: psid(), identity: 'visitor-a', visitor: 'visitor-a', kind: 'guest', now, periods: DAY, ...READING });
      assert.equal((await store.read(site, DAY)).pageviews.total, 1);
      assert.equal((await store.read('other-site', DAY)).online.guest, 1);
      await store.setTotals('other-site', { visits: 0, pageviews: 0 });
    });

    it('counts concurrent joins exactly', async () => {
      await Promise.all(Array.from({ length: 200 }, (_, i) => join(`visitor-${i % 50}`)));
      const counts = await store.read(site, DAY);
      assert.equal(counts.online.guest, 50);
      assert.equal(counts.pageviews.total, 200);
      assert.equal(counts.visits.total, 50);
    });

    it('tells listeners which site changed', async () => {
      const changed: string[] = [];
      store.onChange((id) => changed.push(id));
      await join('visitor-a');
      for (let i = 0; i < 50 && !changed.includes(site); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(changed.includes(site));
    });

    it('gives one daily salt per site and day, kept across a restart', async () => {
      const salt = await store.dailySalt(site, DAY.day, now);
      assert.match(salt, /^[A-Za-z0-9_-]{16,}$/);
      const [again, concurrent] = await Promise.all([store.dailySalt(site, DAY.day, now + MINUTE), store.dailySalt(site, DAY.day, now)]);
      assert.deepEqual([again, concurrent], [salt, salt]);
      assert.notEqual(await store.dailySalt(site, NEXT_DAY.day, now), salt, 'another day');
      assert.notEqual(await store.dailySalt('other-site', DAY.day, now), salt, 'another site');
      await store.close();
      store = await harness.open(options());
      assert.equal(await store.dailySalt(site, DAY.day, now + MINUTE), salt);
    });

    it('ends its page sessions on close and keeps totals and resumable sessions across a restart', async () => {
      const id = psid();
      await join('visitor-a', 'guest', id);
      await join('member-1', 'member');
      await store.close();
      store = await harness.open(options());
      const counts = await store.read(site, DAY);
      assert.deepEqual(counts.online, { guest: 0, member: 0, bot: 0 });
      assert.deepEqual(counts.pageviews, { total: 2, today: 2, month: 2, yesterday: 0 });
      assert.deepEqual(counts.visits, { total: 2, today: 2, month: 2, yesterday: 0 });
      assert.equal(counts.peak.online, 2);
      now += MINUTE;
      assert.deepEqual(await join('visitor-a', 'guest', id), { pageview: false, visit: false }, 'reconnect resumes');
      assert.equal((await store.read(site, DAY)).online.guest, 1);
    });
  });
  livePagesContract(name, makeHarness);
  historyContract(name, makeHarness);
}
