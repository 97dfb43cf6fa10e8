// /t.js and the demo page as a browser or a CDN sees them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { get, type IncomingHttpHeaders } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { GZIP_BUDGET_BYTES } from '../../client/build.js';
import { serveClientRoutes } from './serve.js';

/** The bytes on the wire: fetch() would decompress, and it adds Cache-Control: no-cache to conditional requests. */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) =>
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject),
  );
}

test('GET /t.js is cacheable JavaScript any origin may load, gzipped when asked, with an ETag', async (t) => {
  const server = await serveClientRoutes();
  t.after(() => server.close());
  const plain = await fetch(`${server.url}/t.js`, { headers: { 'Accept-Encoding': 'identity' } });
  assert.equal(plain.status, 200);
  assert.equal(plain.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(plain.headers.get('cache-control'), 'public, max-age=300');
  assert.equal(plain.headers.get('access-control-allow-origin'), '*');
  assert.equal(plain.headers.get('cross-origin-resource-policy'), 'cross-origin');
  assert.equal(plain.headers.get('vary'), 'Accept-Encoding');
  const code = await plain.text();
  assert.ok(code.includes('Thống kê truy cập'), 'UTF-8 labels');
  const etag = plain.headers.get('etag')!;
  assert.match(etag, /^"[\w-]+"$/);

  const gzipped = await rawGet(`${server.url}/t.js`, { 'Accept-Encoding': 'gzip, br' });
  assert.equal(gzipped.headers['content-encoding'], 'gzip');
  assert.ok(gzipped.body.length <= GZIP_BUDGET_BYTES);
  assert.equal(gunzipSync(gzipped.body).toString(), code);
  assert.notEqual(gzipped.headers.etag, etag, 'each encoding has its own validator');

  assert.equal((await rawGet(`${server.url}/t.js`, { 'If-None-Match': etag })).status, 304);
  assert.equal((await rawGet(`${server.url}/t.js`, { 'Accept-Encoding': 'gzip', 'If-None-Match': gzipped.headers.etag! })).status, 304);
  assert.equal((await rawGet(`${server.url}/t.js`, { 'Accept-Encoding': 'gzip', 'If-None-Match': etag })).status, 200);
});

test('GET / is the Vietnamese demo article embedding /t.js for the demo site', async (t) => {
  const server = await serveClientRoutes();
  t.after(() => server.close());
  const response = await fetch(`${server.url}/`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
  const html = await response.text();
  assert.match(html, /<html lang="vi">/);
  assert.match(html, /<div data-headcount[^>]*><\/div>/);
  assert.match(html, /<script async src="\/t\.js" data-site="demo"><\/script>/);
});

test('the demo site has three articles, each with its canonical link, section, author and readers span, linking to the others', async (t) => {
  const server = await serveClientRoutes();
  t.after(() => server.close());
  const pages = ['/', '/bai/mua-ca-com-than', '/bai/xe-buyt-san-bay'];
  const titles = new Set<string>();
  for (const path of pages) {
    const response = await fetch(`${server.url}${path}`);
    assert.equal(response.status, 200, path);
    const html = await response.text();
    assert.doesNotMatch(html, /\{\{/, `${path}: every field filled`);
    assert.ok(html.includes(`<link rel="canonical" href="${path}">`), `${path}: canonical link`);
    assert.match(html, /<meta property="article:section" content="[^"]+">/);
    assert.match(html, /<meta name="author" content="[^"]+">/);
    assert.match(html, /<span data-headcount-readers><\/span>/);
    for (const other of pages.filter((p) => p !== path)) assert.ok(html.includes(`<a href="${other}">`), `${path} links to ${other}`);
    titles.add(/<h1>([^<]+)<\/h1>/.exec(html)![1]!);
  }
  assert.equal(titles.size, 3);
});

test('without a demo site there is no demo page', async (t) => {
  const server = await serveClientRoutes(['baodanang']);
  t.after(() => server.close());
  assert.equal((await fetch(`${server.url}/`)).status, 404);
});
