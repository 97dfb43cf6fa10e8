// npm run soak: the long soak of test/support/soak.ts, 3,000 pages for 10 minutes by default.
//   npm run soak -- --seconds=1800 --pages=5000     (or SOAK_SECONDS / SOAK_PAGES)
// Prints the summary table and the checker's verdict; exits 1 when the checker or a margin failed.
import { parseArgs } from 'node:util';
import { runSoak, soakTable } from '../support/soak.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: process.env.SOAK_SECONDS ?? '600' },
    pages: { type: 'string', default: process.env.SOAK_PAGES ?? '3000' },
  },
});
const seconds = Number(args.seconds);
const pages = Number(args.pages);
if (!(Number.isFinite(seconds) && seconds >= 9)) throw new Error(`--seconds (SOAK_SECONDS): expected at least 9, got ${args.seconds}`);
if (!(Number.isInteger(pages) && pages >= 10 && pages <= 30_000)) throw new Error(`--pages (SOAK_PAGES): expected an integer from 10 to 30000, got ${args.pages}`);

const startedAt = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - startedAt) / 1_000).toFixed(1).padStart(6)} s] ${line}`);
// Backstop: the soak's own waits are bounded; this ends a run that hangs anyway (cleanup included).
const limit = setTimeout(() => {
  console.error(`soak: time limit of ${seconds + 600} s hit`);
  process.exit(1);
}, (seconds + 600) * 1_000);
limit.unref();

log(`soak: ${pages} pages on two instances for ${seconds} s`);
const result = await runSoak({ pages, seconds, presenceTtlMs: 3_000, pageLifetimeSeconds: 60, kill: true, awaitVisitWindow: true, log });
console.log(soakTable(result));
process.exitCode = result.failures.length === 0 ? 0 : 1;
