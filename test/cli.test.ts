// The operator CLI on the embedded store, as `npm run headcount -- ...` runs it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkShareToken } from '../src/share-links.js';
import { parseSites } from '../src/sites.js';
import { openMemoryStore } from '../src/store/memory/memory-store.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'headcount-cli-'));
const run = (env: Record<string, string>, ...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, env: { PATH: process.env.PATH, DATA_DIR: dataDir, ...env }, encoding: 'utf8' });
const cli = (...args: string[]) => run({}, ...args);

describe('headcount CLI', () => {
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('sets starting totals that the stats then show, and keeps them', () => {
    const set = cli('set-totals', 'demo', '--visits', '52015394');
    assert.equal(set.status, 0, set.stderr);
    assert.equal(JSON.parse(set.stdout).visits.total, 52_015_394);
    const stats = cli('stats', 'demo');
    assert.equal(stats.status, 0, stats.stderr);
    assert.deepEqual(JSON.parse(stats.stdout).visits, { total: 52_015_394, today: 0, month: 0, yesterday: 0 });
    assert.equal(JSON.parse(stats.stdout).pageviews.total, 0, 'pageviews untouched');
  });

  it('imports an old counter\'s days, which the store then holds, marked imported, totals untouched', async () => {
    const file = join(dataDir, 'old-counter.csv');
    writeFileSync(file, 'date,visits,pageviews\n2024-03-01,120,340\n2024-03-02,130,360\n');
    const run = cli('import-history', 'demo', file);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /imported 2 days for demo/);
    assert.equal(JSON.parse(run.stdout).visits.total, 52_015_394, 'lifetime totals untouched');
    const store = await openMemoryStore({ visitWindowMs: 30 * 60_000, clock: Date.now, dataDir });
    try {
      const points = await store.history('demo', 'day', ['2024-03-01', '2024-03-02']);
      assert.deepEqual(points.map(({ visits, pageviews, imported }) => ({ visits, pageviews, imported })), [
        { visits: 120, pageviews: 340, imported: true },
        { visits: 130, pageviews: 360, imported: true },
      ]);
    } finally {
      await store.close();
    }
  });

  it('refuses a CSV with a bad row, naming the file, line and field, with exit code 2', () => {
    const file = join(dataDir, 'bad.csv');
    writeFileSync(file, 'date,visits,pageviews\n2024-03-03,1,1\n2024-03-04,-1,1\n');
    const run = cli('import-history', 'demo', file);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /bad\.csv: line 3: visits: expected a whole number/);
    const missing = cli('import-history', 'demo', join(dataDir, 'none.csv'));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /none\.csv: ENOENT/);
  });

  for (const [args, message] of [
    [['set-totals', 'demo', '--visits=-5'], /--visits: expected a whole number/],
    [['set-totals', 'demo', '--visits', 'many'], /--visits: expected a whole number/],
    [['set-totals', 'demo'], /give visits, pageviews or both/],
    [['set-totals', 'nope', '--visits', '1'], /unknown site "nope"/],
    [['frobnicate', 'demo'], /usage:/],
    [['stats'], /usage:/],
    [['import-history', 'demo'], /usage:/],
    [['stats', 'demo', 'extra.csv'], /usage:/],
  ] as const) {
    it(`refuses ${args.join(' ')} with exit code 2`, () => {
      const run = cli(...args);
      assert.equal(run.status, 2);
      assert.match(run.stderr, message);
    });
  }

  describe('share', () => {
    const READ_TOKEN = 'paper-read-token-0123456789abcdefgh';
    const sitesJson = {
      sites: [
        { id: 'paper', origins: ['https://paper.example'], memberSecret: 'm'.repeat(32), readToken: READ_TOKEN },
        { id: 'bare', origins: ['https://bare.example'], memberSecret: 'm'.repeat(32) },
      ],
    };
    const sitesFile = join(dataDir, 'sites.json');
    writeFileSync(sitesFile, JSON.stringify(sitesJson));
    const share = (env: Record<string, string>, ...args: string[]) => run({ SITES_FILE: sitesFile, ...env }, 'share', ...args);

    it('prints a dashboard link under PUBLIC_URL that the site accepts for the days asked, 30 by default', () => {
      const site = parseSites(sitesJson).get('paper')!;
      for (const [args, days] of [[[], 30], [['--days', '1'], 1], [['--days', '365'], 365]] as const) {
        const before = Date.now();
        const made = share({ PUBLIC_URL: 'https://stats.paper.example/' }, 'paper', ...args);
        assert.equal(made.status, 0, made.stderr);
        const url = new URL(made.stdout.trim());
        assert.equal(`${url.origin}${url.pathname}`, 'https://stats.paper.example/dashboard/paper');
        const check = checkShareToken(site, url.searchParams.get('share')!, Date.now());
        assert.ok(check.ok, 'a valid link');
        assert.ok(Math.abs(check.expiresAt - (before + days * 86_400_000)) < 60_000, `${days} days`);
        assert.match(made.stderr, /valid until \d{4}-\d\d-\d\dT.*readToken revokes it/);
      }
    });

    it('uses http://localhost:PORT without PUBLIC_URL', () => {
      const made = share({ PORT: '9090' }, 'paper');
      assert.equal(made.status, 0, made.stderr);
      assert.match(made.stdout, /^http:\/\/localhost:9090\/dashboard\/paper\?share=paper\.\d+\.[\w-]{43}\n$/);
    });

    for (const [args, message] of [
      [['bare'], /site "bare" has no readToken: add one/],
      [['paper', '--days', '0'], /--days: expected a whole number from 1 to 365, got 0/],
      [['paper', '--days', '366'], /--days: expected a whole number from 1 to 365, got 366/],
      [['paper', '--days', 'many'], /--days: expected a whole number/],
      [['nope'], /unknown site "nope"/],
    ] as const) {
      it(`refuses share ${args.join(' ')} with exit code 2`, () => {
        const made = share({}, ...args);
        assert.equal(made.status, 2, made.stdout);
        assert.match(made.stderr, message);
        assert.equal(made.stdout, '');
      });
    }

    it('takes --days only with share', () => {
      const made = run({}, 'stats', 'demo', '--days', '3');
      assert.equal(made.status, 2);
      assert.match(made.stderr, /--days: only applies to share/);
    });
  });
});
