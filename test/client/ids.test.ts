// Visitor and page-session ids, with localStorage and navigator faked as a browser has them.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { newId, visitorId } from '../../client/ids.js';

test('ids match the protocol alphabet and do not repeat', () => {
  const ids = new Set(Array.from({ length: 1000 }, newId));
  assert.equal(ids.size, 1000);
  for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{8,64}$/);
});

const globals = globalThis as { localStorage?: unknown; navigator?: unknown };
const saved = { localStorage: Object.getOwnPropertyDescriptor(globalThis, 'localStorage'), navigator: Object.getOwnPropertyDescriptor(globalThis, 'navigator') };

/** Storage as browsers expose it: keys are also named properties. Blocked, reading localStorage itself throws. */
function fakeBrowser(storage: Map<string, string> | 'blocked', globalPrivacyControl = false): void {
  if (storage === 'blocked') Object.defineProperty(globalThis, 'localStorage', { get: fail, configurable: true });
  else {
    const named = new Proxy({}, { get: (_, key) => storage.get(String(key)), set: (_, key, value) => !!storage.set(String(key), String(value)) });
    Object.defineProperty(globalThis, 'localStorage', { value: named, configurable: true });
  }
  Object.defineProperty(globalThis, 'navigator', { value: { globalPrivacyControl }, configurable: true });
}
const fail = (): never => {
  throw new Error('SecurityError: storage blocked');
};

afterEach(() => {
  for (const [name, descriptor] of Object.entries(saved)) {
    if (descriptor) Object.defineProperty(globalThis, name, descriptor);
    else delete globals[name as keyof typeof globals];
  }
});

test('the visitor id is kept in localStorage and reused', () => {
  const storage = new Map<string, string>();
  fakeBrowser(storage);
  const vid = visitorId(true);
  assert.equal(storage.get('hc_vid'), vid);
  assert.equal(visitorId(true), vid);
});

test('a stored id outside the protocol alphabet is replaced', () => {
  const storage = new Map([['hc_vid', 'bad id!']]);
  fakeBrowser(storage);
  const vid = visitorId(true);
  assert.notEqual(vid, 'bad id!');
  assert.equal(storage.get('hc_vid'), vid);
});

test('blocked storage gives an ephemeral id', () => {
  fakeBrowser('blocked');
  assert.match(visitorId(true), /^[A-Za-z0-9_-]{8,64}$/);
  assert.notEqual(visitorId(true), visitorId(true));
});

test('Global Privacy Control gives an ephemeral id and stores nothing', () => {
  const storage = new Map<string, string>();
  fakeBrowser(storage, true);
  assert.notEqual(visitorId(true), visitorId(true));
  assert.equal(storage.size, 0);
});

test('a cookieless site gets an ephemeral id and stores nothing', () => {
  const storage = new Map<string, string>();
  fakeBrowser(storage);
  assert.notEqual(visitorId(false), visitorId(false));
  assert.equal(storage.size, 0);
});
