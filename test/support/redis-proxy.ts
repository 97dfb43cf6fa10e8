// A TCP proxy in front of a real redis-server that can lose replies: once a client sends bytes
// containing a marker, Redis still gets (and runs) them, but nothing more reaches that client until
// the test cuts the connection, which is what a network failure right after a command looks like.
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';

export interface LostReply {
  /** Resolves once a client sent the marker; from then on its replies are swallowed. */
  readonly sent: Promise<void>;
  /** Closes that client's connection (and the proxy's to Redis), so the client reconnects and re-sends. */
  cut(): void;
}

export interface RedisProxy {
  readonly url: string;
  /** Swallows the replies of the next connection that sends `marker`. */
  loseReplyTo(marker: string): LostReply;
  close(): Promise<void>;
}

export async function startRedisProxy(redisPort: number): Promise<RedisProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let armed: { marker: string; hit(client: Socket, upstream: Socket): void } | undefined;

  const server = createServer((client) => {
    const upstream = connect(redisPort, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    let swallowing = false;
    client.on('data', (chunk) => {
      if (armed && chunk.includes(armed.marker)) {
        swallowing = true;
        armed.hit(client, upstream);
        armed = undefined;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => swallowing || client.write(chunk));
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };

  return {
    url: `redis://127.0.0.1:${port}`,
    loseReplyTo(marker) {
      let cut = () => {};
      const sent = new Promise<void>((resolve) => {
        armed = {
          marker,
          hit(client, upstream) {
            cut = () => {
              client.destroy();
              upstream.destroy();
            };
            resolve();
          },
        };
      });
      return { sent, cut: () => cut() };
    },
    async close() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      server.close();
      await once(server, 'close');
    },
  };
}
