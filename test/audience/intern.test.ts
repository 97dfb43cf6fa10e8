import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { intern, internOptional } from '../../src/audience/intern.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** A fresh copy of `seed` repeated: equal to the others, but its own string in memory. */
const copyOf = (seed: string, times: number) => seed.repeat(times);

describe('intern', () => {
  it('keeps one copy of texts many sessions report', () => {
    const before = heapAfterGc();
    const kept = Array.from({ length: 1_000 }, () => intern(copyOf('Tiêu đề một bài báo rất dài ', 400)));
    const grown = heapAfterGc() - before;
    // 1,000 own copies would be 20 MB (two-byte text); one shared copy, about 20 KB plus the array.
    assert.ok(grown < 2_000_000, `heap grew ${grown} bytes for 1,000 equal texts`);
    assert.equal(kept[999], kept[0]);
    assert.equal(internOptional(undefined), undefined);
    assert.equal(internOptional('abc'), 'abc');
  });

  it('stays bounded when every text is new', () => {
    const before = heapAfterGc();
    for (let i = 0; i < 200_000; i++) intern(`${i}:${copyOf('x', 200)}`);
    const grown = heapAfterGc() - before;
    // Kept for ever, 200,000 texts of ~210 bytes would be over 40 MB.
    assert.ok(grown < 20_000_000, `heap grew ${grown} bytes after 200,000 distinct texts`);
  });
});
