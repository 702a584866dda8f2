import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback in front of PostgreSQL that a test can cut (connections closed, new ones refused, as
 * an outage) or freeze (connections stay open but nothing is forwarded either way, as a stalled server or a
 * partitioned network), and restore.
 */
export function createDbProxy(target: URL) {
  const sockets = new Set<Socket>();
  const held: (() => void)[] = [];
  let server: Server | undefined;
  let port = 0;
  let frozen = false;

  const forward = (from: Socket, to: Socket) =>
    from.on('data', (chunk: Buffer) => {
      if (frozen) held.push(() => to.write(chunk));
      else to.write(chunk);
    });

  const open = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(Number(target.port || 5432), target.hostname);
        sockets.add(client).add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        forward(client, upstream);
        forward(upstream, client);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });

  const cut = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      held.length = 0;
      server!.close(() => resolve());
    });

  /** Stops forwarding; connections (and new ones) stay open, bytes wait. */
  const freeze = () => {
    frozen = true;
  };
  /** Forwards what waited, then everything again. */
  const thaw = () => {
    frozen = false;
    for (const send of held.splice(0)) send();
  };

  /** The target URL with the proxy's address in place of the server's. */
  const url = () => {
    const via = new URL(target.toString());
    via.hostname = '127.0.0.1';
    via.port = String(port);
    return via.toString();
  };

  return { open, cut, freeze, thaw, url, port: () => port };
}
