// The admission row's floor and budget rest on two pieces of the bench: the welcome echo baseline
// answers a hello as Headcount's protocol does, and cpuMicros reads what a process has spent.
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { cpuMicros } from '../../bench/lib/processes.js';
import type { WelcomeMessage } from '../../src/protocol.js';

const BASELINE = fileURLToPath(new URL('../../bench/baselines/bare-ws-server.ts', import.meta.url));

test('cpuMicros counts the CPU time a process spends, to the clock tick', () => {
  const before = cpuMicros(process.pid);
  const until = performance.now() + 100;
  while (performance.now() < until);
  const spent = cpuMicros(process.pid) - before;
  assert.ok(spent >= 50_000 && spent <= 1_000_000, `${spent} µs for 100 ms of work`);
});

test('the welcome echo answers a hello with a welcome for its psid, and the plain baseline answers nothing', async () => {
  for (const echo of [true, false]) {
    const child = fork(BASELINE, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, PORT: '0', ...(echo ? { WELCOME_ECHO: '1' } : {}) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    try {
      const [{ port }] = (await once(child, 'message')) as [{ port: number }];
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?site=demo`);
      await once(ws, 'open');
      const reply = new Promise<WelcomeMessage | undefined>((resolve) => {
        ws.once('message', (data) => resolve(JSON.parse(String(data)) as WelcomeMessage));
        setTimeout(() => resolve(undefined), 500);
      });
      ws.send(JSON.stringify({ t: 'hello', site: 'demo', vid: 'v1', psid: 'p1', url: 'https://news.example/a' }));
      const welcome = await reply;
      if (echo) assert.deepEqual(welcome, { t: 'welcome', psid: 'p1', resumed: false, kind: 'guest', hb: 25_000 });
      else assert.equal(welcome, undefined);
      ws.close();
    } finally {
      child.kill();
    }
  }
});
