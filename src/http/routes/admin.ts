// Operator calls, guarded by ADMIN_TOKEN: disabled entirely when no token is configured.
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { Router, type RequestHandler } from 'express';
import type { SiteRegistry } from '../../sites.js';
import type { StartingTotals, Store } from '../../store/store.js';
import { sendError } from '../errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

function requireAdmin(adminToken: string | undefined): RequestHandler {
  const expected = adminToken === undefined ? undefined : digest(adminToken);
  return (req, res, next) => {
    if (!expected) return sendError(res, 403, 'admin API disabled: set ADMIN_TOKEN to enable it');
    const match = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
    // Compare digests so the comparison takes the same time whatever the length of the guess.
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
      res.set('WWW-Authenticate', 'Bearer');
      return sendError(res, 401, 'missing or wrong admin token (Authorization: Bearer ADMIN_TOKEN)');
    }
    next();
  };
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

export function adminRoutes(sites: SiteRegistry, store: Store, adminToken: string | undefined): Router {
  const router = Router();
  router.put('/api/sites/:site/totals', requireAdmin(adminToken), express.json({ limit: '1kb' }), async (req, res, next) => {
    const site = sites.get(req.params.site as string);
    if (!site) return sendError(res, 404, 'unknown site');
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
