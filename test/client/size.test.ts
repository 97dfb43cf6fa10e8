// t.js must stay within its gzip budget: a news page pays for every byte on every view.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Script } from 'node:vm';
import { buildClient, GZIP_BUDGET_BYTES } from '../../client/build.js';

test(`the tracker and widget bundle stays within ${GZIP_BUDGET_BYTES} bytes gzipped`, async () => {
  const bundle = await buildClient();
  console.log(`t.js: ${bundle.raw} bytes, ${bundle.gzip.length} bytes gzipped`);
  assert.ok(bundle.gzip.length <= GZIP_BUDGET_BYTES, `t.js is ${bundle.gzip.length} bytes gzipped, over the budget of ${GZIP_BUDGET_BYTES}`);
});

test('the bundle is one classic script with no module syntax and no post-ES2017 operators', async () => {
  const { code } = await buildClient();
  assert.doesNotThrow(() => new Script(code));
  assert.doesNotMatch(code, /\?\.|\?\?|\bimport\b|\bexport\b/);
});
