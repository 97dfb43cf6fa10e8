// The image as the Dockerfile describes it (no Docker engine here): its final stage runs compiled
// JavaScript and carries only dist/ and the production dependencies, none of which is a TypeScript
// loader or a bundler. Issue 15, item 1.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RUN_ENV } from '../../build.js';
import { productionPackages, ROOT } from './support.js';

const BUILD_TOOLS = /\b(tsx|esbuild|typescript|ts-node)\b|--import|--loader|--experimental-strip-types/;

interface Stage {
  name: string;
  /** Instructions with their continuation lines joined, comments dropped. */
  instructions: string[];
}

function stages(dockerfile: string): Stage[] {
  const lines = dockerfile.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  const result: Stage[] = [];
  for (const line of lines) {
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) result.push({ name: from[1] ?? `stage ${result.length}`, instructions: [] });
    else result.at(-1)?.instructions.push(line);
  }
  return result;
}

const dockerfile = stages(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const final = dockerfile.at(-1)!;
const instruction = (stage: Stage, keyword: string) => stage.instructions.filter((line) => line.toUpperCase().startsWith(`${keyword} `));
const stageNamed = (name: string) => dockerfile.find((stage) => stage.name === name);

describe('Dockerfile', () => {
  it('runs `node dist/main.js` in its final stage, with no TypeScript loader or bundler', () => {
    const cmd = instruction(final, 'CMD');
    assert.equal(cmd.length, 1, 'one CMD in the final stage');
    const argv = JSON.parse(cmd[0]!.slice(4)) as string[];
    assert.deepEqual(argv, ['node', 'dist/main.js']);
    for (const line of [...instruction(final, 'ENTRYPOINT'), ...instruction(final, 'ENV')]) assert.doesNotMatch(line, BUILD_TOOLS);
  });

  it('runs the server with the environment npm start gives it (build.ts RUN_ENV)', () => {
    const env = instruction(final, 'ENV').join(' ');
    for (const [name, value] of Object.entries(RUN_ENV)) assert.match(env, new RegExp(`\\b${name}=${value}\\b`), name);
  });

  it('copies only dist/ from the build stage and node_modules from a production-only install', () => {
    const copies = instruction(final, 'COPY');
    const fromStages = copies.map((line) => /--from=(\S+)\s+(\S+)/.exec(line)).filter((m) => m !== null);
    const deps = fromStages.find((m) => m[2]!.endsWith('/node_modules'));
    assert.ok(deps, 'node_modules comes from another stage');
    const depsStage = stageNamed(deps[1]!);
    assert.ok(depsStage, `stage ${deps[1]}`);
    assert.ok(
      instruction(depsStage, 'RUN').some((line) => /npm ci\b.*--omit=dev/.test(line)),
      `the ${depsStage.name} stage installs with npm ci --omit=dev`,
    );
    for (const m of fromStages.filter((m) => m !== deps)) assert.match(m[2]!, /\/dist$/, `only dist/ from ${m[1]}`);
    const local = copies.filter((line) => !line.includes('--from='));
    for (const line of local) assert.match(line, /^COPY\s+package\.json\s+\.\/$/i, `the final stage copies no sources: ${line}`);
  });

  it('builds with `npm run build` in a stage that has the dev dependencies', () => {
    const build = dockerfile.find((stage) => instruction(stage, 'RUN').some((line) => line.includes('npm run build')));
    assert.ok(build, 'a stage runs npm run build');
    assert.ok(instruction(build, 'RUN').some((line) => /npm ci\b/.test(line) && !line.includes('--omit=dev')));
  });
});

describe('production dependencies', () => {
  it('hold no TypeScript loader, bundler or compiler', () => {
    const tools = productionPackages().filter((name) => /^(tsx|esbuild|typescript|@esbuild\/|@typescript\/)/.test(name));
    assert.deepEqual(tools, []);
  });

  it('npm start runs the compiled server, with RUN_ENV, and npm ci builds it', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const env = Object.entries(RUN_ENV).map(([name, value]) => `${name}=${value}`).join(' ');
    assert.equal(pkg.scripts.start, `${env} node dist/main.js`);
    assert.equal(pkg.scripts.headcount, 'node dist/cli.js');
    assert.match(pkg.scripts.prepare ?? '', /npm run build/, 'prepare runs on npm ci');
  });

  it('.dockerignore sends the build inputs and no local dist/ or node_modules/', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim());
    for (const path of ['dist', 'node_modules']) assert.ok(ignored.includes(path), `${path} is ignored`);
    for (const path of ['src', 'client', 'build.ts', 'tsconfig.json', 'package.json', 'package-lock.json']) assert.ok(!ignored.includes(path), `${path} is sent`);
  });
});
