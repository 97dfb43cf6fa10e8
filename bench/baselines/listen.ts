// Shared by the baseline servers: listen on PORT (0: any free port) on loopback, then tell the
// runner the port over IPC (bench/lib/processes.ts waits for it).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export function listenAndReport(server: Server): void {
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    process.send!({ port: (server.address() as AddressInfo).port });
  });
  process.on('disconnect', () => process.exit(0));
}
