// Bundles the tracker and widget into one minified IIFE, t.js, with esbuild. `npm run build` (build.ts)
// writes it to dist/client/ with its gzip, its hash and the demo page, and the compiled server serves
// those files; only the server run from sources (tests) calls buildClient() in memory. The server
// never imports this module when compiled: esbuild stays a build-time tool.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, stop, transform } from 'esbuild';
import { CLIENT_FILES, DASHBOARD_FILES, type ClientBundle, type DashboardBundle } from './files.js';

/** Hard budget for tracker + widget, enforced by test/client/size.test.ts. */
export const GZIP_BUDGET_BYTES = 2300;

/** Hard budget for the whole dashboard page (HTML shell + script + style sheet), test/client/dashboard-size.test.ts. */
export const DASHBOARD_GZIP_BUDGET_BYTES = 80 * 1024;

export type { ClientBundle, DashboardBundle };

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** Hash of the script: its strong validator. */
export const scriptHash = (code: string) => createHash('sha256').update(code).digest('base64url').slice(0, 16);

let building = 0;

/** Runs a build; esbuild keeps a service process (about 14 MB) until stopped: nothing may outlive the last build. */
async function withEsbuild<T>(run: () => Promise<T>): Promise<T> {
  building++;
  try {
    return await run();
  } finally {
    if (--building === 0) await stop();
  }
}

const asset = (code: string): ClientBundle => ({ code, gzip: gzipSync(code, { level: 9 }), raw: Buffer.byteLength(code), hash: scriptHash(code) });

export function buildClient(): Promise<ClientBundle> {
  return withEsbuild(async () => {
    const css = await transform(readFileSync(here('widget.css'), 'utf8'), { loader: 'css', minify: true });
    const result = await build({
      entryPoints: [here('main.ts')],
      bundle: true,
      write: false,
      format: 'iife',
      minify: true,
      target: 'es2017',
      // Vietnamese labels as UTF-8 rather than \u escapes: smaller, served with charset=utf-8.
      charset: 'utf8',
      legalComments: 'none',
      // A classic script needs no "use strict" prologue (tsconfig's strict would add one): 13 bytes less.
      tsconfigRaw: { compilerOptions: { alwaysStrict: false } },
      define: { WIDGET_CSS: JSON.stringify(css.code.trim()) },
      logLevel: 'silent',
    });
    return asset(result.outputFiles[0]!.text);
  });
}

/** The dashboard page's script and style sheet (uPlot's CSS included): client/dashboard/. */
export function buildDashboard(): Promise<DashboardBundle> {
  return withEsbuild(async () => {
    const common = { bundle: true, write: false, minify: true, charset: 'utf8', legalComments: 'none', logLevel: 'silent' } as const;
    const [script, style] = await Promise.all([
      build({ ...common, entryPoints: [here('dashboard/main.ts')], format: 'iife', target: 'es2020' }),
      build({ ...common, entryPoints: [here('dashboard/dashboard.css')], loader: { '.css': 'css' } }),
    ]);
    return { script: asset(script.outputFiles[0]!.text), style: asset(style.outputFiles[0]!.text) };
  });
}

/** Writes the bundle, its gzip, its hash and the demo page into `dir` (the layout client/bundle.ts reads). */
export async function writeClient(dir: string): Promise<ClientBundle> {
  const bundle = await buildClient();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, CLIENT_FILES.script), bundle.code);
  writeFileSync(join(dir, CLIENT_FILES.gzip), bundle.gzip);
  writeFileSync(join(dir, CLIENT_FILES.hash), bundle.hash);
  writeFileSync(join(dir, CLIENT_FILES.demo), readFileSync(here('demo.html')));
  return bundle;
}

/** Writes the dashboard's script and style sheet, each with its gzip and hash, into `dir`. */
export async function writeDashboard(dir: string): Promise<DashboardBundle> {
  const bundle = await buildDashboard();
  mkdirSync(dir, { recursive: true });
  for (const [files, built] of [[DASHBOARD_FILES.script, bundle.script], [DASHBOARD_FILES.style, bundle.style]] as const) {
    writeFileSync(join(dir, files.file), built.code);
    writeFileSync(join(dir, files.gzip), built.gzip);
    writeFileSync(join(dir, files.hash), built.hash);
  }
  return bundle;
}
