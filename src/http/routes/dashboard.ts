// The live dashboard (GET /dashboard/SITE, ?board=1 for the newsroom board) and its two assets.
// A public live site's is open; a private one's needs ?share=TOKEN (src/share-links.ts) or ?key=READ_TOKEN.
// An unknown site and a private one asked without credentials get the same 404 page (existence is not
// disclosed); a bad or expired link gets a 403 page that says so and what to do.
import { Router, type Request, type Response } from 'express';
import type { ClientBundle, DashboardBundle } from '../../../client/files.js';
import { readTokenAllowed } from '../../live-view.js';
import { checkShareToken } from '../../share-links.js';
import type { Site, SiteRegistry } from '../../sites.js';
import { renderError, renderShell, type DashboardLang, type ErrorKind } from '../dashboard-page.js';
import { sendError } from '../errors.js';

/** Unversioned asset URLs revalidate with the ETag after this; the shell's ?v=HASH URLs are immutable. */
const ASSET_MAX_AGE_S = 300;
const IMMUTABLE_MAX_AGE_S = 31_536_000;
/** A host name, IPv4 address or bracketed IPv6 address with an optional port: safe to name in the CSP. */
const HOST = /^(?:[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;
const LANGS: readonly DashboardLang[] = ['vi', 'en'];

export interface DashboardRouteDeps {
  sites: SiteRegistry;
  adminToken: string | undefined;
  clock: () => number;
  /** The bundled script and style sheet (client/bundle.ts); rejects while they are not built. */
  assets: () => Promise<DashboardBundle>;
  /** Counts an answer that looks like an unknown site. */
  unknownSite: () => void;
  /** PUBLIC_URL: an https one tells that the page is served over TLS even when the proxy does not say so. */
  publicUrl?: string | undefined;
}

class BadQuery extends Error {}

/** The page's policy: its own script and style sheet only, API calls and the socket to this host only. */
export function dashboardCsp(host: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ws://${host} wss://${host}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const single = (req: Request, name: string): string | undefined => {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BadQuery(`${name}: give it once`);
  return value;
};

/** ?lang=vi|en, else the browser's preference between the two (Vietnamese when it names neither). */
function langOf(req: Request): DashboardLang {
  const asked = single(req, 'lang');
  if (asked !== undefined) {
    if (!LANGS.includes(asked as DashboardLang)) throw new BadQuery('lang: expected vi or en');
    return asked as DashboardLang;
  }
  return (req.acceptsLanguages(...LANGS) || 'vi') as DashboardLang;
}

function boardOf(req: Request): boolean {
  const board = single(req, 'board');
  if (board !== undefined && board !== '0' && board !== '1') throw new BadQuery('board: expected 1 (the newsroom board) or 0');
  return board === '1';
}

type Access = { ok: true; site: Site; access: string } | { ok: false; status: 403 | 404; kind: ErrorKind; until?: number };

/** Who may open this site's dashboard with these credentials (see the header of this file). */
export function dashboardAccess(site: Site | undefined, share: string | undefined, key: string | undefined, adminToken: string | undefined, now: number): Access {
  const given = share ?? key;
  if (!site) return given === undefined ? { ok: false, status: 404, kind: 'unavailable' } : { ok: false, status: 403, kind: 'invalid' };
  if (share !== undefined) {
    const check = checkShareToken(site, share, now);
    if (check.ok) return { ok: true, site, access: share };
    if (site.live === 'public') return { ok: true, site, access: '' };
    return check.reason === 'expired' ? { ok: false, status: 403, kind: 'expired', until: expiryOf(share) } : { ok: false, status: 403, kind: 'invalid' };
  }
  if (key !== undefined && readTokenAllowed(site, key, adminToken, now)) return { ok: true, site, access: key };
  if (site.live === 'public') return { ok: true, site, access: '' };
  return key === undefined ? { ok: false, status: 404, kind: 'unavailable' } : { ok: false, status: 403, kind: 'invalid' };
}

const expiryOf = (share: string) => Number(share.split('.')[1]) * 1000;

function sendPage(res: Response, status: number, html: string, csp: string): void {
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': csp,
      // The page may carry a token: no cache keeps it, no link passes it on.
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
    })
    .vary('Accept-Language')
    .send(html);
}

const ERROR_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function dashboardRoutes(deps: DashboardRouteDeps): Router {
  const router = Router();
  // Loaded once; a failure (not built yet) is not kept, so a later `npm run build` is picked up.
  let loaded: Promise<DashboardBundle> | undefined;
  const assets = () => {
    if (loaded) return loaded;
    const attempt = new Promise<DashboardBundle>((resolve) => resolve(deps.assets()));
    loaded = attempt;
    attempt.catch(() => {
      if (loaded === attempt) loaded = undefined;
    });
    return attempt;
  };

  const serveAsset = (pick: (bundle: DashboardBundle) => ClientBundle, type: string) => async (req: Request, res: Response) => {
    let asset: ClientBundle;
    try {
      asset = pick(await assets());
    } catch {
      res.set('Retry-After', '60');
      return sendError(res, 503, 'dashboard bundle not built (run `npm run build`)');
    }
    const gzipped = req.acceptsEncodings('gzip') === 'gzip';
    res.set({
      'Content-Type': `${type}; charset=utf-8`,
      'Cache-Control': req.query.v === asset.hash ? `public, max-age=${IMMUTABLE_MAX_AGE_S}, immutable` : `public, max-age=${ASSET_MAX_AGE_S}`,
      Vary: 'Accept-Encoding',
      'X-Content-Type-Options': 'nosniff',
      // Strong validators differ per encoding; express answers 304 when If-None-Match matches.
      ETag: `"${asset.hash}${gzipped ? '-gz' : ''}"`,
    });
    if (gzipped) res.set('Content-Encoding', 'gzip');
    res.send(gzipped ? asset.gzip : asset.code);
  };

  router.get('/dashboard/dashboard.js', serveAsset((bundle) => bundle.script, 'text/javascript'));
  router.get('/dashboard/dashboard.css', serveAsset((bundle) => bundle.style, 'text/css'));

  /** Whether the page reached the browser over TLS: as TRUST_PROXY lets Express tell, or as PUBLIC_URL says for this host. */
  const publicUrl = deps.publicUrl === undefined ? undefined : new URL(deps.publicUrl);
  const secure = (req: Request, host: string) => req.protocol === 'https' || (publicUrl?.protocol === 'https:' && publicUrl.host === host.toLowerCase());

  router.get('/dashboard/:site', async (req, res) => {
    let lang: DashboardLang = (req.acceptsLanguages(...LANGS) || 'vi') as DashboardLang;
    try {
      lang = langOf(req);
      const board = boardOf(req);
      const host = req.get('host') ?? '';
      if (!HOST.test(host)) throw new BadQuery('Host: not a host name');
      const site = deps.sites.get(req.params.site as string);
      const now = deps.clock();
      const access = dashboardAccess(site, single(req, 'share'), single(req, 'key'), deps.adminToken, now);
      if (!access.ok) {
        if (access.status === 404) deps.unknownSite();
        const until = access.until === undefined || !site ? undefined : new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeStyle: 'short', timeZone: site.timeZone }).format(access.until);
        return sendPage(res, access.status, renderError(access.kind, lang, { until }), ERROR_CSP);
      }
      const built = await assets().catch(() => undefined);
      const wsOrigin = `${secure(req, host) ? 'wss' : 'ws'}://${host}`;
      const html = renderShell({
        site: access.site.id,
        timeZone: access.site.timeZone,
        lang,
        board,
        wsUrl: `${wsOrigin}/ws?site=${encodeURIComponent(access.site.id)}`,
        access: access.access,
        scriptHash: built?.script.hash,
        styleHash: built?.style.hash,
      });
      sendPage(res, 200, html, dashboardCsp(host));
    } catch (error) {
      if (!(error instanceof BadQuery)) throw error;
      sendPage(res, 400, renderError('bad-request', lang, { detail: error.message }), ERROR_CSP);
    }
  });

  return router;
}
