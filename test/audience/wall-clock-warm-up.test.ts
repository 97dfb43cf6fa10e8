// The ICU warm-up worker that main.ts imports first: it must never hold a process open, print
// anything, or change how a calendar reads.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';

it('lets a process that imported it exit at once, silently, with calendars reading as before', () => {
  const script = [
    "import './src/audience/wall-clock-warm-up.ts';",
    "import { wallClock } from './src/audience/wall-clock.ts';",
    "console.log(JSON.stringify(wallClock(Date.UTC(2026, 11, 1, 17, 30), 'Asia/Ho_Chi_Minh')));",
  ].join('\n');
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, '');
  assert.deepEqual(JSON.parse(run.stdout), { year: 2026, month: 12, day: 2, hour: 0, minute: 30, second: 0 });
});
