// Every HTTP error leaves as JSON with a status that says whose fault it is.
import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';

/** Works on a plain Node response too (the routes answered before Express); headers set earlier stay. */
export function sendError(res: ServerResponse, status: number, error: string): void {
  const body = JSON.stringify({ error });
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) }).end(body);
}

/** Answers 404 for a site that is unknown or private (the two look alike), and lets the caller count it. */
export type UnknownSite = (res: ServerResponse) => void;

export function unknownSiteResponder(counted: () => void): UnknownSite {
  return (res) => {
    counted();
    sendError(res, 404, 'unknown site');
  };
}

export const notFound: RequestHandler = (req, res) => sendError(res, 404, `no route for ${req.method} ${req.path}`);

export function errorHandler(log: (error: unknown) => void): ErrorRequestHandler {
  return (error, req, res, _next) => {
    // Part of a response is out: another status cannot follow, so only a cut tells the client.
    if (res.headersSent) {
      log(error);
      return void req.socket.destroy();
    }
    const status = typeof error?.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) log(error);
    // body-parser errors carry a `type`; they are the client's fault and safe to describe.
    const message = status === 500 ? 'internal error' : error.type === 'entity.parse.failed' ? 'body is not valid JSON' : String(error.message ?? 'bad request');
    sendError(res, status, message);
  };
}
