import type { FakeVendor } from './fake-server.js';

/** OPNsense firewall/alias_util on External aliases, with Basic key:secret auth. */
export interface OpnsenseState {
  apiKey: string;
  apiSecret: string;
  /** Alias name → type and live table entries. */
  aliases: Map<string, { type: 'external' | 'host'; entries: string[] }>;
}

export function opnsenseFake(state: OpnsenseState): FakeVendor {
  const external = (name = '') => {
    const alias = state.aliases.get(name);
    return alias?.type === 'external' ? alias : undefined;
  };
  return {
    authorize(req) {
      const expected = `Basic ${Buffer.from(`${state.apiKey}:${state.apiSecret}`).toString('base64')}`;
      return req.headers.authorization === expected
        ? undefined
        : { status: 401, body: { status: 401, message: 'Authentication Failed' } };
    },
    notFound: () => ({ status: 404, body: { errorMessage: 'Endpoint not found', errorTitle: 'Error' } }),
    routes: [
      {
        method: 'GET',
        path: /^\/api\/firewall\/alias_util\/list\/(\w+)$/,
        handle(req, [name]) {
          const rows = (state.aliases.get(name ?? '')?.entries ?? []).map((ip) => ({ ip }));
          return { status: 200, body: { total: rows.length, rowCount: rows.length, current: 1, rows } };
        },
      },
      {
        method: 'POST',
        path: /^\/api\/firewall\/alias_util\/(add|delete)\/(\w+)$/,
        handle(req, [verb, name]) {
          const address = (req.json as { address?: unknown } | undefined)?.address;
          const alias = external(name);
          if (!alias || typeof address !== 'string') return { status: 200, body: { status: 'failed' } };
          if (verb === 'add' && !alias.entries.includes(address)) alias.entries.push(address);
          if (verb === 'delete') alias.entries = alias.entries.filter((e) => e !== address);
          return { status: 200, body: { status: 'done' } };
        },
      },
    ],
  };
}
