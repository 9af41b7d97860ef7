import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the fake vendor received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
  /** Bytes of filler to send (for the response size cap). */
  filler?: number;
  /** Never answer (for timeouts). */
  hang?: boolean;
}

export type FakeHandler = (req: RecordedRequest) => FakeReply | Promise<FakeReply>;

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  setHandler(handler: FakeHandler): void;
  close(): Promise<void>;
}

/** A vendor stand-in on 127.0.0.1: records every request and answers what the handler says. */
export async function startFakeServer(handler: FakeHandler): Promise<FakeServer> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      void Promise.resolve(current(recorded)).then((reply) => {
        if (reply.hang) return;
        const isText = typeof reply.body === 'string';
        const headers = { 'content-type': isText ? 'text/plain' : 'application/json', ...reply.headers };
        res.writeHead(reply.status ?? 200, headers);
        if (reply.filler) res.end('x'.repeat(reply.filler));
        else
          res.end(
            reply.body === undefined ? '' : isText ? (reply.body as string) : JSON.stringify(reply.body),
          );
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setHandler(h) {
      current = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The standard refusal vendors answer for a missing or wrong key. */
export const unauthorized = (body: unknown = { error: 'unauthorized' }): FakeReply => ({ status: 401, body });
