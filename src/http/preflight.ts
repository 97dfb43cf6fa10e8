// CORS preflight for the read routes: a dashboard on another origin sends its token in Authorization,
// which needs one. The same answer for every site id, so a preflight discloses nothing.
import type { RequestHandler } from 'express';

/** Browsers may keep a preflight answer this long (they cap it lower themselves). */
const PREFLIGHT_MAX_AGE_S = 600;

export const answerReadPreflight: RequestHandler = (_req, res) => {
  res
    .set({
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': 'GET',
      'Access-Control-Allow-Headers': 'Authorization',
      'Access-Control-Max-Age': String(PREFLIGHT_MAX_AGE_S),
    })
    .status(204)
    .end();
};
