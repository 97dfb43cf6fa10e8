// The bench's load spreads pages over articles round robin across its workers: the "10,000 live
// pages" and "15,000 readers over 1,000 articles" rows rely on every article being read, evenly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { articleFields, articleOf } from '../../bench/lib/articles.js';

/** The articles read by `count` pages split over `workers` as bench/lib/load-pool.ts splits them. */
function readsPerArticle(count: number, workers: number, articles: number): number[] {
  const reads = new Array<number>(articles).fill(0);
  for (let i = 0; i < workers; i++) {
    const share = Math.floor(count / workers) + (i < count % workers ? 1 : 0);
    for (let k = 0; k < share; k++) reads[articleOf({ articles, first: i, stride: workers }, k)]!++;
  }
  return reads;
}

test('as many pages as articles read every article once, whatever the split over workers', () => {
  for (const workers of [1, 3, 4]) assert.deepEqual(new Set(readsPerArticle(10_000, workers, 10_000)), new Set([1]), `${workers} workers`);
});

test('more pages than articles read each article evenly', () => {
  assert.deepEqual(new Set(readsPerArticle(15_000, 3, 1_000)), new Set([15]));
  assert.deepEqual(new Set(readsPerArticle(10_000, 3, 100)), new Set([100]));
});

test('an article says hello with its canonical url, title, section and author; referrers rotate', () => {
  const fields = articleFields(7, 0);
  assert.equal(fields.canon, fields.url);
  assert.match(fields.url, /^http:\/\/localhost:3000\/tin\/bai-7\.html$/);
  assert.ok(fields.title && fields.section && fields.author);
  assert.equal(fields.ref, undefined, 'the first arrival is direct');
  assert.equal(articleFields(7, 1).ref, 'https://www.google.com/');
});
