// An old counter's three years of daily counts (1,096 rows) imported with PUT /api/sites/demo/history into
// the real service, on the embedded store and on a redis-server of its own: the time of the PUT, then the
// days read back (GET, 400 days a request) and a second import, which must change nothing.
import { periodsAt } from '../src/calendar.js';
import { DEMO_SITE } from '../src/sites.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { startHeadcount } from '../test/support/headcount.js';
import type { Measurement } from './lib/context.js';
import { killOnExit } from './lib/processes.js';
import { figure } from './lib/report.js';

const DAYS = 1_096;
const TARGET_SECONDS = 10;
const ADMIN_TOKEN = 'bench-history-admin-token-0123456789';
const REQUEST_TIMEOUT_MS = 60_000;

/** The calendar day `days` after (negative: before) the demo site's today. */
function dayFromToday(days: number): string {
  const today = periodsAt(Date.now(), DEMO_SITE.timeZone).day;
  return new Date(Date.parse(`${today}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** Days ending yesterday, counts that differ from day to day. */
function oldCounterCsv(): string {
  const rows: string[] = [];
  for (let i = DAYS; i >= 1; i--) rows.push(`${dayFromToday(-i)},${(i * 7_919) % 40_000},${((i * 104_729) % 90_000) + 40_000}`);
  return `date,visits,pageviews\n${rows.join('\n')}\n`;
}

async function putCsv(url: string, csv: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/api/sites/demo/history`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' },
    body: csv,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const body = await response.text();
  const seconds = (performance.now() - started) / 1_000;
  if (!response.ok) throw new Error(`import answered ${response.status}: ${body}`);
  return seconds;
}

/** The days as the CSV export gives them, in the import's own format. */
async function exportedCsv(url: string): Promise<string> {
  const rows: string[] = [];
  for (let start = -DAYS; start < 0; start += 400) {
    const query = `period=day&from=${dayFromToday(start)}&to=${dayFromToday(Math.min(start + 400, 0))}&format=csv`;
    const response = await fetch(`${url}/api/sites/demo/history?${query}`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`export answered ${response.status}: ${await response.text()}`);
    for (const line of (await response.text()).trimEnd().split('\r\n').slice(1)) {
      const [at, pageviews, visits] = line.split(',');
      rows.push(`${at!.slice(0, 10)},${visits},${pageviews}`);
    }
  }
  return `date,visits,pageviews\n${rows.join('\n')}\n`;
}

async function importInto(env: Record<string, string>, csv: string): Promise<{ first: number; second: number }> {
  const server = await startHeadcount({ env: { ADMIN_TOKEN, LOG_LEVEL: 'error', ...env } });
  const forget = killOnExit(() => server.child.kill('SIGKILL'));
  try {
    const first = await putCsv(server.url, csv);
    if ((await exportedCsv(server.url)) !== csv) throw new Error('the export differs from the import');
    const second = await putCsv(server.url, csv);
    if ((await exportedCsv(server.url)) !== csv) throw new Error('a second import changed the days');
    return { first, second };
  } finally {
    await server.dispose();
    forget();
  }
}

export const historyImport: Measurement = {
  id: 'history',
  title: 'history import, 3 years of days',
  async run(ctx) {
    const csv = oldCounterCsv();
    const embedded = await importInto({}, csv);
    const redisServer = await startRedisServer();
    const forget = killOnExit(() => void redisServer.kill());
    let redis: { first: number; second: number };
    try {
      redis = await importInto({ REDIS_URL: redisServer.url, KEY_PREFIX: 'bench-history' }, csv);
    } finally {
      await redisServer.stop();
      forget();
    }
    ctx.log(`history import of ${DAYS} days: embedded ${embedded.first.toFixed(2)} s (again ${embedded.second.toFixed(2)} s), Redis ${redis.first.toFixed(2)} s (again ${redis.second.toFixed(2)} s)`);
    const note = `PUT /api/sites/demo/history, ${DAYS} rows (${Buffer.byteLength(csv)} bytes) over HTTP to the real service; read back byte for byte, imported twice`;
    return {
      figures: [
        figure({ name: 'history import, 3 years of days, embedded store (s)', value: embedded.first, target: { on: 'value', op: '<=', limit: TARGET_SECONDS }, note }),
        figure({ name: 'history import, 3 years of days, Redis (s)', value: redis.first, target: { on: 'value', op: '<=', limit: TARGET_SECONDS }, note: 'its own redis-server' }),
      ],
      details: { days: DAYS, bytes: Buffer.byteLength(csv), embedded, redis },
    };
  },
};
