import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the fake vendor received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: unknown;
  /** The body parsed as a form; empty when it is not one. */
  form: URLSearchParams;
}
/** The name the vendor fakes of the network, EDR and identity connectors use. */
export type SeenRequest = RecordedRequest;

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is (text/plain unless a content-type header says otherwise). */
  body?: unknown;
  /** Bytes of filler to send (for the response size cap). */
  filler?: number;
  /** Never answer (for timeouts). */
  hang?: boolean;
}

export type FakeHandler = (req: RecordedRequest) => FakeReply | Promise<FakeReply>;

/** A vendor stand-in on 127.0.0.1. */
export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  setHandler(handler: FakeHandler): void;
  /** Requests other than reads and token requests: what a query-first action must not repeat. */
  mutations(): RecordedRequest[];
  /**
   * The next request (or the next one `when` matches) is answered with this reply instead (a 429, a 503…),
   * before the handler sees it.
   */
  failNext(reply: FakeReply, when?: (req: RecordedRequest) => boolean): void;
  close(): Promise<void>;
}

const parseJson = (text: string): unknown => {
  try {
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
};

/**
 * A vendor stand-in on 127.0.0.1: records every request and answers what the handler says. A handler that
 * throws answers 500 rather than hanging the test.
 */
export async function startFakeServer(handler: FakeHandler): Promise<FakeServer> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const overrides: Array<{ reply: FakeReply; when: (req: RecordedRequest) => boolean }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const body = Buffer.concat(chunks).toString('utf8');
      const isForm = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        json: parseJson(body),
        form: new URLSearchParams(isForm ? body : ''),
      };
      requests.push(recorded);
      const at = overrides.findIndex((o) => o.when(recorded));
      const override = at >= 0 ? overrides.splice(at, 1)[0]?.reply : undefined;
      void (async () => (override ? override : current(recorded)))().then(
        (reply) => {
          if (reply.hang) return;
          const isText = typeof reply.body === 'string';
          const headers = { 'content-type': isText ? 'text/plain' : 'application/json', ...reply.headers };
          res.writeHead(reply.status ?? 200, headers);
          if (reply.filler) res.end('x'.repeat(reply.filler));
          else
            res.end(
              reply.body === undefined ? '' : isText ? (reply.body as string) : JSON.stringify(reply.body),
            );
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`fake server bug: ${String(err)}`);
        },
      );
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
    mutations: () => requests.filter((r) => r.method !== 'GET' && !r.path.includes('token')),
    failNext: (reply, when = () => true) => overrides.push({ reply, when }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface FakeRoute {
  method: string;
  /** Exact path, or a pattern whose groups are passed to the handler. */
  path: string | RegExp;
  handle(req: RecordedRequest, params: string[]): FakeReply | Promise<FakeReply>;
}

/** A vendor described as a route table, its credential check and its answer to an unknown path. */
export interface FakeVendor {
  routes: FakeRoute[];
  /** Checked before routing: a reply refuses the request (wrong or missing credentials). */
  authorize?(req: RecordedRequest): FakeReply | undefined;
  /** The vendor's answer to a path or method it does not have. */
  notFound(req: RecordedRequest): FakeReply;
}

function answer(vendor: FakeVendor, req: RecordedRequest): FakeReply | Promise<FakeReply> {
  const refused = vendor.authorize?.(req);
  if (refused) return refused;
  for (const route of vendor.routes) {
    if (route.method !== req.method) continue;
    if (typeof route.path === 'string') {
      if (route.path === req.path) return route.handle(req, []);
      continue;
    }
    const match = route.path.exec(req.path);
    if (match) return route.handle(req, match.slice(1).map(decodeURIComponent));
  }
  return vendor.notFound(req);
}

/** A fake server answering from a vendor's route table. */
export const startFakeVendor = (vendor: FakeVendor): Promise<FakeServer> =>
  startFakeServer((req) => answer(vendor, req));

/** The standard refusal vendors answer for a missing or wrong key. */
export const unauthorized = (body: unknown = { error: 'unauthorized' }): FakeReply => ({ status: 401, body });

/** Basic credentials as the `Authorization` header carries them. */
export const basicAuth = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
