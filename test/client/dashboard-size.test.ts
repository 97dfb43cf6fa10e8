// The whole dashboard page, HTML shell + script + style sheet, must stay within its gzip budget.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { buildDashboard, DASHBOARD_GZIP_BUDGET_BYTES } from '../../client/build.js';
import { renderShell } from '../../src/http/dashboard-page.js';

test(`the dashboard page (HTML + JS + CSS) stays within ${DASHBOARD_GZIP_BUDGET_BYTES} bytes gzipped`, async () => {
  const { script, style } = await buildDashboard();
  const html = renderShell({
    site: 'demo',
    timeZone: 'Asia/Ho_Chi_Minh',
    lang: 'vi',
    board: false,
    wsUrl: 'wss://stats.example.vn/ws?site=demo',
    access: 'x'.repeat(200),
    scriptHash: script.hash,
    styleHash: style.hash,
  });
  const sizes = { html: gzipSync(html, { level: 9 }).length, script: script.gzip.length, style: style.gzip.length };
  const total = sizes.html + sizes.script + sizes.style;
  console.log(`dashboard: html ${sizes.html}, dashboard.js ${script.raw} → ${sizes.script}, dashboard.css ${style.raw} → ${sizes.style}; ${total} bytes gzipped`);
  assert.ok(total <= DASHBOARD_GZIP_BUDGET_BYTES, `the dashboard page is ${total} bytes gzipped, over the budget of ${DASHBOARD_GZIP_BUDGET_BYTES}`);
});
