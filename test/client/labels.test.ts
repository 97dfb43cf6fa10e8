// Labels, rows and languages shared by the widget and the badge.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIGURES, LABELS, langOf, rowsFor } from '../../client/labels.js';
import { COUNTS } from './counts.js';

test('the language follows the page: vi and vi-VN are Vietnamese, anything else English', () => {
  assert.equal(langOf('vi'), 'vi');
  assert.equal(langOf('vi-VN'), 'vi');
  assert.equal(langOf('en-GB'), 'en');
  assert.equal(langOf('video'), 'en');
  assert.equal(langOf(''), 'en');
  assert.equal(langOf(), 'en');
});

test('rows: online guests, members, total and lifetime visits always; today, yesterday and this month on request', () => {
  assert.deepEqual(rowsFor(), [0, 1, 2, 3]);
  assert.deepEqual(rowsFor('month'), [0, 1, 2, 3, 6]);
  assert.deepEqual(rowsFor('yesterday'), [0, 1, 2, 3, 5], 'yesterday is not today');
  assert.deepEqual(rowsFor('today,month'), [0, 1, 2, 3, 4, 6]);
  assert.deepEqual(rowsFor('month,yesterday,today'), [0, 1, 2, 3, 4, 5, 6], 'in display order whatever the list order');
  assert.deepEqual(
    rowsFor('today,yesterday,month').map((i) => [LABELS.vi[i + 2], FIGURES[i]!(COUNTS)]),
    [
      ['Khách', 595],
      ['Thành viên', 3],
      ['Tổng', 598],
      ['Tổng lượt truy cập', 52_015_394],
      ['Hôm nay', 18_234],
      ['Hôm qua', 21_005],
      ['Tháng này', 401_223],
    ],
  );
  assert.equal(LABELS.en[7], 'Yesterday');
  assert.equal(LABELS.vi[9], 'người đang đọc');
  assert.equal(LABELS.en.length, LABELS.vi.length);
});
