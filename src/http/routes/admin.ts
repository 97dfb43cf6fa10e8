// Operator calls, guarded by ADMIN_TOKEN: disabled entirely when no token is configured.
import express, { Router, type RequestHandler } from 'express';
import type { SiteRegistry } from '../../sites.js';
import type { StartingTotals, Store } from '../../store/store.js';
import { requireBearer } from '../bearer.js';
import { sendError, type UnknownSite } from '../errors.js';

export function requireAdmin(adminToken: string | undefined): RequestHandler {
  if (adminToken === undefined) return (_req, res) => sendError(res, 403, 'admin API disabled: set ADMIN_TOKEN to enable it');
  return requireBearer(adminToken, 'ADMIN_TOKEN');
}

export class TotalsError extends Error {}

/** Validates {visits?, pageviews?}: at least one, each a whole number from 0 to 2^53-1. */
export function parseTotals(body: unknown): StartingTotals {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new TotalsError('expected a JSON object {"visits": N, "pageviews": N}');
  const totals: { visits?: number; pageviews?: number } = {};
  for (const [key, value] of Object.entries(body)) {
    if (key !== 'visits' && key !== 'pageviews') throw new TotalsError(`unknown field "${key}"`);
    if (!Number.isSafeInteger(value) || (value as number) < 0) throw new TotalsError(`${key}: expected a whole number >= 0`);
    totals[key] = value as number;
  }
  if (Object.keys(totals).length === 0) throw new TotalsError('give visits, pageviews or both');
  return totals;
}

export function adminRoutes(sites: SiteRegistry, store: Store, adminToken: string | undefined, unknownSite: UnknownSite): Router {
  const router = Router();
  router.put('/api/sites/:site/totals', requireAdmin(adminToken), express.json({ limit: '1kb' }), async (req, res, next) => {
    const site = sites.get(req.params.site as string);
    if (!site) return unknownSite(res);
    let totals: StartingTotals;
    try {
      totals = parseTotals(req.body);
    } catch (error) {
      return sendError(res, 400, (error as Error).message);
    }
    try {
      await store.setTotals(site.id, totals);
      res.json({ site: site.id, ...totals });
    } catch (error) {
      next(error);
    }
  });
  return router;
}
