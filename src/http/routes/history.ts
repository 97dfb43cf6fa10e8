// A site's audience history (GET /api/sites/SITE/history, JSON or CSV) under the stats route's access rule
// (a public site is open; a private one needs its readToken or ADMIN_TOKEN, else it answers like an unknown
// site), and the import of an old counter's days or months (PUT, ADMIN_TOKEN, text/csv).
import { createHash } from 'node:crypto';
import express, { Router, type Request } from 'express';
import { localIso, type Bucket, type Period } from '../../audience/calendar-buckets.js';
import { periodsAt } from '../../calendar.js';
import { CsvError, formatHistoryCsv, parseImportCsv, type ParsedImport } from '../../history-csv.js';
import { HistoryQueryError, parseHistoryRange, type HistoryRange } from '../../history-query.js';
import { readTokenAllowed } from '../../live-view.js';
import type { Site, SiteRegistry } from '../../sites.js';
import type { HistoryPoint, HistoryRetention, Store } from '../../store/store.js';
import { bearerToken } from '../bearer.js';
import { answerReadPreflight } from '../preflight.js';
import { requireAdmin } from './admin.js';
import { sendError, type UnknownSite } from '../errors.js';

const RETRY_AFTER_S = 5;
/** Past buckets do not change; the current one does, so caches keep an answer only briefly. */
const MAX_AGE_S = 10;
/** Three years of days are about 40 KB; this leaves room for decades. */
const IMPORT_LIMIT = '2mb';

export interface HistoryRouteDeps {
  sites: SiteRegistry;
  store: Store;
  adminToken: string | undefined;
  clock: () => number;
  historyRetention: HistoryRetention;
  unknownSite: UnknownSite;
}

/** The JSON the GET answers. */
export interface HistoryView {
  site: string;
  timeZone: string;
  period: Period;
  points: {
    at: string;
    pageviews: number;
    visits: number;
    peak: { online: number; guests: number; members: number; bots: number };
    peakAt?: string | null;
    imported?: true;
  }[];
}

export function historyView(site: Site, range: HistoryRange, points: readonly HistoryPoint[]): HistoryView {
  const calendar = range.period === 'day' || range.period === 'month';
  return {
    site: site.id,
    timeZone: site.timeZone,
    period: range.period,
    points: range.buckets.map((bucket: Bucket, i) => {
      const { pageviews, visits, peak, peakAt, imported } = points[i]!;
      const point: HistoryView['points'][number] = {
        at: bucket.at,
        pageviews,
        visits,
        peak: { online: peak.online, guests: peak.guests, members: peak.members, bots: peak.bots },
      };
      if (calendar) point.peakAt = peakAt == null ? null : localIso(peakAt, site.timeZone);
      if (calendar && imported === true) point.imported = true;
      return point;
    }),
  };
}

export function historyRoutes(deps: HistoryRouteDeps): Router {
  const router = Router();

  const readable = (req: Request): Site | undefined => {
    const site = deps.sites.get(req.params.site as string);
    if (!site) return undefined;
    return site.public || readTokenAllowed(site, bearerToken(req.get('authorization')), deps.adminToken, deps.clock()) ? site : undefined;
  };

  router.options('/api/sites/:site/history', answerReadPreflight);

  router.get('/api/sites/:site/history', async (req, res) => {
    const site = readable(req);
    if (!site) return deps.unknownSite(res);
    const format = req.query.format ?? 'json';
    if (format !== 'json' && format !== 'csv') return sendError(res, 400, 'format: expected json or csv');
    let range: HistoryRange;
    try {
      range = parseHistoryRange(req.query, site.timeZone, deps.clock(), deps.historyRetention);
    } catch (error) {
      if (!(error instanceof HistoryQueryError)) throw error;
      return void res.status(400).json({ error: error.message, field: error.field });
    }
    res.set({
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
      // A private site's figures are for the token holder: no shared cache may keep them.
      'Cache-Control': `${site.public ? 'public' : 'private'}, max-age=${MAX_AGE_S}`,
    });
    if (!site.public) res.vary('Authorization');
    let points: HistoryPoint[];
    try {
      points = await deps.store.history(site.id, range.period, range.buckets.map((bucket) => bucket.key));
    } catch {
      res.set('Retry-After', String(RETRY_AFTER_S));
      return sendError(res, 503, 'store unavailable');
    }
    const body = format === 'csv' ? formatHistoryCsv(range.period, range.buckets, points, site.timeZone) : JSON.stringify(historyView(site, range, points));
    // With the ETag set, Express answers a matching If-None-Match with 304 and no body.
    res.set('ETag', `"${createHash('sha1').update(body).digest('base64url')}"`);
    if (format === 'csv') res.type('text/csv; charset=utf-8').set('Content-Disposition', `inline; filename="${site.id}-${range.period}.csv"`);
    else res.type('json');
    res.send(body);
  });

  router.put('/api/sites/:site/history', requireAdmin(deps.adminToken), express.text({ type: 'text/csv', limit: IMPORT_LIMIT }), async (req, res, next) => {
    const site = deps.sites.get(req.params.site as string);
    if (!site) return deps.unknownSite(res);
    if (!req.is('text/csv')) return sendError(res, 415, 'expected Content-Type: text/csv');
    let parsed: ParsedImport;
    try {
      parsed = parseImportCsv(typeof req.body === 'string' ? req.body : '', periodsAt(deps.clock(), site.timeZone).day);
    } catch (error) {
      if (!(error instanceof CsvError)) throw error;
      return void res.status(400).json({ error: error.message, field: error.field, line: error.line });
    }
    try {
      await deps.store.importHistory(site.id, parsed.period, parsed.rows);
      res.json({ site: site.id, period: parsed.period, imported: parsed.rows.length });
    } catch (error) {
      next(error);
    }
  });

  return router;
}
