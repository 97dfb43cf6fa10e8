// Benchmark (not a test): rendering /metrics for 100 configured sites must take under 10 ms.
// Real pieces throughout: a SITES_FILE of 100 sites, the embedded store with page sessions in
// every site (each reading one of a few articles, with a source), the instrumented store and the
// server's registry. Every render reads all 100 sites' stats and live figures from the store (no
// cache), as a scrape every few seconds does.
//   node --import tsx bench/metrics-render.ts      (or npm run bench:metrics)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SOURCES } from '../src/audience/source.js';
import { periodsAt } from '../src/calendar.js';
import { loadConfig } from '../src/config.js';
import { instrumentStore } from '../src/metrics/instrumented-store.js';
import { createMetrics } from '../src/metrics/metrics.js';
import { siteFiguresReader } from '../src/metrics/site-figures.js';
import { createLiveReader } from '../src/live-view.js';
import { loadSites } from '../src/sites.js';
import { createStatsReader } from '../src/stats.js';
import { openMemoryStore } from '../src/store/memory/memory-store.js';
import type { Kind } from '../src/store/store.js';

const SITES = 100;
const SESSIONS_PER_SITE = 50;
const WARMUP = 20;
const RENDERS = 300;
const BUDGET_MS = 10;
const ARTICLES_PER_SITE = 10;
const KINDS: Kind[] = ['guest', 'guest', 'guest', 'member', 'bot'];

const dir = mkdtempSync(join(tmpdir(), 'headcount-bench-metrics-'));
try {
  const sitesFile = join(dir, 'sites.json');
  const ids = Array.from({ length: SITES }, (_, i) => `site-${String(i).padStart(3, '0')}`);
  writeFileSync(sitesFile, JSON.stringify({ sites: ids.map((id) => ({ id, origins: [`https://${id}.example`], memberSecret: `${id}-member-secret`.padEnd(40, '#'), timeZone: 'Asia/Ho_Chi_Minh' })) }));
  const config = loadConfig({ SITES_FILE: sitesFile, DATA_DIR: join(dir, 'data') });
  const sites = loadSites(config.sitesFile);
  const inner = await openMemoryStore({ visitWindowMs: config.visitWindowMs, clock: Date.now, dataDir: config.dataDir });

  // Wired as src/server.ts does, except that the stats reader keeps nothing between renders.
  const metrics = createMetrics(() => figures());
  const store = instrumentStore(inner, metrics);
  const stats = createStatsReader(store, Date.now, 0);
  const figures = siteFiguresReader(sites, stats, createLiveReader(store, stats, Date.now, 0));

  for (const site of sites.all()) {
    for (let i = 0; i < SESSIONS_PER_SITE; i++) {
      const now = Date.now();
      await store.join({
        site: site.id, psid: `${site.id}-p${i}`, identity: `${site.id}-v${i}`, visitor: `${site.id}-v${i}`, kind: KINDS[i % KINDS.length]!, now, periods: periodsAt(now, site.timeZone),
        page: { url: `https://${site.id}.example/tin/${i % ARTICLES_PER_SITE}.html`, title: `Bài ${i % ARTICLES_PER_SITE}` }, source: SOURCES[i % SOURCES.length]!, engaged: i % 2 === 0,
      });
    }
  }

  let bytes = 0;
  const times: number[] = [];
  for (let i = 0; i < WARMUP + RENDERS; i++) {
    const started = performance.now();
    const text = await metrics.registry.metrics();
    const elapsed = performance.now() - started;
    if (i >= WARMUP) times.push(elapsed);
    bytes = text.length;
  }
  await inner.close();

  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  const median = at(0.5);
  const verdict = median < BUDGET_MS ? 'PASS' : 'FAIL';
  console.log(`metrics render, ${SITES} sites x ${SESSIONS_PER_SITE} page sessions: median ${median.toFixed(2)} ms, p90 ${at(0.9).toFixed(2)} ms, max ${at(1).toFixed(2)} ms over ${RENDERS} renders (${(bytes / 1024).toFixed(0)} KiB each)`);
  console.log(`${verdict}: median ${median.toFixed(2)} ms ${verdict === 'PASS' ? '<' : '>='} ${BUDGET_MS} ms budget`);
  if (verdict === 'FAIL') process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
