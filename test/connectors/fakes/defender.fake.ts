import { randomUUID } from 'node:crypto';
import { audienceOf, isTokenRequest, microsoftTokenRoute, type MicrosoftTenant } from './entra.fake.js';
import type { FakeReply, FakeVendor } from './fake-server.js';

/** Defender for Endpoint as documented: machines, machine actions, indicators, advanced hunting. */
export interface DefenderMachine {
  id: string;
  computerDnsName: string;
}

export interface DefenderAction {
  id: string;
  type: string;
  status: string;
  machineId: string;
  computerDnsName: string;
  scope: string | null;
  requestorComment: string;
  creationDateTimeUtc: string;
}

export interface DefenderIndicator {
  id: string;
  indicatorValue: string;
  indicatorType: string;
  action: string;
  title: string;
  severity: string;
}

export interface DefenderState {
  tenant: MicrosoftTenant;
  machines: DefenderMachine[];
  actions: DefenderAction[];
  indicators: DefenderIndicator[];
  /** The last advanced-hunting query received, and the rows it answers. */
  lastQuery?: string;
  huntingRows: Array<Record<string, unknown>>;
}

const AUDIENCE = 'https://api.securitycenter.microsoft.com';

/** Defender's error body: `{ error: { code, message, target } }`. */
export const defenderError = (status: number, code: string, message: string): FakeReply => ({
  status,
  body: { error: { code, message, target: randomUUID() } },
});

let clock = Date.parse('2026-11-25T10:00:00Z');
const stamp = () => new Date((clock += 1000)).toISOString();

export function defenderFake(state: DefenderState): FakeVendor {
  const machine = (id: string) => state.machines.find((m) => m.id === id);

  function machineAction(machineId: string, type: string, body: unknown, scopeKey?: string): FakeReply {
    const m = machine(machineId);
    if (!m) return defenderError(404, 'ResourceNotFound', `Machine ${machineId} was not found`);
    const given = body as Record<string, unknown> | undefined;
    if (typeof given?.Comment !== 'string' || given.Comment === '') {
      return defenderError(400, 'InvalidRequestBody', 'Comment is required');
    }
    const active = state.actions.find(
      (a) =>
        a.machineId === machineId && a.type === type && (a.status === 'Pending' || a.status === 'InProgress'),
    );
    if (active)
      return defenderError(
        400,
        'ActiveRequestAlreadyExists',
        `Action ${type} is already pending for this machine`,
      );
    const scope = scopeKey ? ((given[scopeKey] as string | undefined) ?? null) : null;
    if (scopeKey === 'IsolationType' && scope !== null && scope !== 'Full' && scope !== 'Selective') {
      return defenderError(400, 'InvalidRequestBody', `IsolationType '${scope}' is not valid`);
    }
    const action: DefenderAction = {
      id: randomUUID(),
      type,
      status: 'Pending',
      machineId,
      computerDnsName: m.computerDnsName,
      scope,
      requestorComment: given.Comment,
      creationDateTimeUtc: stamp(),
    };
    state.actions.push(action);
    return {
      status: 201,
      body: { '@odata.context': `${AUDIENCE}/api/$metadata#MachineActions/$entity`, ...action },
    };
  }

  return {
    authorize(req) {
      if (isTokenRequest(req)) return undefined;
      if (audienceOf(state.tenant, req) !== AUDIENCE)
        return defenderError(401, 'Unauthorized', 'Authorization has been denied for this request.');
      if (req.method === 'POST' && !String(req.headers['content-type']).startsWith('application/json')) {
        return defenderError(415, 'UnsupportedMediaType', 'Content-Type must be application/json');
      }
      return undefined;
    },
    notFound: (req) => defenderError(404, 'ResourceNotFound', `No route for ${req.method} ${req.path}`),
    routes: [
      microsoftTokenRoute(state.tenant),
      {
        method: 'GET',
        path: '/api/machines',
        handle(req) {
          const filter = req.query.get('$filter');
          const m = filter ? /^computerDnsName eq '([^']*)'$/.exec(filter) : null;
          if (filter && !m) return defenderError(400, 'InvalidODataQuery', `Invalid filter: ${filter}`);
          const value = state.machines.filter((x) => !m || x.computerDnsName === m[1]);
          return { status: 200, body: { '@odata.context': `${AUDIENCE}/api/$metadata#Machines`, value } };
        },
      },
      {
        method: 'GET',
        path: /^\/api\/machines\/([0-9a-f]{40})$/,
        handle(req, [id = '']) {
          const m = machine(id);
          return m
            ? { status: 200, body: m }
            : defenderError(404, 'ResourceNotFound', `Machine ${id} was not found`);
        },
      },
      {
        method: 'GET',
        path: '/api/machineactions',
        handle(req) {
          const m = /^machineId eq '([0-9a-f]{40})'$/.exec(req.query.get('$filter') ?? '');
          if (!m) return defenderError(400, 'InvalidODataQuery', 'Invalid filter');
          return { status: 200, body: { value: state.actions.filter((a) => a.machineId === m[1]) } };
        },
      },
      {
        method: 'POST',
        path: /^\/api\/machines\/([0-9a-f]{40})\/isolate$/,
        handle: (req, [id = '']) => machineAction(id, 'Isolate', req.json, 'IsolationType'),
      },
      {
        method: 'POST',
        path: /^\/api\/machines\/([0-9a-f]{40})\/unisolate$/,
        handle: (req, [id = '']) => machineAction(id, 'Unisolate', req.json),
      },
      {
        method: 'POST',
        path: /^\/api\/machines\/([0-9a-f]{40})\/runAntiVirusScan$/,
        handle: (req, [id = '']) => machineAction(id, 'RunAntiVirusScan', req.json, 'ScanType'),
      },
      {
        method: 'GET',
        path: '/api/indicators',
        handle(req) {
          const m = /^indicatorValue eq '([^']*)'$/.exec(req.query.get('$filter') ?? '');
          return {
            status: 200,
            body: { value: state.indicators.filter((i) => !m || i.indicatorValue === m[1]) },
          };
        },
      },
      {
        method: 'POST',
        path: '/api/indicators',
        handle(req) {
          const b = req.json as Record<string, unknown> | undefined;
          for (const field of ['indicatorValue', 'indicatorType', 'action', 'title', 'description']) {
            if (typeof b?.[field] !== 'string')
              return defenderError(400, 'InvalidRequestBody', `${field} is required`);
          }
          const body = b as Record<string, string>;
          // Submit or update: one indicator per value and type.
          let indicator = state.indicators.find(
            (i) => i.indicatorValue === body.indicatorValue && i.indicatorType === body.indicatorType,
          );
          if (!indicator) {
            indicator = {
              id: String(990 + state.indicators.length + 1),
              indicatorValue: '',
              indicatorType: '',
              action: '',
              title: '',
              severity: '',
            };
            state.indicators.push(indicator);
          }
          Object.assign(indicator, {
            indicatorValue: body.indicatorValue,
            indicatorType: body.indicatorType,
            action: body.action,
            title: body.title,
            severity: body.severity ?? 'Informational',
          });
          return {
            status: 200,
            body: { '@odata.context': `${AUDIENCE}/api/$metadata#Indicators/$entity`, ...indicator },
          };
        },
      },
      {
        method: 'DELETE',
        path: /^\/api\/indicators\/(\d+)$/,
        handle(req, [id]) {
          const before = state.indicators.length;
          state.indicators = state.indicators.filter((i) => i.id !== id);
          return before === state.indicators.length
            ? defenderError(404, 'ResourceNotFound', `Indicator ${id} was not found`)
            : { status: 204 };
        },
      },
      {
        method: 'POST',
        path: '/api/advancedqueries/run',
        handle(req) {
          const query = (req.json as { Query?: unknown } | undefined)?.Query;
          if (typeof query !== 'string' || query === '')
            return defenderError(400, 'InvalidRequestBody', 'Query is required');
          state.lastQuery = query;
          const columns = Object.keys(state.huntingRows[0] ?? {});
          return {
            status: 200,
            body: {
              Stats: { ExecutionTime: 0.1 },
              Schema: columns.map((Name) => ({ Name, Type: 'String' })),
              Results: state.huntingRows,
            },
          };
        },
      },
    ],
  };
}
