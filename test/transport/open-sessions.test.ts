// What the transport tells a store about the page sessions open on this instance (Store.heldBy): what a
// Redis store re-joins after it was reaped. Each session as it is now: its page, source and engagement.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { DEMO_SITE, loadSites } from '../../src/sites.js';
import { openStore } from '../../src/store/open-store.js';
import type { JoinInput, OpenSessions, Store } from '../../src/store/store.js';
import { eventually, PageClient } from '../support/page-client.js';

describe('open page sessions, as the transport tells the store', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'headcount-test-'));
  let store: Store;
  let server: RunningServer;
  let sessions: OpenSessions | undefined;
  const clients: PageClient[] = [];
  const wsUrl = () => `ws://127.0.0.1:${server.port}/ws`;
  const listed = (now = Date.now()): JoinInput[] => [...sessions!('demo', now)];
  const page = async () => {
    const client = await PageClient.open(wsUrl());
    clients.push(client);
    return client;
  };

  before(async () => {
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATA_DIR: dataDir });
    const logger = createLogger(config.logLevel);
    store = (await openStore(config, loadSites(config.sitesFile), Date.now, logger)).store;
    const heldBy = store.heldBy.bind(store);
    store.heldBy = (source) => {
      sessions = source;
      heldBy(source);
    };
    server = await startServer({ config, sites: loadSites(config.sitesFile), store, clock: Date.now, logger });
  });

  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await server.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is told once at start-up, and lists a site with no open page as empty', () => {
    assert.equal(typeof sessions, 'function');
    assert.deepEqual(listed(), []);
    assert.deepEqual([...sessions!('no-such-site', Date.now())], []);
  });

  it('lists each stored page session with its page, source and engagement now, until it ends', async () => {
    const reader = await page();
    const vid = randomUUID();
    const welcome = await reader.hello({ vid, ref: 'https://www.google.com/search?q=x', title: 'Bài viết', section: 'Thời sự' });
    const now = Date.now();
    const [session, ...others] = listed(now);
    assert.deepEqual(others, []);
    assert.deepEqual({ ...session, periods: undefined }, {
      site: 'demo', psid: welcome.psid, identity: vid, visitor: vid, kind: 'guest', now, periods: undefined,
      page: { url: 'http://localhost:3000/bai-viet.html', title: 'Bài viết', section: 'Thời sự', author: undefined },
      source: 'search', referrerHost: 'google.com', engaged: true,
    });
    assert.match(session!.periods.day, /^\d{4}-\d\d-\d\d$/);

    reader.send({ t: 'eng', on: false });
    await eventually(async () => listed()[0]?.engaged, (engaged) => engaged === false);

    const next = randomUUID();
    reader.send({ t: 'page', psid: next, url: 'http://localhost:3000/khac.html', ref: 'http://localhost:3000/bai-viet.html' });
    await eventually(async () => listed().map((s) => s.psid), (psids) => psids.length === 1 && psids[0] === next);
    assert.equal(listed()[0]!.page.url, 'http://localhost:3000/khac.html');
    assert.equal(listed()[0]!.source, 'internal', 'a navigation comes from the site itself');

    await reader.close();
    await eventually(async () => listed().length, (n) => n === 0);
  });

  it("lists a member's page with the visitor id of its hello", async () => {
    const member = await page();
    const vid = randomUUID();
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('reader-7')
      .setAudience('demo')
      .setExpirationTime(Math.floor(Date.now() / 1000) + 300)
      .sign(new TextEncoder().encode(DEMO_SITE.memberSecret));
    const welcome = await member.hello({ vid, member: token });
    assert.equal(welcome.kind, 'member');
    const [session] = listed();
    assert.equal(session?.kind, 'member');
    assert.notEqual(session?.identity, vid);
    assert.equal(session?.visitor, vid);
    await member.close();
  });
});
