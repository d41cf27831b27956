import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SchemaRegistryClient } from '@register-feeds/service-kit';

/**
 * A schema registry that is "down" for the service under test only: a local port that refuses
 * connections while closed (nothing listens on it: ECONNREFUSED, as when the registry is not running) and
 * forwards every request to the real registry while open. The shared registry is never touched.
 */
export interface RegistryProxy {
  /** the registry URL to hand the service: the real one's path on the proxy's port */
  url: string;
  /** requests forwarded so far */
  readonly forwarded: number;
  /** starts forwarding on the proxy's port */
  open(): Promise<void>;
  /** stops listening and drops kept-alive connections: from now on a connection is refused */
  close(): Promise<void>;
}

/** A proxy for `targetUrl`, closed: it refuses connections until open() is called. */
export async function createRegistryProxy(targetUrl: string): Promise<RegistryProxy> {
  const target = new URL(targetUrl);
  let forwarded = 0;
  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    forwarded += 1;
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };
  // a free port, found by listening once; closed again so connections to it are refused
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  let server: Server | undefined;
  return {
    url: `http://127.0.0.1:${port}${target.pathname.replace(/\/$/, '')}`,
    get forwarded() {
      return forwarded;
    },
    async open() {
      if (server) return;
      const opened = createServer(handler);
      await new Promise<void>((resolve, reject) => {
        opened.once('error', reject);
        opened.listen(port, '127.0.0.1', () => resolve());
      });
      server = opened;
    },
    async close() {
      const closing = server;
      server = undefined;
      if (!closing) return;
      await new Promise<void>((resolve) => {
        closing.close(() => resolve());
        closing.closeAllConnections();
      });
    },
  };
}

/** The registry client as a service would get it, counting the decodes that failed (to tell retried outages from dead letters). */
export function countingFailedDecodes(client: SchemaRegistryClient): SchemaRegistryClient & { failedDecodes: number } {
  const counting = {
    failedDecodes: 0,
    register: client.register.bind(client),
    encode: client.encode.bind(client),
    compatibilityOf: client.compatibilityOf.bind(client),
    decode: (async (buffer, reader) => {
      try {
        return await client.decode(buffer, reader);
      } catch (error) {
        counting.failedDecodes += 1;
        throw error;
      }
    }) as SchemaRegistryClient['decode'],
  };
  return counting;
}
