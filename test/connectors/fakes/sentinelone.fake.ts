import type { FakeReply, FakeVendor } from './fake-server.js';

/** SentinelOne Management API v2.1 agents and their network actions. */
export interface S1Agent {
  id: string;
  computerName: string;
  networkStatus: 'connected' | 'connecting' | 'disconnected' | 'disconnecting';
}

export interface S1State {
  apiToken: string;
  agents: S1Agent[];
}

export const s1Error = (
  status: number,
  code: number,
  title: string,
  detail: string | null = null,
): FakeReply => ({
  status,
  body: { errors: [{ code, detail, title }] },
});

const API = '/web/api/v2.1';

export function sentineloneFake(state: S1State): FakeVendor {
  function act(body: unknown, to: S1Agent['networkStatus']): FakeReply {
    const ids = (body as { filter?: { ids?: unknown } } | undefined)?.filter?.ids;
    // An action without a filter would hit every agent of the account: the API demands one.
    if (!Array.isArray(ids) || ids.length === 0)
      return s1Error(400, 4000010, 'Validation Error', 'filter is required');
    const hit = state.agents.filter((a) => ids.includes(a.id));
    for (const a of hit) a.networkStatus = to;
    return { status: 200, body: { data: { affected: hit.length } } };
  }
  return {
    authorize(req) {
      if (req.headers.authorization !== `ApiToken ${state.apiToken}`)
        return s1Error(401, 4010010, 'Authentication Failed');
      return undefined;
    },
    notFound: () => s1Error(404, 4040010, 'Resource not found'),
    routes: [
      {
        method: 'GET',
        path: `${API}/system/status`,
        handle: () => ({ status: 200, body: { data: { health: 'ok' } } }),
      },
      {
        method: 'GET',
        path: `${API}/agents`,
        handle(req) {
          const ids = req.query.get('ids')?.split(',');
          const name = req.query.get('computerName');
          const data = state.agents.filter(
            (a) => (!ids || ids.includes(a.id)) && (!name || a.computerName === name),
          );
          return { status: 200, body: { data, pagination: { totalItems: data.length, nextCursor: null } } };
        },
      },
      {
        method: 'POST',
        path: `${API}/agents/actions/disconnect`,
        handle: (req) => act(req.json, 'disconnecting'),
      },
      { method: 'POST', path: `${API}/agents/actions/connect`, handle: (req) => act(req.json, 'connecting') },
    ],
  };
}
