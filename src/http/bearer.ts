// Bearer-token guard for operator endpoints (admin API, /metrics).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { sendError } from './errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Lets through requests with `Authorization: Bearer <token>`; 401 with a JSON error naming `variable` otherwise. */
export function requireBearer(token: string, variable: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const given = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
    // Compare digests so the comparison takes the same time whatever the length of the guess.
    if (given === undefined || !timingSafeEqual(digest(given), expected)) {
      res.set('WWW-Authenticate', 'Bearer');
      return sendError(res, 401, `missing or wrong token (Authorization: Bearer ${variable})`);
    }
    next();
  };
}
