// Live view and readers pushes with a fake store and sockets reduced to what the subscriptions touch:
// one store read per coalesced change for every subscriber, slices per `n`, pushes only on change.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import type { Counts, LiveMessage, ReadersMessage } from '../../src/protocol.js';
import { DEMO_SITE } from '../../src/sites.js';
import type { StatsReader } from '../../src/stats.js';
import type { LiveFigures, LivePage, Store } from '../../src/store/store.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { createPushSender } from '../../src/transport/broadcaster.js';
import { createLiveSubscriptions } from '../../src/transport/live-subscriptions.js';

function fakeSocket() {
  const sent: string[] = [];
  const socket = { OPEN: 1, readyState: 1, bufferedAmount: 0, send: (m: string) => sent.push(m) } as unknown as WebSocket;
  return { sent, socket, messages: () => sent.map((m) => JSON.parse(m) as LiveMessage | ReadersMessage) };
}

const noSources = { direct: 0, internal: 0, search: 0, social: 0, ai: 0, email: 0, other: 0 };
const page = (url: string, readers: number): LivePage => ({ url, readers, engaged: 0, sources: { ...noSources, direct: readers } });

const settle = () => new Promise((r) => setTimeout(r, 30));

function fakes() {
  const calls = { live: [] as number[], readers: [] as string[][] };
  const state = { pages: [page('/a', 3), page('/b', 2), page('/c', 1)], readers: new Map<string, number>([['/a', 3]]) };
  const store = {
    async live(_site: string, limit: number): Promise<LiveFigures> {
      calls.live.push(limit);
      return { engaged: 0, sources: noSources, referrers: [], pages: state.pages.slice(0, limit) };
    },
    async readers(_site: string, urls: readonly string[]): Promise<number[]> {
      calls.readers.push([...urls]);
      return urls.map((url) => state.readers.get(url) ?? 0);
    },
  } as unknown as Store;
  const stats: StatsReader = {
    read: async () => ({ site: 'demo', online: { guests: 6, members: 0, total: 6, bots: 0 } }) as Counts,
  };
  return { calls, state, store, stats };
}

describe('live subscriptions', () => {
  it('reads the store once per coalesced change for every live subscriber and slices per n', async () => {
    const { calls, state, store, stats } = fakes();
    const subscriptions = createLiveSubscriptions({ store, stats, clock: Date.now, coalesceMs: 10, push: createPushSender({ bytes: 65_536, ms: 10_000 }, createMetrics(async () => [])), onError: (e) => assert.fail(String(e)) });
    const one = fakeSocket();
    const three = fakeSocket();
    subscriptions.subscribeLive(DEMO_SITE, one.socket, 1);
    subscriptions.subscribeLive(DEMO_SITE, three.socket, 3);
    await settle();
    assert.deepEqual(one.messages().map((m) => (m as LiveMessage).pages.length), [1]);
    assert.deepEqual(three.messages().map((m) => (m as LiveMessage).pages.length), [3]);
    calls.live.length = 0;
    // Only the third page changes: the socket that sees one page gets nothing.
    state.pages = [page('/a', 3), page('/b', 2), page('/c', 2)];
    for (let i = 0; i < 20; i++) subscriptions.changed(DEMO_SITE);
    await settle();
    assert.deepEqual(calls.live, [3], 'one read, for the largest n');
    assert.equal(one.sent.length, 1);
    assert.equal(three.sent.length, 2);
    assert.equal((three.messages()[1] as LiveMessage).pages[2]?.readers, 2);
    subscriptions.unsubscribeLive(DEMO_SITE, three.socket, 3);
    subscriptions.unsubscribeLive(DEMO_SITE, one.socket, 1);
    calls.live.length = 0;
    subscriptions.changed(DEMO_SITE);
    await settle();
    assert.deepEqual(calls.live, [], 'no subscribers: no reads');
    subscriptions.close();
  });

  it('pushes a page readers count to its watchers only when it changes, with one read for all pages', async () => {
    const { calls, state, store, stats } = fakes();
    const subscriptions = createLiveSubscriptions({ store, stats, clock: Date.now, coalesceMs: 10, push: createPushSender({ bytes: 65_536, ms: 10_000 }, createMetrics(async () => [])), onError: (e) => assert.fail(String(e)) });
    const onA = fakeSocket();
    const onB = fakeSocket();
    subscriptions.watchReaders(DEMO_SITE, onA.socket, '/a');
    subscriptions.watchReaders(DEMO_SITE, onB.socket, '/b');
    await settle();
    assert.deepEqual(onA.messages(), [{ t: 'readers', url: '/a', readers: 3 }]);
    assert.deepEqual(onB.messages(), [{ t: 'readers', url: '/b', readers: 0 }]);
    calls.readers.length = 0;
    state.readers.set('/b', 1);
    subscriptions.changed(DEMO_SITE);
    await settle();
    assert.deepEqual(calls.readers, [['/a', '/b']]);
    assert.equal(onA.sent.length, 1, 'unchanged: no push');
    assert.deepEqual(onB.messages().at(-1), { t: 'readers', url: '/b', readers: 1 });
    // A socket that moves to another page gets that page's count at once.
    subscriptions.unwatchReaders(DEMO_SITE, onB.socket, '/b');
    subscriptions.watchReaders(DEMO_SITE, onB.socket, '/a');
    await settle();
    assert.deepEqual(onB.messages().at(-1), { t: 'readers', url: '/a', readers: 3 });
    assert.equal(onA.sent.length, 1);
    subscriptions.close();
  });
});
