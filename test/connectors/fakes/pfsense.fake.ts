import type { FakeReply, FakeVendor } from './fake-server.js';

/** pfSense REST API v2 (pfrest) aliases: X-API-Key auth, the `{ code, status, response_id, message, data }` envelope. */
export interface PfsenseState {
  apiKey: string;
  aliases: Array<{
    id: number;
    name: string;
    type: 'host' | 'network' | 'port';
    address: string[];
    detail: string[];
  }>;
  /** Changes written but not yet applied (pfSense shows "apply changes" until POST /firewall/apply). */
  pending: boolean;
  applied: number;
}

const envelope = (
  code: number,
  status: string,
  responseId: string,
  data: unknown,
  message = '',
): FakeReply => ({
  status: code,
  body: { code, status, response_id: responseId, message, data },
});

export function pfsenseFake(state: PfsenseState): FakeVendor {
  return {
    authorize(req) {
      return req.headers['x-api-key'] === state.apiKey
        ? undefined
        : envelope(401, 'unauthorized', 'AUTH_AUTHENTICATION_FAILED', [], 'Authentication failed.');
    },
    notFound: () => envelope(404, 'not found', 'ENDPOINT_NOT_FOUND', [], 'Endpoint not found.'),
    routes: [
      {
        method: 'GET',
        path: '/api/v2/firewall/aliases',
        handle(req) {
          const name = req.query.get('name');
          const data = state.aliases.filter((a) => name === null || a.name === name);
          return envelope(200, 'ok', 'SUCCESS', data);
        },
      },
      {
        method: 'PATCH',
        path: '/api/v2/firewall/alias',
        handle(req) {
          if (req.headers['content-type'] !== 'application/json')
            return envelope(415, 'unsupported media type', 'CONTENT_TYPE_UNSUPPORTED', []);
          const body = req.json as { id?: unknown; address?: unknown; detail?: unknown };
          const alias = state.aliases.find((a) => a.id === body.id);
          if (!alias)
            return envelope(
              404,
              'not found',
              'MODEL_OBJECT_NOT_FOUND',
              [],
              `Object with ID ${String(body.id)} does not exist.`,
            );
          const address = body.address;
          const detail = body.detail;
          if (!Array.isArray(address) || !Array.isArray(detail) || detail.length > address.length)
            return envelope(
              400,
              'bad request',
              'FIELD_INVALID',
              [],
              'Field `address` must be a list; `detail` may not outnumber it.',
            );
          alias.address = address.map(String);
          alias.detail = detail.map(String);
          state.pending = true;
          return envelope(200, 'ok', 'SUCCESS', alias);
        },
      },
      {
        method: 'POST',
        path: '/api/v2/firewall/apply',
        handle() {
          state.applied++;
          state.pending = false;
          return envelope(200, 'ok', 'SUCCESS', { applied: true, pending_subsystems: [] });
        },
      },
    ],
  };
}
