// The soak (test/support/soak.ts, `npm run soak`) in short, so its code cannot rot: 300 pages for
// 12 s on two instances, one restarted with SIGTERM (the kill -9 and its reconnect backoff are left to
// `npm run soak` and to instances.test.ts, to stay within ~30 s); the checker and the margins must hold.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSoak, soakTable } from '../support/soak.js';

test('soak, short: 300 pages coming and going on two instances through a SIGTERM restart', { timeout: 120_000 }, async (t) => {
  const result = await runSoak({ pages: 300, seconds: 12, presenceTtlMs: 1_500, pageLifetimeSeconds: 20, kill: false, awaitVisitWindow: false, log: (line) => t.diagnostic(line) });
  for (const line of soakTable(result).split('\n')) t.diagnostic(line);
  assert.ok(result.verdict.acknowledged >= 300, `${result.verdict.acknowledged} page sessions welcomed`);
  assert.ok(result.faults.restartReconnected > 0, 'pages came back after the restart');
  assert.deepEqual(result.failures, []);
});
