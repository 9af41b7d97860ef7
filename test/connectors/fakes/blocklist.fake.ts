import type { FakeHandler } from './fake-server.js';

/** The generic REST block list: GET/PUT/DELETE /blocklist/{entry} with a bearer token. */
export function blocklistFake(options: { token: string; entries: Set<string> }): FakeHandler {
  return (req) => {
    if (req.headers.authorization !== `Bearer ${options.token}`)
      return { status: 401, body: { error: 'bad token' } };
    if (req.path === '/blocklist' && req.method === 'GET') return { body: { entries: [...options.entries] } };
    const m = /^\/blocklist\/(.+)$/.exec(req.path);
    if (!m) return { status: 404, body: { error: 'no route' } };
    const entry = decodeURIComponent(m[1] ?? '');
    if (req.method === 'GET')
      return options.entries.has(entry) ? { body: { entry } } : { status: 404, body: { error: 'absent' } };
    if (req.method === 'PUT') {
      options.entries.add(entry);
      return { status: 201, body: { entry } };
    }
    if (req.method === 'DELETE')
      return options.entries.delete(entry) ? { status: 204 } : { status: 404, body: { error: 'absent' } };
    return { status: 405, body: { error: 'method' } };
  };
}
