// Push coalescing and slow readers, with sockets reduced to what the broadcaster touches.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import { createMetrics } from '../../src/metrics/metrics.js';
import type { Counts } from '../../src/protocol.js';
import { DEMO_SITE } from '../../src/sites.js';
import { CloseCode } from '../../src/protocol.js';
import { createBroadcaster, createPushSender } from '../../src/transport/broadcaster.js';

function fakeSocket(bufferedAmount = 0) {
  const sent: string[] = [];
  const closes: { code: number; reason: string }[] = [];
  let terminated = false;
  const socket = {
    OPEN: 1,
    readyState: 1,
    bufferedAmount,
    send: (m: string) => sent.push(m),
    close: (code: number, reason: string) => closes.push({ code, reason }),
    terminate: () => (terminated = true),
  };
  return { sent, closes, terminated: () => terminated, fake: socket, socket: socket as unknown as WebSocket };
}

const RULE = { bytes: 64 * 1024, ms: 10_000 };
const pusher = () => createPushSender(RULE, createMetrics(async () => []));

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
    const broadcaster = createBroadcaster(async () => (reads++, counts(guests)), 10, createMetrics(async () => []), (e) => assert.fail(String(e)), pusher());
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
    const broadcaster = createBroadcaster(async () => counts(guests), 5_000, createMetrics(async () => []), (e) => assert.fail(String(e)), pusher());
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

  it('skips a socket over the byte limit and closes it with 1008 once it stayed over for the time limit', async () => {
    const metrics = createMetrics(async () => []);
    let now = 0;
    const push = createPushSender(RULE, metrics, () => now);
    const reader = fakeSocket();
    assert.equal(push(reader.socket, 'a'), true);
    reader.fake.bufferedAmount = RULE.bytes + 1;
    assert.equal(push(reader.socket, 'b'), false, 'over the limit: skipped');
    now = RULE.ms - 1;
    assert.equal(push(reader.socket, 'c'), false);
    assert.deepEqual(reader.closes, [], 'not yet over for the time limit');
    reader.fake.bufferedAmount = 0;
    assert.equal(push(reader.socket, 'd'), true, 'caught up: pushed again');
    reader.fake.bufferedAmount = RULE.bytes + 1;
    now = 20_000;
    push(reader.socket, 'e');
    now = 20_000 + RULE.ms - 1;
    push(reader.socket, 'f');
    assert.deepEqual(reader.closes, [], 'catching up restarted the clock');
    now = 20_000 + RULE.ms;
    push(reader.socket, 'g');
    assert.deepEqual(reader.closes, [{ code: CloseCode.slowReader, reason: 'reader too slow: over 65536 bytes unsent for 10000 ms' }]);
    assert.deepEqual(reader.sent, ['a', 'd']);
    assert.equal((await metrics.registry.getSingleMetricAsString('headcount_pushes_skipped_total')).split('\n').at(-1), 'headcount_pushes_skipped_total 5');
    assert.match(await metrics.registry.getSingleMetricAsString('headcount_slow_readers_dropped_total'), /headcount_slow_readers_dropped_total 1$/);
    await eventuallyTrue(() => reader.terminated(), 3_000);
  });
});

async function eventuallyTrue(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`not true within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
