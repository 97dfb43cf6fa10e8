// The operator CLI on the embedded store, as `npm run headcount -- ...` runs it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openMemoryStore } from '../src/store/memory/memory-store.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'headcount-cli-'));
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, env: { PATH: process.env.PATH, DATA_DIR: dataDir }, encoding: 'utf8' });

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
});
