// The client files as the server serves them. Compiled (dist/main.js), they are the files `npm run
// build` wrote next to it; run from sources (tests), t.js is bundled in memory once per process from
// client/*.ts, so a test never serves a stale dist/. Only that second path loads esbuild.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CLIENT_FILES, DASHBOARD_FILES, type ClientBundle, type DashboardBundle } from './files.js';

/** Defined by build.ts in the compiled server only: the client directory, relative to dist/main.js. */
declare const HEADCOUNT_CLIENT_DIR: string;

function readBuilt(dir: URL): { script: ClientBundle; demo: string } {
  const read = (file: string) => {
    try {
      return readFileSync(new URL(file, dir));
    } catch (error) {
      throw new Error(`client file ${fileURLToPath(new URL(file, dir))} is missing; run \`npm run build\` (${(error as Error).message})`);
    }
  };
  const code = read(CLIENT_FILES.script).toString('utf8');
  const script = { code, gzip: read(CLIENT_FILES.gzip), raw: Buffer.byteLength(code), hash: read(CLIENT_FILES.hash).toString('utf8').trim() };
  return { script, demo: read(CLIENT_FILES.demo).toString('utf8') };
}

let fromSources: Promise<ClientBundle> | undefined;

/** The tracker script and the demo page. A missing file of the compiled build throws at once. */
export function clientFiles(): { script: Promise<ClientBundle>; demo: () => string } {
  // A branch on a build-time constant: esbuild drops the unused one, with its import of esbuild.
  if (typeof HEADCOUNT_CLIENT_DIR === 'undefined') {
    fromSources ??= import('./build.js').then(({ buildClient }) => buildClient());
    return { script: fromSources, demo: () => readFileSync(new URL('./demo.html', import.meta.url), 'utf8') };
  }
  const built = readBuilt(new URL(HEADCOUNT_CLIENT_DIR, import.meta.url));
  return { script: Promise.resolve(built.script), demo: () => built.demo };
}

let dashboardFromSources: Promise<DashboardBundle> | undefined;

/** The dashboard's script and style sheet: read from dist/client when compiled, else bundled once per process. */
export function dashboardFiles(): Promise<DashboardBundle> {
  if (typeof HEADCOUNT_CLIENT_DIR === 'undefined') {
    return (dashboardFromSources ??= import('./build.js').then(({ buildDashboard }) => buildDashboard()));
  }
  const dir = new URL(HEADCOUNT_CLIENT_DIR, import.meta.url);
  const read = (file: string) => {
    try {
      return readFileSync(new URL(file, dir));
    } catch (error) {
      throw new Error(`client file ${fileURLToPath(new URL(file, dir))} is missing; run \`npm run build\` (${(error as Error).message})`);
    }
  };
  const asset = (files: { file: string; gzip: string; hash: string }): ClientBundle => {
    const code = read(files.file).toString('utf8');
    return { code, gzip: read(files.gzip), raw: Buffer.byteLength(code), hash: read(files.hash).toString('utf8').trim() };
  };
  return Promise.resolve({ script: asset(DASHBOARD_FILES.script), style: asset(DASHBOARD_FILES.style) });
}
