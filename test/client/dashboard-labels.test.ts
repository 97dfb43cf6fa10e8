// The dashboard's two languages: same labels in each, the shell's choice first.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DASHBOARD_LABELS, dashboardLang, fill, SOURCES } from '../../client/dashboard/labels.js';

test("the shell's data-lang wins; otherwise the browser's language, English unless Vietnamese", () => {
  assert.equal(dashboardLang('vi', 'en-US'), 'vi');
  assert.equal(dashboardLang('en', 'vi-VN'), 'en');
  assert.equal(dashboardLang(undefined, 'vi-VN'), 'vi');
  assert.equal(dashboardLang('', 'fr-FR'), 'en');
  assert.equal(dashboardLang('xx', undefined), 'en');
});

test('both languages label everything, every source included, with no empty label', () => {
  const { vi, en } = DASHBOARD_LABELS;
  assert.deepEqual(Object.keys(vi).sort(), Object.keys(en).sort());
  for (const labels of [vi, en]) {
    for (const [key, value] of Object.entries(labels)) if (typeof value === 'string') assert.ok(value.length > 0, key);
    assert.deepEqual(Object.keys(labels.source).sort(), [...SOURCES].sort());
  }
  assert.notEqual(vi.online, en.online);
});

test('fill replaces the placeholders of the chart text', () => {
  assert.equal(fill(DASHBOARD_LABELS.en.chartText, { now: '5', peak: '9', at: '09:05', week: '4' }), 'Readers online by minute today: 5 now, peak 9 at 09:05; 4 at this time last week.');
  assert.equal(fill('{a}-{missing}', { a: '1' }), '1-');
});
