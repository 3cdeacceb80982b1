/**
 * The listen / address / close steps every server of the process shares (entry points, admin API, registry API,
 * demo backends). Type-only imports: the servers are created by their owners; this only drives them.
 */
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo, Server } from 'node:net';

/**
 * Binds `server` and resolves once it listens; rejects with the listen error (EADDRINUSE, EACCES) instead of
 * leaving it to the 'error' event. `host` `''` binds every interface (Node's dual-stack default).
 */
export function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    if (host === '') server.listen(port, onListening);
    else server.listen(port, host, onListening);
  });
}

/** The bound address of a listening server (the real port after binding port 0), else null. */
export function boundAddress(server: Server | null): AddressInfo | null {
  const address = server?.address();
  return address && typeof address === 'object' ? address : null;
}

/**
 * Stops `server` and drops its connections: keep-alive clients (a Prometheus scraper, a Nacos client) would
 * otherwise hold the close open until their idle timeout. Resolves also when `listen` never succeeded.
 */
export function closeServer(server: HttpServer): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
