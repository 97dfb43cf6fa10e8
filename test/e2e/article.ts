// A news site of its own origin for browser tests: serves an article that embeds Headcount's t.js,
// so every socket is a real cross-origin embed (127.0.0.1:<this port> ≠ 127.0.0.1:<Headcount's port>).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ArticleSite {
  url: string;
  close(): Promise<void>;
}

export interface ArticleOptions {
  /** Headcount's base URL, e.g. http://127.0.0.1:41234 */
  headcount: string;
  site?: string;
}

const escapeAttr = (text: string) => text.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Every path is an article, with a relative canonical link to itself (no query), its section and author
 * in meta tags, a readers span and the footer block. Query parameters shape the embed:
 * `token` → data-member-token, `lang` → the page's lang (default vi), `show` → the widget's data-show,
 * `section` → article:section (default Thời sự), `title` → the page's title (default "Bài viết PATH").
 */
export async function startArticleSite({ headcount, site = 'demo' }: ArticleOptions): Promise<ArticleSite> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://article.invalid');
    const token = url.searchParams.get('token');
    const lang = url.searchParams.get('lang') ?? 'vi';
    const show = url.searchParams.get('show') ?? 'today,month';
    const section = url.searchParams.get('section') ?? 'Thời sự';
    const title = url.searchParams.get('title') ?? `Bài viết ${url.pathname}`;
    const tokenAttr = token ? ` data-member-token="${escapeAttr(token)}"` : '';
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' });
    res.end(`<!doctype html><html lang="${escapeAttr(lang)}"><head><meta charset="utf-8"><title>${escapeAttr(title)}</title>
<link rel="canonical" href="${escapeAttr(url.pathname)}"><meta property="article:section" content="${escapeAttr(section)}"><meta name="author" content="Minh Anh"></head>
<body><article><h1>Bài viết thử</h1><p><span id="readers" data-headcount-readers></span></p><p>Nội dung.</p></article>
<footer><div id="hc" data-headcount data-show="${escapeAttr(show)}"></div></footer>
<script async src="${headcount}/t.js" data-site="${escapeAttr(site)}"${tokenAttr}></script></body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
