// Operator commands on the configured store (same environment as the server):
//   set-totals SITE [--visits N] [--pageviews N]   starting lifetime totals, e.g. from an old counter
//   stats SITE                                      the figures the stats API would serve
//   import-history SITE FILE.csv                    an old counter's days or months (as PUT /history takes)
//   share SITE [--days N]                           a dashboard link for a private site (signed, expiring)
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { periodsAt } from './calendar.js';
import { CsvError, parseImportCsv, type ParsedImport } from './history-csv.js';
import { parseTotals } from './http/routes/admin.js';
import { createLogger } from './logger.js';
import { loadSettingsOrExit } from './settings.js';
import { makeShareToken, SHARE_DAYS_DEFAULT, SHARE_DAYS_MAX, SHARE_DAYS_MIN, ShareLinkError, shareUrl } from './share-links.js';
import type { Site } from './sites.js';
import { createStatsReader } from './stats.js';
import { openStore } from './store/open-store.js';

const USAGE = `usage: npm run headcount -- set-totals SITE [--visits N] [--pageviews N]
       npm run headcount -- stats SITE
       npm run headcount -- import-history SITE FILE.csv
       npm run headcount -- share SITE [--days N]`;

function fail(message: string, code = 2): never {
  console.error(`headcount: ${message}`);
  process.exit(code);
}

function wholeNumber(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) fail(`--${name}: expected a whole number, got "${raw}"`);
  return Number(raw);
}

/** The file's rows, all valid, or an exit naming the file, line and field (nothing written). */
function readImport(file: string, today: string): ParsedImport {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return fail(`${file}: ${(error as Error).message}`);
  }
  try {
    return parseImportCsv(text, today);
  } catch (error) {
    if (error instanceof CsvError) return fail(`${file}: ${error.message}`);
    throw error;
  }
}

/** Prints the dashboard link; the link lives in the token alone, so no store is opened. */
function share(site: Site, rawDays: string | undefined, publicUrl: string): void {
  const days = wholeNumber('days', rawDays) ?? SHARE_DAYS_DEFAULT;
  if (days < SHARE_DAYS_MIN || days > SHARE_DAYS_MAX) fail(`--days: expected a whole number from ${SHARE_DAYS_MIN} to ${SHARE_DAYS_MAX}, got ${days}`);
  let made;
  try {
    made = makeShareToken(site, days, Date.now());
  } catch (error) {
    if (error instanceof ShareLinkError) fail(error.message);
    throw error;
  }
  console.log(shareUrl(publicUrl, site, made.token));
  console.error(`headcount: link to the ${site.id} dashboard valid until ${new Date(made.expiresAt).toISOString()}; changing the site's readToken revokes it`);
}

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { visits: { type: 'string' }, pageviews: { type: 'string' }, days: { type: 'string' } } });
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  const [command, siteId, ...rest] = parsed.positionals;
  const arity = command === 'import-history' ? 1 : 0;
  if (!command || !siteId || rest.length !== arity || !['set-totals', 'stats', 'import-history', 'share'].includes(command)) fail(USAGE);
  if (parsed.values.days !== undefined && command !== 'share') fail(`--days: only applies to share\n${USAGE}`);

  const { config, sites } = loadSettingsOrExit();
  const site = sites.get(siteId);
  if (!site) fail(`unknown site "${siteId}" (configured: ${sites.all().map((s) => s.id).join(', ')})`);

  if (command === 'share') return share(site, parsed.values.days, config.publicUrl ?? `http://localhost:${config.port}`);

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

  const history = command === 'import-history' ? readImport(rest[0]!, periodsAt(Date.now(), site.timeZone).day) : undefined;

  const { store } = await openStore(config, sites, Date.now, createLogger('warn'));
  try {
    if (totals) await store.setTotals(site.id, totals);
    if (history) {
      await store.importHistory(site.id, history.period, history.rows);
      console.error(`headcount: imported ${history.rows.length} ${history.period === 'day' ? 'days' : 'months'} for ${site.id}`);
    }
    console.log(JSON.stringify(await createStatsReader(store, Date.now, 0).read(site), null, 2));
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => fail(error instanceof Error ? error.message : String(error), 1));
