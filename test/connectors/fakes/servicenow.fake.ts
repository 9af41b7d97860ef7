import {
  basicAuth,
  startFakeServer,
  type FakeReply,
  type FakeServer,
  type RecordedRequest,
} from './fake-server.js';

/** The Table API's documented error body. */
const snError = (status: number, message: string, detail: string): FakeReply => ({
  status,
  body: { error: { message, detail }, status: 'failure' },
});

type SnRecord = Record<string, string>;

export interface ServiceNowFake extends FakeServer {
  tables: Record<string, SnRecord[]>;
  tokensIssued: number;
  revokeTokens(): void;
}

const PREFIX: Record<string, string> = { incident: 'INC', change_request: 'CHG' };

function matches(record: SnRecord, query: string | null): boolean {
  if (!query) return true;
  return query.split('^').every((clause) => {
    const [field, value] = clause.split('=');
    return field !== undefined && record[field] === value;
  });
}

const pick = (record: SnRecord, fields: string | null): SnRecord =>
  fields ? Object.fromEntries(fields.split(',').map((f) => [f, record[f] ?? ''])) : record;

/** A ServiceNow instance: Table API on incident and change_request, Basic auth and OAuth client credentials. */
export async function startServiceNowFake(creds: {
  username: string;
  password: string;
  clientId: string;
  clientSecret: string;
}): Promise<ServiceNowFake> {
  const tables: Record<string, SnRecord[]> = { incident: [], change_request: [] };
  const validTokens = new Set<string>();
  let counter = 0;
  const state = { tokensIssued: 0 };

  function authorised(req: RecordedRequest): boolean {
    const auth = req.headers.authorization ?? '';
    if (auth === basicAuth(creds.username, creds.password)) return true;
    return auth.startsWith('Bearer ') && validTokens.has(auth.slice(7));
  }

  function handle(req: RecordedRequest): FakeReply {
    if (req.path === '/oauth_token.do' && req.method === 'POST') {
      const form = new URLSearchParams(req.body);
      if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
        return { status: 400, body: { error: 'invalid_request', error_description: 'form body expected' } };
      }
      if (form.get('grant_type') !== 'client_credentials')
        return { status: 400, body: { error: 'unsupported_grant_type' } };
      if (form.get('client_id') !== creds.clientId || form.get('client_secret') !== creds.clientSecret) {
        return { status: 401, body: { error: 'access_denied', error_description: 'access_denied' } };
      }
      const token = `tok-${++state.tokensIssued}-abcdefgh`;
      validTokens.add(token);
      return {
        status: 200,
        body: { access_token: token, scope: 'useraccount', token_type: 'Bearer', expires_in: 1799 },
      };
    }
    if (!authorised(req))
      return snError(401, 'User Not Authenticated', 'Required to provide Auth information');
    if (req.headers.accept !== 'application/json')
      return snError(406, 'Invalid Accept header', 'application/json expected');
    const m = /^\/api\/now\/table\/(incident|change_request)(?:\/([0-9a-f]{32}))?$/.exec(req.path);
    if (!m?.[1]) return snError(400, 'Invalid table', `No table at ${req.path}`);
    const table = tables[m[1]] ?? [];
    const fields = req.query.get('sysparm_fields');
    if (req.method === 'GET' && !m[2]) {
      const limit = Number(req.query.get('sysparm_limit') ?? 10_000);
      return {
        status: 200,
        body: {
          result: table
            .filter((r) => matches(r, req.query.get('sysparm_query')))
            .slice(0, limit)
            .map((r) => pick(r, fields)),
        },
      };
    }
    if (req.method === 'POST' && !m[2]) {
      const body = req.json as Record<string, unknown> | undefined;
      if (!body || typeof body !== 'object')
        return snError(400, 'Exception while reading request', 'The payload is not valid JSON.');
      const sysId = (++counter).toString(16).padStart(32, '0');
      const record: SnRecord = {
        state: '1',
        ...Object.fromEntries(Object.entries(body).map(([k, v]) => [k, String(v)])),
        sys_id: sysId,
        number: `${PREFIX[m[1]]}00100${counter}`,
      };
      table.push(record);
      return { status: 201, body: { result: pick(record, fields) } };
    }
    if (req.method === 'PATCH' && m[2]) {
      const record = table.find((r) => r.sys_id === m[2]);
      if (!record)
        return snError(404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");
      for (const [k, v] of Object.entries((req.json ?? {}) as Record<string, unknown>)) record[k] = String(v);
      return { status: 200, body: { result: pick(record, fields) } };
    }
    return snError(405, 'Method not Supported', `${req.method} is not supported on ${req.path}`);
  }

  const server = await startFakeServer(handle);
  return {
    ...server,
    tables,
    get tokensIssued() {
      return state.tokensIssued;
    },
    revokeTokens() {
      validTokens.clear();
    },
  };
}
