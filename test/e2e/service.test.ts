// The service as a user runs it (`src/main.ts` in a child process), on the embedded store and on a real
// redis-server: the acceptance checks, including restarts that must lose nothing.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { CloseCode } from '../../src/protocol.js';
import { DEMO_SITE } from '../../src/sites.js';
import { startHeadcount, type HeadcountProcess } from '../support/headcount.js';
import { eventually, PageClient } from '../support/page-client.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

const memberToken = (sub: string, expiresIn: string | number) =>
  new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setAudience('demo').setExpirationTime(expiresIn).sign(new TextEncoder().encode(DEMO_SITE.memberSecret));

for (const backend of ['embedded', 'redis'] as const) {
  describe(`service on the ${backend} store`, () => {
    let redis: RedisServer | undefined;
    let hc: HeadcountProcess;
    const pages: PageClient[] = [];
    const stats = async () => (await fetch(`${hc.url}/api/sites/demo/stats`)).json() as Promise<any>;
    const page = async () => {
      const client = await PageClient.open(hc.wsUrl);
      pages.push(client);
      return client;
    };

    before(async () => {
      const env: Record<string, string> = { ADMIN_TOKEN: 'service-test-admin-token' };
      if (backend === 'redis') {
        redis = await startRedisServer();
        env.REDIS_URL = redis.url;
        env.KEY_PREFIX = `hc-e2e-${process.pid}`;
      }
      hc = await startHeadcount({ env });
    });
    after(async () => {
      for (const p of pages) p.socket.terminate();
      await hc.dispose();
      await redis?.stop();
    });

    it('counts tabs, visitors and members as the protocol describes', async () => {
      const vid = randomUUID();
      const [tab1, tab2, other, member] = await Promise.all([page(), page(), page(), page()]);
      await tab1.hello({ vid });
      await tab2.hello({ vid });
      assert.equal((await stats()).online.guests, 1, 'two page sessions of one visitor');
      await other.hello();
      assert.equal((await stats()).online.guests, 2, 'a second visitor');
      const closedAt = Date.now();
      await other.close();
      await eventually(stats, (s) => s.online.guests === 1, 2_000);
      assert.ok(Date.now() - closedAt < 2_000);
      assert.equal((await member.hello({ member: await memberToken('reader-1', '5m') })).kind, 'member');
      assert.deepEqual((await stats()).online, { guests: 1, members: 1, total: 2, bots: 0 });
      for (const token of [await memberToken('reader-2', Math.floor(Date.now() / 1000) - 60), `${(await memberToken('reader-3', '5m')).slice(0, -4)}AAAA`]) {
        const refused = await page();
        refused.send({ t: 'hello', site: 'demo', vid: randomUUID(), psid: randomUUID(), url: '/x', member: token });
        assert.equal((await refused.closed).code, CloseCode.badMemberToken);
      }
      assert.deepEqual((await stats()).online, { guests: 1, members: 1, total: 2, bots: 0 });
    });

    it('keeps totals through a restart, and reconnecting pages add no pageviews or visits', async () => {
      const res = await fetch(`${hc.url}/api/sites/demo/totals`, {
        method: 'PUT',
        headers: { authorization: 'Bearer service-test-admin-token', 'content-type': 'application/json' },
        body: '{"visits":52015394}',
      });
      assert.equal(res.status, 200);
      const sessions = Array.from({ length: 5 }, () => ({ vid: randomUUID(), psid: randomUUID() }));
      for (const s of sessions) await (await page()).hello(s);
      const before = await stats();
      assert.equal(before.visits.total, 52_015_394 + 5);

      for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
        await hc.restart(signal);
        const afterRestart = await stats();
        assert.equal(afterRestart.visits.total, before.visits.total, `visits kept after ${signal}`);
        assert.equal(afterRestart.pageviews.total, before.pageviews.total, `pageviews kept after ${signal}`);
        for (const s of sessions) assert.equal((await (await page()).hello(s)).resumed, true);
        const reconnected = await stats();
        assert.equal(reconnected.online.guests, 5);
        assert.equal(reconnected.visits.total, before.visits.total, `no visits added by reconnects after ${signal}`);
        assert.equal(reconnected.pageviews.total, before.pageviews.total, `no pageviews added by reconnects after ${signal}`);
      }
    });
  });
}
