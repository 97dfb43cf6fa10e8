// The SVG badge: its figures and labels, and the route's answers for public, private and unknown sites.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatNumber, renderBadge } from '../../src/http/badge.js';
import { COUNTS } from './counts.js';
import { serveClientRoutes } from './serve.js';

test('numbers are grouped for the language', () => {
  assert.equal(formatNumber(52_015_394, 'vi'), '52.015.394');
  assert.equal(formatNumber(52_015_394, 'en'), '52,015,394');
  assert.equal(formatNumber(0, 'vi'), '0');
});

test('the badge draws the widget figures with Vietnamese labels and grouping', () => {
  const svg = renderBadge(COUNTS, { lang: 'vi' });
  assert.match(svg, /^<svg xmlns='http:\/\/www\.w3\.org\/2000\/svg' width='260' height='144' /);
  for (const text of ['Thống kê truy cập', 'Người trực tuyến', 'Khách', '>595<', 'Thành viên', '>3<', 'Tổng', '>598<', 'Tổng lượt truy cập', '>52.015.394<']) {
    assert.ok(svg.includes(text), `missing ${text}`);
  }
  assert.ok(!svg.includes('Hôm nay'));
  assert.match(svg, /role='img' aria-label='Thống kê truy cập: Khách 595, Thành viên 3, Tổng 598, Tổng lượt truy cập 52.015.394'/);
});

test('the badge adds today and this month on request, taller, in English', () => {
  const svg = renderBadge(COUNTS, { lang: 'en', show: 'today,month' });
  assert.match(svg, /height='184'/);
  for (const text of ['Visitor statistics', '>52,015,394<', 'Today', '>18,234<', 'This month', '>401,223<']) assert.ok(svg.includes(text), `missing ${text}`);
});

test('the badge shows yesterday\'s visits with show=yesterday', () => {
  const svg = renderBadge(COUNTS, { lang: 'vi', show: 'yesterday' });
  assert.match(svg, /height='164'/);
  assert.ok(svg.includes('Hôm qua') && svg.includes('>21.005<') && !svg.includes('Hôm nay'));
  assert.match(svg, /Tổng lượt truy cập 52.015.394, Hôm qua 21.005'/);
});

test('GET /api/sites/:site/badge.svg serves the image cross-origin with a short cache', async (t) => {
  const server = await serveClientRoutes();
  t.after(() => server.close());
  const response = await fetch(`${server.url}/api/sites/demo/badge.svg?lang=en&show=today`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'image/svg+xml; charset=utf-8');
  assert.equal(response.headers.get('cache-control'), 'public, max-age=10');
  assert.equal(response.headers.get('cross-origin-resource-policy'), 'cross-origin');
  assert.equal(response.headers.get('content-security-policy'), "default-src 'none'");
  const svg = await response.text();
  assert.ok(svg.includes('>52,015,394<') && svg.includes('Today') && !svg.includes('This month'));
  // Vietnamese unless asked otherwise.
  assert.ok((await (await fetch(`${server.url}/api/sites/demo/badge.svg`)).text()).includes('>52.015.394<'));
});

test('the badge of an unknown or private site is a 404 JSON error', async (t) => {
  const server = await serveClientRoutes();
  t.after(() => server.close());
  for (const site of ['nope', 'private']) {
    const response = await fetch(`${server.url}/api/sites/${site}/badge.svg`);
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), { error: 'unknown site' });
  }
});
