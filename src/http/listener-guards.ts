// The HTTP server's own listeners: a request handler's exception and a request Node could not parse
// each cost that one connection a JSON answer (or a cut), never the process.
import { STATUS_CODES, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { parseRequestTarget } from '../request-target.js';
import { sendError } from './errors.js';

export interface RequestGuards {
  /** A target no route could parse: answered 400 here (Express would answer some of them in HTML). */
  malformed: () => void;
  /** An exception that escaped Express's own error handling. */
  failed: (error: unknown) => void;
}

/**
 * The request listener: the same target rules as the WebSocket upgrade, then Express, inside a catch.
 * It also requires Host on HTTP/1.1 (RFC 9112 3.2), in place of Node's check (`requireHostHeader: false`),
 * whose 400 has no body.
 */
export function guardRequests(handle: RequestListener, guards: RequestGuards): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    try {
      const target = parseRequestTarget(req.url);
      const error = !target.ok ? target.error : req.httpVersion === '1.1' && req.headers.host === undefined ? 'Host header required' : undefined;
      if (error !== undefined) {
        guards.malformed();
        return sendError(res, 400, error);
      }
      // Express would find no path in some absolute forms (`h://a?x`) and answer in HTML: it gets the origin form.
      if (target.ok) req.url = target.originForm;
      handle(req, res);
    } catch (error) {
      guards.failed(error);
      if (res.headersSent) return void req.socket.destroy();
      res.shouldKeepAlive = false;
      sendError(res, 500, 'internal error');
    }
  };
}

export interface RequestTimeouts {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

/** Node's parser errors (`clientError`) by code: status and what the JSON body says. */
function clientErrorAnswer(error: Error & { code?: string }, timeouts: RequestTimeouts): [number, string] {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, `request too slow: headers are due within ${timeouts.headersTimeoutMs} ms, the whole request within ${timeouts.requestTimeoutMs} ms`];
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'request headers too large'];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return [413, 'chunk extensions too large'];
    default:
      return [400, 'malformed HTTP request'];
  }
}

/**
 * The 'clientError' listener: Node's default answers without a body; this one answers in JSON like
 * every other refusal, but only on a connection that has not answered anything yet (after an earlier
 * response on a keep-alive connection, a cut is the only answer that cannot corrupt the stream).
 */
export function answerClientError(timeouts: RequestTimeouts): (error: Error & { code?: string }, socket: Duplex) => void {
  return (error, socket) => {
    // The socket is a net.Socket; Duplex is what the event's type promises.
    if (error.code === 'ECONNRESET' || !socket.writable || (socket as Socket).bytesWritten > 0) return void socket.destroy();
    const [status, message] = clientErrorAnswer(error, timeouts);
    const body = JSON.stringify({ error: message });
    // The server's sockets allow half-open: the socket goes once the answer is out, whatever the peer does.
    socket.once('finish', () => socket.destroy());
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  };
}
