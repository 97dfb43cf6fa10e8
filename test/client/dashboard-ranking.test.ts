// Rank arrows: each article's move since the previous update of the live view.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ranking } from '../../client/dashboard/ranking.js';

test('the first update marks nothing; later ones mark up, down, new and unchanged', () => {
  const ranking = new Ranking();
  assert.deepEqual(ranking.update(['/a', '/b']), ['same', 'same']);
  assert.deepEqual(ranking.update(['/a', '/b', '/c']), ['same', 'same', 'new']);
  assert.deepEqual(ranking.update(['/a', '/c', '/b']), ['same', 'up', 'down']);
  assert.deepEqual(ranking.update(['/c', '/a', '/b']), ['up', 'down', 'same']);
});

test('moves compare with the previous update only: an unchanged ranking clears the arrows', () => {
  const ranking = new Ranking();
  ranking.update(['/a', '/b']);
  assert.deepEqual(ranking.update(['/b', '/a']), ['up', 'down']);
  assert.deepEqual(ranking.update(['/b', '/a']), ['same', 'same']);
});

test('an article that left and came back is new again; an empty ranking is a ranking', () => {
  const ranking = new Ranking();
  ranking.update([]);
  assert.deepEqual(ranking.update(['/a']), ['new'], 'the first reader after an empty view is new');
  ranking.update(['/b']);
  assert.deepEqual(ranking.update(['/a', '/b']), ['new', 'down']);
});
