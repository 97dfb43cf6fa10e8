// Upgrading from version 5 of the scripts: what version 5 kept in its own keys (closed page sessions,
// identities' last activity, engaged sessions by identity) is moved at start, so a page that closed
// before the upgrade resumes after it and counts no second pageview.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRedisStore, type RedisStore } from '../../../src/store/redis/redis-store.js';
import { type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { adminClient, DAY, PREFIX, READING, SITE, storeOptions } from './harness.js';

const key = (name: string) => `${PREFIX}:{${SITE}}:${name}`;
const ENGAGED = 2 ** 24;

describe('redis store upgrade from version 5', { timeout: 20_000 }, () => {
  let server: RedisServer;
  const stores: RedisStore[] = [];
  let admin: ReturnType<typeof adminClient>;
  before(async () => {
    server = await startRedisServer();
    admin = adminClient(server);
  });
  // Also after a failed assertion: open clients would keep the test process alive.
  after(async () => {
    admin.disconnect();
    await Promise.all(stores.map((store) => store.close()));
    await server.stop();
  });

  it('moves seen, last and engagedBy into recent and who, in batches, and a closed page still resumes', async () => {
    const now = Date.now();
    // 2,500 closed page sessions: more than one batch of each kind.
    const seen: (string | number)[] = [];
    for (let i = 0; i < 2_500; i++) seen.push(now - 60_000, `old-page-${i}`);
    await admin.zadd(key('seen'), ...seen);
    await admin.zadd(key('last'), now - 60_000, 'g:returning');
    // An identity of a crashed version 5 instance, still open with one engaged session, and one that left.
    await admin.hset(key('who'), 'g:open', '1');
    await admin.hset(key('ewho'), 'g:open', '1', 'g:gone', '1');

    const store = await createRedisStore(storeOptions(server, { logger: { warn() {} } }));
    stores.push(store);

    assert.equal(await admin.exists(key('seen'), key('last'), key('ewho')), 0);
    assert.equal(await admin.zcard(key('recent')), 2_501);
    assert.equal(Number(await admin.zscore(key('recent'), 'p:old-page-7')), now - 60_000);
    assert.equal(Number(await admin.hget(key('who'), 'g:open')), 1 + ENGAGED);
    assert.equal(await admin.hexists(key('who'), 'g:gone'), 0);

    const result = await store.join({ site: SITE, psid: 'old-page-7', identity: 'returning', visitor: 'returning', kind: 'guest', now, periods: DAY, ...READING });
    assert.deepEqual(result, { pageview: false, visit: false }, 'the page that closed before the upgrade resumes');
  });

  it('keeps the later time of an entry found in both layouts, and has nothing to move on the next start', async () => {
    const now = Date.now();
    await admin.zadd(key('recent'), now - 1_000, 'g:both');
    await admin.zadd(key('last'), now - 50_000, 'g:both');
    const store = await createRedisStore(storeOptions(server, { logger: { warn() {} } }));
    stores.push(store);
    assert.equal(Number(await admin.zscore(key('recent'), 'g:both')), now - 1_000);
    const again = await createRedisStore(storeOptions(server, { logger: { warn() {} } }));
    stores.push(again);
    assert.equal(Number(await admin.zscore(key('recent'), 'g:both')), now - 1_000);
  });
});
