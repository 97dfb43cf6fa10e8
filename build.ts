// npm run build (also run by `npm ci`, through the prepare script): compiles the server to dist/, the
// JavaScript that `npm start` and the image run with plain `node`, no TypeScript loader, no bundler.
//   dist/main.js, dist/cli.js   src/main.ts and src/cli.ts bundled by esbuild with their dependencies
//                               (ESM, node20, source maps): one file to load instead of hundreds in
//                               node_modules; a native addon stays there (SERVER_BUILD)
//   dist/lua/                   the Redis scripts, read next to the bundle (src/store/redis/scripts.ts)
//   dist/client/                t.js, its gzip and hash, the demo page, the dashboard's dashboard.js and
//                               dashboard.css with theirs (client/build.ts)
import { cpSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { GZIP_BUDGET_BYTES, writeClient, writeDashboard } from './client/build.js';

const path = (file: string) => fileURLToPath(new URL(file, import.meta.url));
export const DIST = path('dist/');
/** Where the compiled server finds the client files, relative to dist/main.js. */
const CLIENT_DIR = './client/';

/**
 * How server code is compiled, here and for the bench's baselines: bundled with its dependencies,
 * since Node loading them from node_modules file by file was most of the start. The CommonJS ones
 * among them look for require, __filename and __dirname, which an ES module lacks: the banner gives
 * them Node's own, for the bundle's file. External: what cannot be bundled (a native addon, ws's
 * optional native helpers) and two packages of data that load faster from their own files
 * (iconv-lite's code pages, needed only for a body that is not UTF-8; mime-db's JSON).
 */
export const SERVER_BUILD = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['fs-native-extensions', 'bufferutil', 'utf-8-validate', 'iconv-lite', 'mime-db'],
  banner: {
    js: [
      "import { createRequire as __hcCreateRequire } from 'node:module';",
      "import { fileURLToPath as __hcFileURLToPath } from 'node:url';",
      'const require = __hcCreateRequire(import.meta.url);',
      'const __filename = __hcFileURLToPath(import.meta.url);',
      "const __dirname = __hcFileURLToPath(new URL('.', import.meta.url));",
    ].join('\n'),
  },
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
} as const satisfies BuildOptions;

/**
 * The environment the compiled server runs with: `npm start`, the image's ENV and the bench set it.
 * glibc's malloc then serves 64 KiB requests from mmap instead of its heap. Each socket read gets a
 * 64 KiB buffer that is shrunk to what was read; from the heap, those left holes among the sessions'
 * long-lived allocations, about 10 MiB of RSS at 1,000 sessions and a step in RSS per session over the
 * first thousands (docs/performance.md, "How cost grows"). C libraries other than glibc ignore it.
 */
export const RUN_ENV = { MALLOC_MMAP_THRESHOLD_: '65536' } as const;

export async function buildAll(dist = DIST): Promise<{ clientRaw: number; clientGzip: number; dashboardGzip: number }> {
  rmSync(dist, { recursive: true, force: true });
  await build({
    entryPoints: [path('src/main.ts'), path('src/cli.ts')],
    outdir: dist,
    ...SERVER_BUILD,
    sourcemap: true,
    // Tells client/bundle.ts to read the prebuilt files, and drops its in-memory esbuild path.
    define: { HEADCOUNT_CLIENT_DIR: JSON.stringify(CLIENT_DIR) },
  });
  cpSync(path('src/store/redis/lua/'), `${dist}lua/`, { recursive: true });
  const client = await writeClient(`${dist}${CLIENT_DIR.slice(2)}`);
  const dashboard = await writeDashboard(`${dist}${CLIENT_DIR.slice(2)}`);
  return { clientRaw: client.raw, clientGzip: client.gzip.length, dashboardGzip: dashboard.script.gzip.length + dashboard.style.gzip.length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { clientRaw, clientGzip, dashboardGzip } = await buildAll();
  const over = clientGzip > GZIP_BUDGET_BYTES;
  console.log(`dist/: main.js, cli.js, lua/; client/t.js ${clientRaw} bytes, ${clientGzip} bytes gzipped (budget ${GZIP_BUDGET_BYTES})${over ? ' OVER BUDGET' : ''}; dashboard.js + .css ${dashboardGzip} bytes gzipped`);
  if (over) process.exitCode = 1;
}
