// Bundles the tracker and widget into one minified IIFE, t.js. The server calls buildClient() once at
// start-up and serves the result from memory; `npm run build` writes dist/t.js and prints the size.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, transform } from 'esbuild';

/** Hard budget for tracker + widget, enforced by test/client/size.test.ts. */
export const GZIP_BUDGET_BYTES = 2048;

export interface ClientBundle {
  code: string;
  gzip: Buffer;
  /** Size of the minified script in bytes. */
  raw: number;
  /** Strong validator of the script's content. */
  hash: string;
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export async function buildClient(): Promise<ClientBundle> {
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
    define: { WIDGET_CSS: JSON.stringify(css.code.trim()) },
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.text;
  return {
    code,
    gzip: gzipSync(code, { level: 9 }),
    raw: Buffer.byteLength(code),
    hash: createHash('sha256').update(code).digest('base64url').slice(0, 16),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bundle = await buildClient();
  const out = fileURLToPath(new URL('../dist/t.js', import.meta.url));
  mkdirSync(fileURLToPath(new URL('../dist', import.meta.url)), { recursive: true });
  writeFileSync(out, bundle.code);
  const over = bundle.gzip.length > GZIP_BUDGET_BYTES;
  console.log(`dist/t.js: ${bundle.raw} bytes, ${bundle.gzip.length} bytes gzipped (budget ${GZIP_BUDGET_BYTES})${over ? ' OVER BUDGET' : ''}`);
  if (over) process.exitCode = 1;
}
