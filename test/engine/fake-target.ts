import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A target that honours idempotency keys: the first request with a key has the effect, later ones with the
 * same key are answered from memory and counted as duplicates sent.
 */
export interface FakeTarget {
  url: string;
  effects: Map<string, number>;
  duplicates: () => number;
  close(): Promise<void>;
}

export async function startFakeTarget(options: { delayMs?: () => number } = {}): Promise<FakeTarget> {
  const effects = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const key = String(req.headers['idempotency-key'] ?? '');
      const reply = () => {
        if (!key) {
          res.writeHead(400).end('{"error":"no key"}');
          return;
        }
        effects.set(key, (effects.get(key) ?? 0) + 1);
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ok: true, key, size: body.length }));
      };
      const delay = options.delayMs?.() ?? 0;
      if (delay > 0) setTimeout(reply, delay);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    effects,
    duplicates: () => [...effects.values()].reduce((a, n) => a + n - 1, 0),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
