// Child process of the kill -9 test: joins page sessions, many in flight at once, and prints each
// psid once its join is acknowledged, until the parent kills it (or it runs out of sessions).
import { periodsAt } from '../../../src/calendar.js';
import { openMemoryStore } from '../../../src/store/memory/memory-store.js';

const [dataDir, now, day, month] = process.argv.slice(2) as [string, string, string, string];
const at = Number(now);
const store = await openMemoryStore({ dataDir, visitWindowMs: 30 * 60_000, clock: () => at });
const LIMIT = 50_000;
/** The page every join here reads: these tests are about durability, not pages. */
const READING = { page: { url: 'https://memory.example/' }, source: 'direct', engaged: true } as const;
let next = 0;

async function worker(): Promise<void> {
  while (next < LIMIT) {
    const i = next++;
    const psid = `crash-${i}`;
    const visitor = `visitor-${i % 100}`;
    await store.join({ site: 'crash', psid, identity: visitor, visitor, kind: 'guest', now: at, periods: { ...periodsAt(at, 'UTC'), day, month }, ...READING });
    process.stdout.write(`${psid}\n`);
  }
}

await Promise.all(Array.from({ length: 32 }, worker));
await store.close();
