// Baseline: the bare `ws` transport Headcount stands on, configured as Headcount configures it
// (no permessage-deflate, the same maxPayload) and doing nothing else. With BROADCAST_REDIS_URL
// it relays every message of BROADCAST_CHANNEL to every socket: the floor under Headcount's pushes.
// With WELCOME_ECHO it answers each hello with a welcome and nothing else (no checks, no store):
// the floor under Headcount's admission, the same protocol exchange with no work behind it.
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { WebSocketServer } from 'ws';
import { MAX_MESSAGE_BYTES, type HelloMessage, type WelcomeMessage } from '../../src/protocol.js';
import { listenAndReport } from './listen.js';

const server = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false });
wss.on('connection', (ws) => ws.on('error', () => {}));

if (process.env.WELCOME_ECHO) {
  wss.on('connection', (ws) => ws.on('message', (data) => {
    const hello = JSON.parse(data.toString()) as HelloMessage;
    ws.send(JSON.stringify({ t: 'welcome', psid: hello.psid, resumed: false, kind: 'guest', hb: 25_000 } satisfies WelcomeMessage));
  }));
}

const redisUrl = process.env.BROADCAST_REDIS_URL;
if (redisUrl) {
  // Like Headcount's first push on subscribe, every new socket gets the last message at once.
  let last = process.env.BROADCAST_INITIAL ?? '';
  wss.on('connection', (ws) => last && ws.send(last));
  const subscriber = new Redis(redisUrl);
  await subscriber.subscribe(process.env.BROADCAST_CHANNEL ?? 'bench');
  subscriber.on('message', (_channel: string, message: string) => {
    last = message;
    for (const ws of wss.clients) ws.send(message);
  });
}

// Like Headcount's graceful stop: refuse new sockets, ask the open ones to reconnect (1012), exit.
process.on('SIGTERM', () => {
  server.close();
  for (const ws of wss.clients) ws.close(1012, 'server restarting, reconnect');
  const exit = () => process.exit(0);
  setTimeout(exit, 2_000).unref();
  const poll = setInterval(() => wss.clients.size === 0 && exit(), 20);
  poll.unref();
});
listenAndReport(server);
