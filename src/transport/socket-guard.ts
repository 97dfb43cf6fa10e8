// Backstops on one WebSocket: an exception in any of its listeners ends that socket, not the process,
// and every close names its rule, also the ones ws sends by itself (oversized or invalid frames).
// A class (WebSocketServer's `WebSocket` option), so the guards are prototype methods shared by every
// socket rather than two wrappers per socket, and a subclass handles its own events in a prototype method
// (handle) rather than through listeners: each listener costs its socket room in its listener table.
import { WebSocket } from 'ws';
import { CloseCode, MAX_MESSAGE_BYTES } from '../protocol.js';

/** A close frame's reason is at most 123 bytes; ws throws on more. */
const MAX_CLOSE_REASON_BYTES = 123;

/** ws closes with a bare code when a frame breaks its rules (receiver errors): the rule, in words. */
const WS_OWN_CLOSE_REASONS: Partial<Record<number, string>> = {
  1002: 'invalid WebSocket frame',
  1007: 'text frame is not valid UTF-8',
  [CloseCode.tooBig]: `message over ${MAX_MESSAGE_BYTES} bytes`,
};

/** Cuts a reason to what a close frame carries, at a character boundary. */
export function fitCloseReason(reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES) return reason;
  let cut = reason.slice(0, MAX_CLOSE_REASON_BYTES);
  while (Buffer.byteLength(cut) > MAX_CLOSE_REASON_BYTES) cut = cut.slice(0, -1);
  return cut;
}

export abstract class GuardedSocket extends WebSocket {
  /** Hears the exception of a listener; the socket is terminated right after. */
  protected abstract listenerFailed(error: unknown): void;

  /** The socket's own handling of an event, before any listener; says whether it handled it. */
  protected handle(_event: string | symbol, _args: unknown[]): boolean {
    return false;
  }

  // ws emits from inside the TCP socket's 'data' handler: a listener's exception would end the process.
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    try {
      const handled = this.handle(event, args);
      // EventEmitter throws an 'error' nobody listens to, even one handled here.
      if (handled && event === 'error' && this.listenerCount('error') === 0) return true;
      return super.emit(event, ...args) || handled;
    } catch (error) {
      this.listenerFailed(error);
      this.terminate();
      return true;
    }
  }

  override close(code?: number, reason?: string | Buffer): void {
    const text = reason === undefined ? (code === undefined ? undefined : WS_OWN_CLOSE_REASONS[code]) : typeof reason === 'string' ? fitCloseReason(reason) : reason;
    super.close(code, text);
  }
}
