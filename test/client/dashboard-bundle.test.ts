// The dashboard's bundle: built like t.js (no esbuild process left behind, once per process from
// sources), uPlot's CSS inside its style sheet, and nothing the page's strict CSP would refuse.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Script } from 'node:vm';
import { buildDashboard } from '../../client/build.js';
import { dashboardFiles } from '../../client/bundle.js';
import { childrenMatching } from '../build/support.js';

test('buildDashboard() stops the esbuild service once the last build in flight is done', async () => {
  const [first, second] = await Promise.all([buildDashboard(), buildDashboard()]);
  assert.equal(first.script.hash, second.script.hash, 'overlapping builds both finish');
  assert.equal(first.style.hash, second.style.hash);
  assert.deepEqual(await childrenMatching(process.pid, 'main', /esbuild/), []);
});

test('run from sources, the dashboard is bundled once per process', () => {
  assert.equal(dashboardFiles(), dashboardFiles());
});

test("the style sheet carries uPlot's CSS; the script is one classic script with no eval", async () => {
  const { script, style } = await buildDashboard();
  assert.match(style.code, /\.uplot\b/, "uPlot's style sheet is included");
  assert.match(style.code, /html\.board/, "the dashboard's own rules follow");
  assert.doesNotMatch(style.code, /@import/, 'nothing is fetched from elsewhere');
  assert.doesNotThrow(() => new Script(script.code));
  assert.doesNotMatch(script.code, /\beval\(|new Function\b/, "script-src 'self' allows neither");
  assert.match(script.code, /Bảng theo dõi trực tiếp/, 'Vietnamese labels as UTF-8');
});
