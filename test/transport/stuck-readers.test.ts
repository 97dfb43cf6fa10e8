// Sockets subscribed to pushes that stop reading (their net.Socket paused, so the server's send
// buffer fills): 100 of them on the live view with 100 long pages, next to 20 count widgets that read.
// The stuck ones are skipped over SLOW_READER_BYTES and closed once that lasted SLOW_READER_MS, their
// buffers are released, and the widgets get every push. Their p99 push latency with and without the
// stuck sockets is printed for docs/protocol.md (no timing assertion: the machine is shared).
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CountsMessage, ServerMessage } from '../../src/protocol.js';
import { heapAfterGc } from '../support/heap.js';
import { startInProcess, type InProcess } from '../support/in-process.js';
import { eventually, PageClient } from '../support/page-client.js';

const WIDGETS = 20;
const STUCK = 100;
const BIG_PAGES = 100;
const SLOW_READER_MS = 1_000;
/** How long the widgets may take to see a change before the test calls a push missed (not a speed claim). */
const PUSH_DEADLINE_MS = 10_000;

/** Push arrival times per widget, by the pageviews total they carried. */
type Arrivals = Map<number, number>;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)]!;
}
const p50 = (samples: number[]) => percentile(samples, 0.5);
const p99 = (samples: number[]) => percentile(samples, 0.99);

describe('stuck readers', { timeout: 120_000 }, () => {
  let hc: InProcess;
  const clients: PageClient[] = [];
  let stuck: PageClient[] = [];
  const metric = async (name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${hc.server.port}/metrics`)).text();
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  };
  const open = async () => {
    const client = await PageClient.open(hc.wsUrl);
    clients.push(client);
    return client;
  };

  before(async () => {
    // The heartbeat would also cut a socket that stopped reading (no pong): kept out of the way here.
    hc = await startInProcess({ HEARTBEAT_INTERVAL_MS: '300000', PUSH_COALESCE_MS: '20', SLOW_READER_MS: String(SLOW_READER_MS), MAX_PAGES_PER_MINUTE: '10000' });
  });
  after(async () => {
    for (const client of [...clients, ...stuck]) client.socket.terminate();
    await hc?.stop();
  });

  it('drops the stuck sockets at the threshold, releases their buffers, and the widgets get every push', async (t) => {
    // Long pages make each live view push ~250 KB, so the kernel's socket buffers (a few MB) fill quickly.
    for (let i = 0; i < BIG_PAGES; i += 20) {
      await Promise.all(Array.from({ length: 20 }, async (_, j) => {
        const client = await open();
        await client.hello({ url: `http://localhost:3000/${String(i + j).padStart(3, '0')}-${'bai-viet-dai-'.repeat(140)}`, title: `Tiêu đề rất dài ${'của một bài báo '.repeat(12)}`.slice(0, 200) });
      }));
    }
    let pageviews = (await hc.stats()).body.pageviews.total as number;

    const widgets = await Promise.all(Array.from({ length: WIDGETS }, async () => {
      const client = await open();
      const arrivals: Arrivals = new Map();
      client.socket.on('message', (data) => {
        const message = JSON.parse(data.toString()) as ServerMessage;
        if (message.t === 'counts') arrivals.set((message as CountsMessage).pageviews.total, performance.now());
      });
      client.send({ t: 'sub', on: true });
      await client.next((m): m is CountsMessage => m.t === 'counts');
      return arrivals;
    }));

    /** One change (a new page), and how long each widget took to get the push that shows it. */
    const step = async (): Promise<number[]> => {
      const client = await open();
      const sentAt = performance.now();
      await client.hello({ url: 'http://localhost:3000/moi.html' });
      const expected = ++pageviews;
      const deadline = Date.now() + PUSH_DEADLINE_MS;
      while (!widgets.every((arrivals) => arrivals.has(expected))) {
        assert.ok(Date.now() < deadline, `a widget missed the push of pageviews ${expected}`);
        await sleep(2);
      }
      return widgets.map((arrivals) => arrivals.get(expected)! - sentAt);
    };

    const without: number[] = [];
    for (let i = 0; i < 20; i++) without.push(...(await step()));
    const buffersBefore = (await heapAfterGc(), process.memoryUsage().arrayBuffers);

    stuck = await Promise.all(Array.from({ length: STUCK }, async () => {
      const client = await PageClient.open(hc.wsUrl);
      client.send({ t: 'live', on: true, n: 100 });
      await client.next((m) => m.t === 'live');
      (client.socket as unknown as { _socket: Socket })._socket.pause();
      return client;
    }));
    assert.equal(await metric('headcount_open_sockets'), clients.length + STUCK);

    const withStuck: number[] = [];
    let buffersPeak = 0;
    const deadline = Date.now() + 60_000;
    while ((await metric('headcount_slow_readers_dropped_total')) < STUCK) {
      assert.ok(Date.now() < deadline, `only ${await metric('headcount_slow_readers_dropped_total')} of ${STUCK} stuck sockets dropped within 60 s`);
      withStuck.push(...(await step()));
      buffersPeak = Math.max(buffersPeak, process.memoryUsage().arrayBuffers);
    }
    const skipped = await metric('headcount_pushes_skipped_total');
    assert.ok(skipped >= STUCK * 2, `each stuck socket was skipped before it was dropped (${skipped} skips)`);
    // Closed with 1008, then cut after a 1 s grace since it reads no close frame either.
    await eventually(() => metric('headcount_open_sockets'), (open) => open === clients.length, 5_000);
    // The test's own paused clients still hold what they had read (64 KB each): gone first, so what
    // remains is what the server holds.
    for (const client of stuck) client.socket.terminate();
    stuck = [];
    const buffersAfter = (await heapAfterGc(), process.memoryUsage().arrayBuffers);
    const afterDrop: number[] = [];
    for (let i = 0; i < 20; i++) afterDrop.push(...(await step()));
    const figures = (samples: number[]) => `p50 ${p50(samples).toFixed(1)} ms, p99 ${p99(samples).toFixed(1)} ms (${samples.length} pushes)`;
    t.diagnostic(`widget push latency without stuck sockets: ${figures(without)}; while ${STUCK} stuck sockets get live views: ${figures(withStuck)}; after they were dropped: ${figures(afterDrop)}`);
    t.diagnostic(`${withStuck.length / WIDGETS} changes until all ${STUCK} were dropped; ${skipped} pushes skipped; array buffers ${(buffersBefore / 1e6).toFixed(1)} MB before, ${(buffersPeak / 1e6).toFixed(1)} MB at most while stuck, ${(buffersAfter / 1e6).toFixed(1)} MB after`);
    assert.ok(buffersAfter < buffersBefore + 4 * 1024 * 1024, `the stuck sockets' buffers were released (${buffersAfter} bytes after, ${buffersBefore} before)`);
  });
});
