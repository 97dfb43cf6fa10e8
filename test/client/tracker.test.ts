// The tracker in a fake browser: what it sends (hello with the page's identity, subscriptions, engagement,
// SPA page messages), what it shows (readers spans, widgets added later) and the window.headcount API.
// The timers are node:test's mock timers, so the 5 s checks and the 15 s rule run without waiting.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';
import type { Api } from '../../client/tracker.js';
import { COUNTS } from './counts.js';

type Listener = (event: { persisted?: boolean }) => void;

/** An element as the tracker and widget use it: dataset, attributes, innerHTML with <dd> cells, textContent. */
class FakeElement {
  attributes = new Map<string, string>();
  cells: { textContent: string }[] = [];
  textContent = '';
  #html = '';
  constructor(public dataset: Record<string, string>) {}
  setAttribute(name: string, value: string) {
    this.attributes.set(name, value);
  }
  removeAttribute(name: string) {
    this.attributes.delete(name);
  }
  set innerHTML(html: string) {
    this.#html = html;
    this.cells = Array.from(html.matchAll(/<dd>/g), () => ({ textContent: '–' }));
  }
  get innerHTML() {
    return this.#html;
  }
  querySelectorAll() {
    return this.cells;
  }
}

class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onopen?: () => void;
  onmessage?: (event: { data: string }) => void;
  onclose?: (event: { code: number }) => void;
  constructor(public url: string) {
    FakeSocket.all.push(this);
  }
  send(text: string) {
    assert.equal(this.readyState, 1, 'sent only on an open socket');
    this.sent.push(JSON.parse(text) as Record<string, unknown>);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen!();
  }
  push(message: object) {
    this.onmessage!({ data: JSON.stringify(message) });
  }
  drop(code: number) {
    this.readyState = 3;
    this.onclose!({ code });
  }
}

interface FakePage {
  doc: { title: string; hidden: boolean; visibilityState: string; referrer: string; documentElement: { lang: string } };
  elements: FakeElement[];
  head: Record<string, string>;
  location: { href: string };
  listeners: Map<string, Listener[]>;
  observers: (() => void)[];
  dispatch(type: string, event?: { persisted?: boolean }): void;
}

let page: FakePage;
const saved = new Map<string, PropertyDescriptor | undefined>();
const GLOBALS = ['document', 'location', 'history', 'navigator', 'WebSocket', 'MutationObserver', 'addEventListener'];

const sharedDocument = {};

function fakeBrowser(): FakePage {
  const elements: FakeElement[] = [];
  const head: Record<string, string> = {
    '[rel=canonical]': 'https://news.example.vn/pho-di-bo',
    '[property$=section]': 'Đời sống',
    '[property$=author],[name=author]': 'Minh Anh',
  };
  const listeners = new Map<string, Listener[]>();
  const observers: (() => void)[] = [];
  // One document object for every test, its fields reset: t.js reads `document` once when loaded, as a
  // browser's document never changes.
  const doc = Object.assign(sharedDocument, {
    title: 'Phố đi bộ ven sông mở cửa đến nửa đêm',
    hidden: false,
    visibilityState: 'visible',
    referrer: 'https://www.google.com/',
    documentElement: { lang: 'vi' },
    head: { prepend() {} },
    createElement: () => ({}),
    querySelector: (selector: string) => {
      const value = head[selector];
      return value === undefined ? null : selector.includes('canonical') ? { href: value } : { content: value };
    },
    querySelectorAll: () => elements,
  });
  const location = { href: 'https://news.example.vn/pho-di-bo?utm_source=x#top' };
  const history = { pushState: (_state: unknown, _title: string, url: string) => (location.href = new URL(url, location.href).href) };
  class Observer {
    constructor(callback: () => void) {
      observers.push(callback);
    }
    observe() {}
  }
  const values: Record<string, unknown> = {
    document: doc,
    location,
    history,
    navigator: { webdriver: false },
    WebSocket: FakeSocket,
    MutationObserver: Observer,
    addEventListener: (type: string, listener: Listener) => listeners.set(type, [...(listeners.get(type) ?? []), listener]),
  };
  for (const name of GLOBALS) {
    if (!saved.has(name)) saved.set(name, Object.getOwnPropertyDescriptor(globalThis, name));
    Object.defineProperty(globalThis, name, { value: values[name], configurable: true, writable: true });
  }
  return { doc, elements, head, location, listeners, observers, dispatch: (type, event = {}) => listeners.get(type)?.forEach((listener) => listener(event)) };
}

beforeEach(() => {
  FakeSocket.all = [];
  page = fakeBrowser();
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
});

afterEach(() => {
  mock.timers.reset();
  for (const [name, descriptor] of saved) {
    if (descriptor) Object.defineProperty(globalThis, name, descriptor);
    else delete (globalThis as Record<string, unknown>)[name];
  }
  saved.clear();
});

/** Starts the tracker on the fake page (widget.ts reads `document` when loaded, so it is imported after the fakes). */
async function start(): Promise<{ api: Api; socket: FakeSocket }> {
  // Defined by esbuild in t.js.
  (globalThis as { WIDGET_CSS?: string }).WIDGET_CSS = '';
  const { track } = await import('../../client/tracker.js');
  const api = track({ url: 'wss://stats.example.vn/ws?site=demo', site: 'demo', cookieless: true });
  const socket = FakeSocket.all.at(-1)!;
  socket.open();
  return { api, socket };
}

const span = (lang?: string) => new FakeElement(lang ? { headcountReaders: '', lang } : { headcountReaders: '' });
const ofType = (socket: FakeSocket, t: string) => socket.sent.filter((message) => message.t === t);

test('the hello names the page: canonical link, title, section, author, location without fragment, referrer', async () => {
  page.doc.title = 'T'.repeat(300);
  const { socket } = await start();
  const [hello] = socket.sent;
  assert.equal(hello!.t, 'hello');
  assert.equal(hello!.url, 'https://news.example.vn/pho-di-bo?utm_source=x');
  assert.equal(hello!.ref, 'https://www.google.com/');
  assert.equal(hello!.canon, 'https://news.example.vn/pho-di-bo');
  assert.equal(hello!.title, 'T'.repeat(200), 'capped before sending');
  assert.equal(hello!.section, 'Đời sống');
  assert.equal(hello!.author, 'Minh Anh');
  assert.equal(hello!.vis, 'visible');
});

test('a page without canonical link or meta tags sends none of those fields', async () => {
  for (const key of Object.keys(page.head)) delete page.head[key];
  page.doc.title = '';
  const { socket } = await start();
  const hello = socket.sent[0]!;
  for (const field of ['canon', 'title', 'section', 'author']) assert.ok(!(field in hello), `${field} left out`);
});

test('readers spans subscribe after the hello and show their pushed count in their language', async () => {
  const vi = span();
  const en = span('en');
  page.elements.push(vi, en);
  const { socket } = await start();
  assert.deepEqual(
    socket.sent.map((message) => message.t),
    ['hello', 'readers'],
  );
  assert.deepEqual(socket.sent[1], { t: 'readers', on: true });
  assert.equal(vi.textContent, '', 'empty until the first push');
  socket.push({ t: 'readers', url: 'https://news.example.vn/pho-di-bo', readers: 1234 });
  assert.equal(vi.textContent, '1.234 người đang đọc');
  assert.equal(en.textContent, '1,234 reading now');
  socket.push({ t: 'readers', url: 'https://news.example.vn/pho-di-bo', readers: 12 });
  assert.equal(vi.textContent, '12 người đang đọc');
});

test('a page without widgets or spans asks for no pushes', async () => {
  const { socket } = await start();
  assert.deepEqual(
    socket.sent.map((message) => message.t),
    ['hello'],
  );
});

test('widgets and spans added later are filled at once from the latest push, and subscribe once', async () => {
  const first = span();
  page.elements.push(first);
  const { socket } = await start();
  socket.push({ t: 'readers', url: 'u', readers: 5 });
  // A lazy footer: a widget and another span appear; the observer fires.
  const widget = new FakeElement({ headcount: '', show: 'yesterday,today' });
  const late = span();
  page.elements.push(widget, late);
  page.observers.forEach((fire) => fire());
  assert.equal(late.textContent, '5 người đang đọc');
  assert.equal(widget.attributes.get('role'), 'region');
  assert.deepEqual(ofType(socket, 'sub'), [{ t: 'sub', on: true }], 'the first widget subscribes to counts');
  assert.equal(ofType(socket, 'readers').length, 1, 'spans share one subscription');
  socket.push({ t: 'counts', ...COUNTS });
  assert.deepEqual(
    widget.cells.map((cell) => cell.textContent),
    ['595', '3', '598', '52.015.394', '18.234', '21.005'],
  );
  // Observed again (any change of the page): nothing is mounted twice.
  page.observers.forEach((fire) => fire());
  assert.equal(ofType(socket, 'sub').length, 1);
});

test('window.headcount.mount fills an element the observer cannot see, with the latest figures', async () => {
  page.elements.push(new FakeElement({ headcount: '' }));
  const { api, socket } = await start();
  assert.equal(socket.sent[0]!.sub, undefined, 'subscriptions follow the hello as messages');
  assert.deepEqual(ofType(socket, 'sub'), [{ t: 'sub', on: true }]);
  socket.push({ t: 'counts', ...COUNTS });
  const inShadow = new FakeElement({ headcount: '' });
  api.mount(inShadow as unknown as HTMLElement);
  assert.equal(inShadow.cells[0]!.textContent, '595');
  api.mount(inShadow as unknown as HTMLElement);
  assert.equal(ofType(socket, 'sub').length, 1);
});

test('an idle reader: engaged on arrival, idle 15 s later without input, engaged again at the next check after input', async () => {
  const { socket } = await start();
  mock.timers.tick(10_000);
  assert.deepEqual(ofType(socket, 'eng'), [], 'arriving counts as input');
  mock.timers.tick(5_000);
  assert.deepEqual(ofType(socket, 'eng'), [{ t: 'eng', on: false }], 'idle 15 s after the last input');
  mock.timers.tick(1_000);
  page.dispatch('scroll');
  mock.timers.tick(3_000);
  assert.equal(ofType(socket, 'eng').length, 1, 'a change waits for the next check');
  mock.timers.tick(1_000);
  assert.deepEqual(ofType(socket, 'eng').at(-1), { t: 'eng', on: true });
});

test('engagement changes are sent at most once per 5 s however the reader behaves', async () => {
  const { socket } = await start();
  const sentAt: number[] = [];
  let now = 0;
  for (let step = 0; step < 600; step++) {
    // Bursts of input with pauses of varying length, and the tab hidden now and then.
    if (step % 37 < 3) page.dispatch('pointermove');
    if (step % 97 === 50) {
      page.doc.hidden = true;
      page.doc.visibilityState = 'hidden';
      page.dispatch('visibilitychange');
    }
    if (step % 97 === 60) {
      page.doc.hidden = false;
      page.doc.visibilityState = 'visible';
      page.dispatch('visibilitychange');
    }
    const before = ofType(socket, 'eng').length;
    mock.timers.tick(500);
    now += 500;
    if (ofType(socket, 'eng').length > before) sentAt.push(now);
  }
  assert.ok(sentAt.length > 5, `changes were sent (${sentAt.length})`);
  for (let i = 1; i < sentAt.length; i++) assert.ok(sentAt[i]! - sentAt[i - 1]! >= 5_000, `changes ${sentAt[i - 1]} and ${sentAt[i]} too close`);
  // Only changes of what the server holds: the hello says engaged, a vis hidden makes it idle.
  let engaged = true;
  for (const message of socket.sent) {
    if (message.t === 'vis' && message.vis === 'hidden') engaged = false;
    if (message.t !== 'eng') continue;
    assert.notEqual(message.on, engaged, 'only changes are sent');
    engaged = message.on as boolean;
  }
});

test('a hidden tab is idle on the server through its vis message; visible again it needs input to be engaged', async () => {
  const { socket } = await start();
  page.doc.hidden = true;
  page.doc.visibilityState = 'hidden';
  page.dispatch('visibilitychange');
  assert.deepEqual(socket.sent.at(-1), { t: 'vis', vis: 'hidden' });
  mock.timers.tick(20_000);
  assert.deepEqual(ofType(socket, 'eng'), [], 'no eng message: vis hidden already made the session idle');
  page.doc.hidden = false;
  page.doc.visibilityState = 'visible';
  page.dispatch('visibilitychange');
  mock.timers.tick(5_000);
  assert.deepEqual(ofType(socket, 'eng'), [], 'no input since: still idle');
  page.dispatch('keydown');
  mock.timers.tick(5_000);
  assert.deepEqual(ofType(socket, 'eng'), [{ t: 'eng', on: true }]);
});

test('a reconnect says hello again with the same page session and subscribes again; its state starts from the hello', async () => {
  page.elements.push(span());
  const { socket } = await start();
  mock.timers.tick(15_000);
  assert.deepEqual(ofType(socket, 'eng'), [{ t: 'eng', on: false }]);
  socket.drop(1006);
  mock.timers.tick(1_000);
  const again = FakeSocket.all.at(-1)!;
  assert.notEqual(again, socket);
  again.open();
  assert.equal(again.sent[0]!.psid, socket.sent[0]!.psid);
  assert.deepEqual(again.sent[1], { t: 'readers', on: true });
  // The new hello says visible, so the server counts the session engaged: the next check corrects it.
  mock.timers.tick(5_000);
  assert.deepEqual(ofType(again, 'eng'), [{ t: 'eng', on: false }]);
});

test('SPA navigation: pushState sends a page message 300 ms later, with the title and canonical link the router set', async () => {
  const { socket } = await start();
  const hello = socket.sent[0]!;
  history.pushState({}, '', '/bai-moi');
  page.doc.title = 'Bài mới';
  page.head['[rel=canonical]'] = 'https://news.example.vn/bai-moi';
  mock.timers.tick(299);
  assert.deepEqual(ofType(socket, 'page'), []);
  mock.timers.tick(1);
  const [message] = ofType(socket, 'page');
  assert.equal(message!.url, 'https://news.example.vn/bai-moi');
  assert.equal(message!.ref, hello.url);
  assert.equal(message!.title, 'Bài mới');
  assert.equal(message!.canon, 'https://news.example.vn/bai-moi');
  assert.notEqual(message!.psid, hello.psid);
});

test('window.headcount.page reports a navigation at once; the same address twice is one page view', async () => {
  const { api, socket } = await start();
  api.page('https://news.example.vn/#/tin/1');
  api.page('https://news.example.vn/#/tin/1');
  assert.equal(ofType(socket, 'page').length, 1);
  assert.equal(ofType(socket, 'page')[0]!.url, 'https://news.example.vn/#/tin/1');
  page.location.href = 'https://news.example.vn/tin/2';
  api.page();
  assert.equal(ofType(socket, 'page').at(-1)!.url, 'https://news.example.vn/tin/2');
  api.page('');
  assert.equal(ofType(socket, 'page').length, 2, 'an empty address means location, which has not changed');
});

test('pagehide closes the socket without a reconnect; a bfcache restore resumes the page session', async () => {
  const { socket } = await start();
  page.dispatch('pagehide');
  socket.onclose!({ code: 1000 });
  mock.timers.tick(60_000);
  assert.equal(FakeSocket.all.length, 1);
  page.dispatch('pageshow', { persisted: true });
  const again = FakeSocket.all.at(-1)!;
  again.open();
  assert.equal(again.sent[0]!.psid, socket.sent[0]!.psid);
});
