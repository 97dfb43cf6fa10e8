// Bearer-token guard for operator endpoints (admin API, /metrics), and reading the token of a request.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { sendError } from './errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The token of an `Authorization: Bearer <token>` header, if the request has one. */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer (.+)$/.exec(header ?? '')?.[1];
}

/** Lets through requests with `Authorization: Bearer <token>`; 401 with a JSON error naming `variable` otherwise. */
export function requireBearer(token: string, variable: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const given = bearerToken(req.get('authorization'));
    // Compare digests so the comparison takes the same time whatever the length of the guess.
    if (given === undefined || !timingSafeEqual(digest(given), expected)) {
      res.set('WWW-Authenticate', 'Bearer');
      return sendError(res, 401, `missing or wrong token (Authorization: Bearer ${variable})`);
    }
    next();
  };
}
