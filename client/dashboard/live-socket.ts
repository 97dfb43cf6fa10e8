// The dashboard's WebSocket: subscribes to the live view and the counts (no hello, so it is never
// counted as a reader), and reconnects with backoff until the server refuses the access (4403).
import { backoff } from '../backoff.js';

export type SocketState = 'connecting' | 'live' | 'disconnected' | 'refused';

const ACCESS_REFUSED = 4403;

export interface LiveSocketOptions {
  url: string;
  pages: number;
  token: string | undefined;
  onMessage(message: { t: string } & Record<string, unknown>): void;
  onState(state: SocketState): void;
}

export function openLiveSocket(options: LiveSocketOptions): void {
  let attempt = 0;
  const connect = () => {
    options.onState(attempt === 0 ? 'connecting' : 'disconnected');
    const socket = new WebSocket(options.url);
    // Handlers are properties of this one socket: a reconnect drops them with it, nothing accumulates.
    socket.onopen = () => {
      socket.send(JSON.stringify({ t: 'live', on: true, n: options.pages, ...(options.token ? { token: options.token } : {}) }));
      socket.send(JSON.stringify({ t: 'sub', on: true }));
    };
    socket.onmessage = (event) => {
      let message: unknown;
      try {
        message = JSON.parse(String(event.data));
      } catch {
        return;
      }
      if (!message || typeof message !== 'object' || typeof (message as { t?: unknown }).t !== 'string') return;
      if (attempt > 0 || (message as { t: string }).t === 'live') {
        attempt = 0;
        options.onState('live');
      }
      options.onMessage(message as { t: string });
    };
    socket.onclose = (event) => {
      if (event.code === ACCESS_REFUSED) return options.onState('refused');
      options.onState('disconnected');
      setTimeout(connect, backoff(attempt++));
    };
  };
  connect();
}
