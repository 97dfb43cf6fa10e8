// Defect 10: building t.js must leave no esbuild service process behind, in the test process and in
// the service run from sources (test/build/compiled.test.ts covers the compiled one).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildClient } from '../../client/build.js';
import { clientFiles } from '../../client/bundle.js';
import { startHeadcount } from '../support/headcount.js';
import { childrenMatching } from '../build/support.js';

const ESBUILD = /esbuild/;

test('buildClient() stops the esbuild service once the last build in flight is done', async () => {
  const [first, second] = await Promise.all([buildClient(), buildClient()]);
  assert.equal(first.hash, second.hash, 'overlapping builds both finish');
  assert.deepEqual(await childrenMatching(process.pid, 'main', ESBUILD), []);
  assert.equal((await buildClient()).hash, first.hash, 'a later build starts the service again');
  assert.deepEqual(await childrenMatching(process.pid, 'main', ESBUILD), []);
});

test('run from sources, the client routes bundle t.js once per process', () => {
  assert.equal(clientFiles().script, clientFiles().script);
});

test('the service run from sources keeps no esbuild process once /t.js is served', async (t) => {
  const service = await startHeadcount();
  t.after(() => service.dispose());
  const response = await fetch(`${service.url}/t.js`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(response.status, 200);
  assert.match(await response.text(), /Thống kê truy cập/);
  // tsx's own service belongs to its loader thread; the server's code runs on the main thread.
  assert.deepEqual(await childrenMatching(service.child.pid!, 'main', ESBUILD), []);
});
