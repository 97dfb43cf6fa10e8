// The operator CLI on the embedded store, as `npm run headcount -- ...` runs it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

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
    assert.deepEqual(JSON.parse(stats.stdout).visits, { total: 52_015_394, today: 0, month: 0 });
    assert.equal(JSON.parse(stats.stdout).pageviews.total, 0, 'pageviews untouched');
  });

  for (const [args, message] of [
    [['set-totals', 'demo', '--visits=-5'], /--visits: expected a whole number/],
    [['set-totals', 'demo', '--visits', 'many'], /--visits: expected a whole number/],
    [['set-totals', 'demo'], /give visits, pageviews or both/],
    [['set-totals', 'nope', '--visits', '1'], /unknown site "nope"/],
    [['frobnicate', 'demo'], /usage:/],
    [['stats'], /usage:/],
  ] as const) {
    it(`refuses ${args.join(' ')} with exit code 2`, () => {
      const run = cli(...args);
      assert.equal(run.status, 2);
      assert.match(run.stderr, message);
    });
  }
});
