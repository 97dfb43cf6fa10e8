// The client routes on their own Express app and port, with fixed figures instead of a store.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { unknownSiteResponder } from '../../src/http/errors.js';
import { clientRoutes } from '../../src/http/routes/client.js';
import { parseSites } from '../../src/sites.js';
import type { StatsReader } from '../../src/stats.js';
import { COUNTS } from './counts.js';

const SECRET = 'x'.repeat(32);

export async function serveClientRoutes(siteIds = ['demo', 'private']): Promise<{ url: string; close(): void }> {
  const sites = parseSites({ sites: siteIds.map((id) => ({ id, origins: ['http://localhost:*'], memberSecret: SECRET, public: id !== 'private' })) });
  const stats: StatsReader = { read: async (site) => ({ ...COUNTS, site: site.id }) };
  const app = express().use(clientRoutes(sites, stats, unknownSiteResponder(() => undefined)));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}
