// Reconnect delays of docs/protocol.md §3.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoff } from '../../client/backoff.js';

test('reconnect delay: 0.5 s doubling per attempt, capped at 30 s, with jitter down to half', () => {
  assert.equal(backoff(0, 1), 500);
  assert.equal(backoff(0, 0), 250);
  assert.equal(backoff(3, 1), 4_000);
  assert.equal(backoff(20, 1), 30_000);
  assert.equal(backoff(20, 0), 15_000);
  for (let attempt = 0; attempt < 12; attempt++) {
    const delay = backoff(attempt);
    assert.ok(delay >= Math.min(30_000, 500 * 2 ** attempt) / 2 && delay <= 30_000);
  }
});
