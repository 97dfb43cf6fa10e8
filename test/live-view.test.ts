// The one builder of the live view, its shared reader, and who may read a private site's.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildLiveView, createLiveReader, liveAccessAllowed, liveViewSignature, readTokenAllowed } from '../src/live-view.js';
import { makeShareToken } from '../src/share-links.js';
import type { Counts } from '../src/protocol.js';
import { DEMO_SITE, parseSites } from '../src/sites.js';
import type { StatsReader } from '../src/stats.js';
import type { LiveFigures, SourceCounts, Store } from '../src/store/store.js';

const none: SourceCounts = { direct: 0, internal: 0, search: 0, social: 0, ai: 0, email: 0, other: 0 };
const online: Counts['online'] = { guests: 3, members: 1, total: 4, bots: 2 };
const figures: LiveFigures = {
  engaged: 2,
  sources: { ...none, search: 2, direct: 1 },
  referrers: [{ host: 'google.com', readers: 2 }],
  pages: [
    { url: 'https://a.vn/1', title: 'Một', section: 'Thời sự', author: 'Lan', readers: 2, engaged: 1, sources: { ...none, search: 2 } },
    { url: 'https://a.vn/2', readers: 1, engaged: 1, sources: { ...none, direct: 1 } },
  ],
};

/** A store that answers live() from `answer` and counts the calls; onChange listeners can be fired. */
function fakeStore(answer: () => Promise<LiveFigures>) {
  const listeners: ((site: string) => void)[] = [];
  const calls: number[] = [];
  const store = {
    live: (_site: string, limit: number) => {
      calls.push(limit);
      return answer();
    },
    onChange: (listener: (site: string) => void) => void listeners.push(listener),
  } as unknown as Store;
  return { store, calls, change: (site: string) => listeners.forEach((l) => l(site)) };
}

const stats: StatsReader = { read: async (site) => ({ site: site.id, online, visits: { total: 0, today: 0, month: 0, yesterday: 0 }, pageviews: { total: 0, today: 0, month: 0, yesterday: 0 }, peak: { online: 0, at: null }, at: '' }) };

describe('live view', () => {
  it('has the documented shape, with unknown meta left out', () => {
    const view = buildLiveView('demo', online, figures, Date.UTC(2026, 11, 1, 3));
    assert.deepEqual(view, {
      site: 'demo',
      at: '2026-12-01T03:00:00.000Z',
      online: { guests: 3, members: 1, total: 4, bots: 2 },
      engaged: 2,
      sources: { ...none, search: 2, direct: 1 },
      referrers: [{ host: 'google.com', readers: 2 }],
      pages: [
        { url: 'https://a.vn/1', title: 'Một', section: 'Thời sự', author: 'Lan', readers: 2, engaged: 1, sources: { ...none, search: 2 } },
        { url: 'https://a.vn/2', readers: 1, engaged: 1, sources: { ...none, direct: 1 } },
      ],
    });
    assert.deepEqual(Object.keys(view.pages[0]!), ['url', 'title', 'section', 'author', 'readers', 'engaged', 'sources']);
    assert.ok(!('title' in view.pages[1]!));
  });

  it('signs what a subscriber receives, whatever the time it was read', () => {
    const a = buildLiveView('demo', online, figures, 1_000);
    const b = buildLiveView('demo', online, figures, 2_000);
    assert.equal(liveViewSignature(a), liveViewSignature(b));
    const moved = buildLiveView('demo', online, { ...figures, engaged: 1 }, 1_000);
    assert.notEqual(liveViewSignature(a), liveViewSignature(moved));
  });

  it('shares one store read per site and limit for a second, and reads afresh after a change', async () => {
    const { store, calls, change } = fakeStore(async () => figures);
    let now = 10_000;
    const reader = createLiveReader(store, stats, () => now, 1_000);
    const burst = await Promise.all(Array.from({ length: 50 }, () => reader.read(DEMO_SITE, 10)));
    assert.deepEqual(calls, [10]);
    assert.ok(burst.every((view) => view === burst[0]), 'one view object, so one render');
    await reader.read(DEMO_SITE, 5);
    assert.deepEqual(calls, [10, 5], 'another limit is another read');
    now += 999;
    await reader.read(DEMO_SITE, 10);
    assert.equal(calls.length, 2);
    now += 1;
    await reader.read(DEMO_SITE, 10);
    assert.equal(calls.length, 3, 'a second later: read again');
    change('demo');
    await reader.read(DEMO_SITE, 10);
    assert.equal(calls.length, 4, 'a change drops the shared read');
    change('other-site');
    await reader.read(DEMO_SITE, 10);
    assert.equal(calls.length, 4, "another site's change does not");
  });

  it('does not keep a failed read', async () => {
    let fail = true;
    const { store, calls } = fakeStore(async () => {
      if (fail) throw new Error('store down');
      return figures;
    });
    const reader = createLiveReader(store, stats, () => 0, 1_000);
    await assert.rejects(reader.read(DEMO_SITE, 10), /store down/);
    fail = false;
    assert.equal((await reader.read(DEMO_SITE, 10)).engaged, 2);
    assert.equal(calls.length, 2);
  });
});

describe('live access', () => {
  const token = 'r'.repeat(40);
  const sites = parseSites({
    sites: [
      { id: 'open', origins: ['https://a.vn'], memberSecret: 's'.repeat(32), live: 'public' },
      { id: 'closed', origins: ['https://b.vn'], memberSecret: 's'.repeat(32), readToken: token },
      { id: 'admin-only', origins: ['https://c.vn'], memberSecret: 's'.repeat(32) },
    ],
  });
  const admin = 'admin-token-0123456789';
  const NOW = Date.UTC(2026, 11, 1);

  it('opens public sites to anyone and private ones to their readToken or ADMIN_TOKEN only', () => {
    assert.ok(liveAccessAllowed(sites.get('open')!, undefined, undefined, NOW));
    assert.ok(liveAccessAllowed(sites.get('closed')!, token, undefined, NOW));
    assert.ok(liveAccessAllowed(sites.get('closed')!, admin, admin, NOW));
    assert.ok(!liveAccessAllowed(sites.get('closed')!, undefined, admin, NOW));
    assert.ok(!liveAccessAllowed(sites.get('closed')!, `${token}x`, admin, NOW));
    assert.ok(!liveAccessAllowed(sites.get('closed')!, token.slice(1), admin, NOW));
    assert.ok(!liveAccessAllowed(sites.get('closed')!, '', admin, NOW));
    assert.ok(liveAccessAllowed(sites.get('admin-only')!, admin, admin, NOW));
    assert.ok(!liveAccessAllowed(sites.get('admin-only')!, token, admin, NOW));
    assert.ok(!liveAccessAllowed(sites.get('admin-only')!, 'anything', undefined, NOW), 'no readToken and no ADMIN_TOKEN: nobody');
  });

  it('opens a private site to its unexpired share links, not to another site\'s or an expired one', () => {
    const closed = sites.get('closed')!;
    const { token: link } = makeShareToken(closed, 1, NOW);
    assert.ok(liveAccessAllowed(closed, link, undefined, NOW));
    assert.ok(readTokenAllowed(closed, link, undefined, NOW), 'the read routes take it as Bearer too');
    assert.ok(!liveAccessAllowed(closed, link, undefined, NOW + 86_400_000), 'expired after its day');
    const other = parseSites({ sites: [{ id: 'other', origins: ['https://d.vn'], memberSecret: 's'.repeat(32), readToken: token }] }).get('other')!;
    assert.ok(!liveAccessAllowed(other, link, undefined, NOW), 'a link names its site');
  });
});
