// Push coalescing and slow readers, with sockets reduced to what the broadcaster touches.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import { createMetrics } from '../../src/metrics/metrics.js';
import type { Counts } from '../../src/protocol.js';
import { DEMO_SITE } from '../../src/sites.js';
import { createBroadcaster } from '../../src/transport/broadcaster.js';

function fakeSocket(bufferedAmount = 0) {
  const sent: string[] = [];
  return { sent, socket: { OPEN: 1, readyState: 1, bufferedAmount, send: (m: string) => sent.push(m) } as unknown as WebSocket };
}

const counts = (guests: number): Counts => ({
  site: 'demo',
  online: { guests, members: 0, total: guests, bots: 0 },
  visits: { total: 0, today: 0, month: 0, yesterday: 0 },
  pageviews: { total: 0, today: 0, month: 0, yesterday: 0 },
  peak: { online: 0, at: null },
  at: new Date().toISOString(),
});

const settle = () => new Promise((r) => setTimeout(r, 30));

describe('broadcaster', () => {
  it('coalesces changes, skips unchanged figures and readers with a full send buffer', async () => {
    let guests = 0;
    let reads = 0;
    const broadcaster = createBroadcaster(async () => (reads++, counts(guests)), 10, createMetrics(async () => []), (e) => assert.fail(String(e)));
    const fast = fakeSocket();
    const slow = fakeSocket(1024 * 1024);
    broadcaster.subscribe(DEMO_SITE, fast.socket);
    broadcaster.subscribe(DEMO_SITE, slow.socket);
    await settle();
    assert.equal(fast.sent.length, 1, 'current counts on subscribe');
    guests = 3;
    for (let i = 0; i < 20; i++) broadcaster.changed(DEMO_SITE);
    await settle();
    assert.equal(fast.sent.length, 2, 'twenty changes within the window: one push');
    assert.equal(JSON.parse(fast.sent[1]!).online.guests, 3);
    broadcaster.changed(DEMO_SITE);
    await settle();
    assert.equal(fast.sent.length, 2, 'same figures: no push');
    assert.equal(slow.sent.length, 0, 'a reader with 1 MB unsent is skipped');
    assert.equal(reads, 4);
    broadcaster.close();
  });

  it('pushes the first change after a quiet window at once and holds later ones to the window', async () => {
    let guests = 1;
    const broadcaster = createBroadcaster(async () => counts(guests), 5_000, createMetrics(async () => []), (e) => assert.fail(String(e)));
    const widget = fakeSocket();
    broadcaster.subscribe(DEMO_SITE, widget.socket);
    await settle();
    guests = 2;
    broadcaster.changed(DEMO_SITE);
    await settle();
    assert.equal(JSON.parse(widget.sent.at(-1)!).online.guests, 2, 'no wait after a quiet window');
    guests = 3;
    broadcaster.changed(DEMO_SITE);
    await settle();
    assert.equal(JSON.parse(widget.sent.at(-1)!).online.guests, 2, 'the next change waits for the 5 s window');
    broadcaster.close();
  });
});
