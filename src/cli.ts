// Operator commands on the configured store (same environment as the server):
//   set-totals SITE [--visits N] [--pageviews N]   starting lifetime totals, e.g. from an old counter
//   stats SITE                                      the figures the stats API would serve
import { parseArgs } from 'node:util';
import { parseTotals } from './http/routes/admin.js';
import { createLogger } from './logger.js';
import { loadSettingsOrExit } from './settings.js';
import { createStatsReader } from './stats.js';
import { openStore } from './store/open-store.js';

const USAGE = `usage: npm run headcount -- set-totals SITE [--visits N] [--pageviews N]
       npm run headcount -- stats SITE`;

function fail(message: string, code = 2): never {
  console.error(`headcount: ${message}`);
  process.exit(code);
}

function wholeNumber(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) fail(`--${name}: expected a whole number, got "${raw}"`);
  return Number(raw);
}

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { visits: { type: 'string' }, pageviews: { type: 'string' } } });
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  const [command, siteId, ...rest] = parsed.positionals;
  if (!command || !siteId || rest.length > 0 || !['set-totals', 'stats'].includes(command)) fail(USAGE);

  const { config, sites } = loadSettingsOrExit();
  const site = sites.get(siteId);
  if (!site) fail(`unknown site "${siteId}" (configured: ${sites.all().map((s) => s.id).join(', ')})`);

  const totals =
    command === 'set-totals'
      ? (() => {
          const given = { visits: wholeNumber('visits', parsed.values.visits), pageviews: wholeNumber('pageviews', parsed.values.pageviews) };
          try {
            return parseTotals(Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)));
          } catch (error) {
            return fail((error as Error).message);
          }
        })()
      : undefined;

  const { store } = await openStore(config, sites, Date.now, createLogger('warn'));
  try {
    if (totals) await store.setTotals(site.id, totals);
    console.log(JSON.stringify(await createStatsReader(store, Date.now, 0).read(site), null, 2));
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => fail(error instanceof Error ? error.message : String(error), 1));
