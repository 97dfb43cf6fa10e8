// The bench measures what production runs: the server compiled by build.ts (as `npm ci` builds dist/,
// run with plain `node`, no TypeScript loader) and the baselines compiled the same way (SERVER_BUILD:
// bundled with their dependencies). Built once per run from the current sources into
// node_modules/.cache/, so a stale dist/ is never measured.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildAll, SERVER_BUILD } from '../../build.js';

const OUT = fileURLToPath(new URL('../../node_modules/.cache/headcount-bench/', import.meta.url));
const BASELINES = ['bare-ws-server', 'express-hello'] as const;
export type Baseline = (typeof BASELINES)[number];

let built: Promise<void> | undefined;

async function buildEverything(): Promise<void> {
  await buildAll(join(OUT, 'dist/'));
  await build({
    entryPoints: BASELINES.map((name) => fileURLToPath(new URL(`../baselines/${name}.ts`, import.meta.url))),
    outdir: OUT,
    ...SERVER_BUILD,
  });
}

/** Builds the compiled server and baselines, once per run. */
export function compiled(): Promise<void> {
  built ??= buildEverything();
  return built;
}

/** The compiled server's entry point, as `npm start` runs dist/main.js. */
export const COMPILED_MAIN = join(OUT, 'dist/main.js');

export function compiledBaseline(name: Baseline): string {
  return join(OUT, `${name}.js`);
}
