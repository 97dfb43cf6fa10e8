// Live pages with two instances on one Redis, as `npm start` runs them (child processes): a reader on
// each instance on one article counts 2 in the live view of both and in the article's readers push,
// and after kill -9 of one instance its reader leaves within the presence TTL, like the online counts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ServerMessage } from '../../src/protocol.js';
import { startHeadcount, type HeadcountProcess } from '../support/headcount.js';
import { startAll } from '../support/start-all.js';
import { eventually, PageClient } from '../support/page-client.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

const PRESENCE_TTL_MS = 1_500;
const HEARTBEAT_INTERVAL_MS = 300;
/** A crashed instance's pages leave once its presence expired and a survivor's heartbeat (every TTL/3) noticed. */
const CRASH_BOUND_MS = (PRESENCE_TTL_MS * 4) / 3;
const ARTICLE = 'http://localhost:3000/thoi-su/bao-so-9.html';

interface LivePage {
  url: string;
  title?: string;
  readers: number;
  engaged: number;
  sources: Record<string, number>;
}

interface LiveView {
  online: { guests: number };
  engaged: number;
  sources: Record<string, number>;
  referrers: { host: string; readers: number }[];
  pages: LivePage[];
}

type ReadersMessage = Extract<ServerMessage, { t: 'readers' }>;
const isReaders = (readers: number) => (m: ServerMessage): m is ReadersMessage => m.t === 'readers' && m.readers === readers;

describe('live pages with two instances on one Redis', { timeout: 60_000 }, () => {
  let redis: RedisServer;
  let a: HeadcountProcess;
  let b: HeadcountProcess;
  const pages: PageClient[] = [];
  const env = () => ({
    REDIS_URL: redis.url,
    PRESENCE_TTL_MS: String(PRESENCE_TTL_MS),
    HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_INTERVAL_MS),
    HTTP_REQUESTS_PER_MINUTE: '1000000',
  });
  const live = async (hc: HeadcountProcess): Promise<LiveView> => {
    const response = await fetch(`${hc.url}/api/sites/demo/live?limit=10`);
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as LiveView;
  };
  const article = (view: LiveView) => view.pages.find((page) => page.url === ARTICLE);
  const reader = async (hc: HeadcountProcess, ref?: string) => {
    const client = await PageClient.open(hc.wsUrl);
    pages.push(client);
    await client.hello({ vid: randomUUID(), url: ARTICLE, title: 'Bão số 9', ...(ref === undefined ? {} : { ref }) });
    return client;
  };

  before(async () => {
    redis = await startRedisServer();
    [a, b] = await startAll(startHeadcount({ env: env() }), startHeadcount({ env: env() }));
  });
  after(async () => {
    for (const page of pages) page.socket.terminate();
    await Promise.all([a, b].map((hc) => hc?.dispose()));
    await redis?.stop();
  });

  it('a reader on each instance on one article: readers 2 in the live view of both; kill -9 of one drops its reader within the presence TTL', async (t) => {
    const onA = await reader(a, 'https://www.google.com/');
    onA.send({ t: 'readers', on: true });
    await reader(b, 'https://zalo.me/');
    for (const hc of [a, b]) {
      const view = await eventually(() => live(hc), (v) => article(v)?.readers === 2);
      assert.deepEqual({ ...article(view), sources: undefined }, { url: ARTICLE, title: 'Bão số 9', readers: 2, engaged: 2, sources: undefined });
      assert.equal(view.sources.search, 1);
      assert.equal(view.sources.social, 1);
      assert.deepEqual(view.referrers.map(({ host }) => host).sort(), ['google.com', 'zalo.me']);
    }
    await onA.next(isReaders(2), 2_000);

    const killedAt = Date.now();
    await b.stop('SIGKILL');
    const view = await eventually(() => live(a), (v) => article(v)?.readers === 1, CRASH_BOUND_MS + 2_000);
    const tookMs = Date.now() - killedAt;
    assert.ok(tookMs <= CRASH_BOUND_MS + 1_500, `the crashed instance's reader left after ${tookMs} ms`); // + the route's 1 s cache
    t.diagnostic(`the crashed instance's reader left the live view ${tookMs} ms after kill -9`);
    assert.deepEqual(view.referrers.map(({ host }) => host), ['google.com']);
    assert.equal(view.online.guests, 1);
    await onA.next(isReaders(1), 2_000);
  });
});
