import type { FakeReply, FakeVendor, SeenRequest } from './fake-server.js';

/** FortiOS REST API v2: cmdb firewall address / addrgrp (with its member sub-table) and banned users. */
export interface FortiState {
  apiKey: string;
  vdom: string;
  addresses: Map<string, { name: string; type: string; subnet: string; comment: string }>;
  groups: Map<string, string[]>;
  banned: Map<string, number>;
}

const envelope = (req: SeenRequest, status: number, extra: Record<string, unknown> = {}): FakeReply => ({
  status,
  body: {
    http_method: req.method,
    revision: '1e2a0c1',
    vdom: req.query.get('vdom'),
    path: req.path.split('/').slice(4, 6).join('/'),
    status: status < 300 ? 'success' : 'error',
    http_status: status,
    serial: 'FGVM02TM20000000',
    version: 'v7.4.3',
    build: 2573,
    ...extra,
  },
});

const decode = (s = '') => decodeURIComponent(s);

export function fortigateFake(state: FortiState): FakeVendor {
  return {
    authorize(req) {
      // FortiOS answers a bad token with an empty 401.
      if (req.headers.authorization !== `Bearer ${state.apiKey}`) return { status: 401, body: '' };
      if (req.query.get('vdom') !== state.vdom) return envelope(req, 403, { error: -37 });
      return undefined;
    },
    notFound: (req) => envelope(req, 404),
    routes: [
      {
        method: 'GET',
        path: '/api/v2/monitor/system/status',
        handle: (req) => envelope(req, 200, { results: { model_name: 'FortiGate' } }),
      },
      {
        method: 'GET',
        path: /^\/api\/v2\/cmdb\/firewall\/address\/([^/]+)$/,
        handle(req, [name]) {
          const a = state.addresses.get(decode(name));
          return a ? envelope(req, 200, { results: [a] }) : envelope(req, 404);
        },
      },
      {
        method: 'POST',
        path: '/api/v2/cmdb/firewall/address',
        handle(req) {
          const b = req.json as
            { name?: unknown; subnet?: unknown; type?: unknown; comment?: unknown } | undefined;
          if (
            typeof b?.name !== 'string' ||
            typeof b.subnet !== 'string' ||
            !/^[\d.]+ [\d.]+$/.test(b.subnet)
          ) {
            return envelope(req, 500, { error: -651, cli_error: 'invalid subnet' });
          }
          // Duplicate names: FortiOS answers 500 with error -5 (entry already exists).
          if (state.addresses.has(b.name)) return envelope(req, 500, { error: -5 });
          state.addresses.set(b.name, {
            name: b.name,
            type: String(b.type),
            subnet: b.subnet,
            comment: String(b.comment ?? ''),
          });
          return envelope(req, 200, { mkey: b.name });
        },
      },
      {
        method: 'DELETE',
        path: /^\/api\/v2\/cmdb\/firewall\/address\/([^/]+)$/,
        handle(req, [raw]) {
          const name = decode(raw);
          if (!state.addresses.has(name)) return envelope(req, 404);
          // An address still in a group cannot be deleted: error -23 (entry is used).
          if ([...state.groups.values()].some((m) => m.includes(name)))
            return envelope(req, 500, { error: -23 });
          state.addresses.delete(name);
          return envelope(req, 200, { mkey: name });
        },
      },
      {
        method: 'GET',
        path: /^\/api\/v2\/cmdb\/firewall\/addrgrp\/([^/]+)$/,
        handle(req, [name]) {
          const members = state.groups.get(decode(name));
          return members
            ? envelope(req, 200, {
                results: [{ name: decode(name), member: members.map((m) => ({ name: m, q_origin_key: m })) }],
              })
            : envelope(req, 404);
        },
      },
      {
        method: 'POST',
        path: /^\/api\/v2\/cmdb\/firewall\/addrgrp\/([^/]+)\/member$/,
        handle(req, [group]) {
          const members = state.groups.get(decode(group));
          const name = (req.json as { name?: unknown } | undefined)?.name;
          if (!members) return envelope(req, 404);
          if (typeof name !== 'string' || !state.addresses.has(name))
            return envelope(req, 500, { error: -3 });
          if (members.includes(name)) return envelope(req, 500, { error: -5 });
          members.push(name);
          return envelope(req, 200, { mkey: name });
        },
      },
      {
        method: 'DELETE',
        path: /^\/api\/v2\/cmdb\/firewall\/addrgrp\/([^/]+)\/member\/([^/]+)$/,
        handle(req, [group, raw]) {
          const members = state.groups.get(decode(group));
          const name = decode(raw);
          if (!members || !members.includes(name)) return envelope(req, 404);
          members.splice(members.indexOf(name), 1);
          return envelope(req, 200, { mkey: name });
        },
      },
      {
        method: 'GET',
        path: '/api/v2/monitor/user/banned',
        handle: (req) =>
          envelope(req, 200, {
            results: [...state.banned.entries()].map(([ipv4, expires]) => ({ ipv4, expires, source: 'ips' })),
          }),
      },
      {
        method: 'POST',
        path: '/api/v2/monitor/user/banned/add_users',
        handle(req) {
          const b = req.json as { ip_addresses?: unknown; expiry?: unknown } | undefined;
          if (!Array.isArray(b?.ip_addresses) || typeof b.expiry !== 'number')
            return envelope(req, 400, { error: -1 });
          for (const ip of b.ip_addresses as string[]) state.banned.set(ip, b.expiry);
          return envelope(req, 200);
        },
      },
      {
        method: 'POST',
        path: '/api/v2/monitor/user/banned/clear_users',
        handle(req) {
          const ips = (req.json as { ip_addresses?: unknown } | undefined)?.ip_addresses;
          if (!Array.isArray(ips)) return envelope(req, 400, { error: -1 });
          for (const ip of ips as string[]) state.banned.delete(ip);
          return envelope(req, 200);
        },
      },
    ],
  };
}
