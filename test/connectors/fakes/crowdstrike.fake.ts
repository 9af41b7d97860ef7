import { randomUUID } from 'node:crypto';
import type { FakeReply, FakeVendor, SeenRequest } from './fake-server.js';

/**
 * CrowdStrike Falcon as documented (OAuth2 token, Hosts, IOC Management, Alerts): every answer uses the
 * `{ meta, resources, errors }` envelope, errors as `{ code, message }` entries.
 */
export interface FalconDevice {
  device_id: string;
  hostname: string;
  status: 'normal' | 'containment_pending' | 'contained' | 'lift_containment_pending';
}

export interface FalconIoc {
  id: string;
  type: string;
  value: string;
  action: string;
  severity: string;
  applied_globally: boolean;
  platforms: string[];
}

export interface FalconState {
  clientId: string;
  clientSecret: string;
  devices: FalconDevice[];
  iocs: FalconIoc[];
  /** Indicator value → ids of devices that observed it. */
  sightings: Record<string, string[]>;
  alerts: Array<{
    composite_id: string;
    severity: number;
    status: string;
    device: { device_id: string; hostname: string };
  }>;
  tokens: Set<string>;
}

const envelope = (
  status: number,
  resources: unknown[],
  errors: Array<{ code: number; message: string }> = [],
): FakeReply => ({
  status,
  body: { meta: { query_time: 0.01, powered_by: 'fake-falcon', trace_id: randomUUID() }, resources, errors },
});
const error = (status: number, message: string): FakeReply =>
  envelope(status, [], [{ code: status, message }]);

/** Parses the FQL the connector sends: `field:'value'` terms joined by `+`. */
function fqlTerms(filter: string | null): Record<string, string> {
  const terms: Record<string, string> = {};
  for (const part of (filter ?? '').split('+')) {
    const m = /^([\w.]+):'([^']*)'$/.exec(part);
    if (m) terms[m[1] as string] = m[2] as string;
  }
  return terms;
}

export function crowdstrikeFake(state: FalconState): FakeVendor {
  const bearerOk = (req: SeenRequest) => {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    return m !== null && state.tokens.has(m[1] as string);
  };
  return {
    authorize(req) {
      if (req.path === '/oauth2/token') return undefined;
      return bearerOk(req) ? undefined : error(401, 'access denied, invalid bearer token');
    },
    notFound: (req) => error(404, `no route for ${req.method} ${req.path}`),
    routes: [
      {
        method: 'POST',
        path: '/oauth2/token',
        handle(req) {
          if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
            return error(400, 'token request must be form-encoded');
          }
          if (
            req.form.get('client_id') !== state.clientId ||
            req.form.get('client_secret') !== state.clientSecret
          ) {
            return error(403, 'access denied, authorization failed');
          }
          const token = randomUUID();
          state.tokens.add(token);
          return { status: 201, body: { access_token: token, token_type: 'bearer', expires_in: 1799 } };
        },
      },
      {
        method: 'GET',
        path: '/devices/queries/devices/v1',
        handle(req) {
          const { hostname } = fqlTerms(req.query.get('filter'));
          const limit = Number(req.query.get('limit') ?? 100);
          const found = state.devices.filter((d) => hostname === undefined || d.hostname === hostname);
          return envelope(
            200,
            found.slice(0, limit).map((d) => d.device_id),
          );
        },
      },
      {
        method: 'GET',
        path: '/devices/entities/devices/v2',
        handle(req) {
          const ids = req.query.getAll('ids');
          if (ids.length === 0) return error(400, 'ids is required');
          return envelope(
            200,
            state.devices.filter((d) => ids.includes(d.device_id)),
          );
        },
      },
      {
        method: 'POST',
        path: '/devices/entities/devices-actions/v2',
        handle(req) {
          const action = req.query.get('action_name');
          const body = req.json as { ids?: unknown } | undefined;
          if (action !== 'contain' && action !== 'lift_containment') return error(400, 'invalid action_name');
          if (!Array.isArray(body?.ids) || body.ids.length === 0)
            return error(400, 'ids are required in the body');
          const resources = [];
          for (const id of body.ids as string[]) {
            const device = state.devices.find((d) => d.device_id === id);
            if (!device) return error(404, `device ${id} not found`);
            device.status = action === 'contain' ? 'containment_pending' : 'lift_containment_pending';
            resources.push({ id, path: '' });
          }
          return envelope(202, resources);
        },
      },
      {
        method: 'GET',
        path: '/iocs/combined/indicator/v1',
        handle(req) {
          const { type, value } = fqlTerms(req.query.get('filter'));
          return envelope(
            200,
            state.iocs.filter((i) => (!type || i.type === type) && (!value || i.value === value)),
          );
        },
      },
      {
        method: 'POST',
        path: '/iocs/entities/indicators/v1',
        handle(req) {
          const body = req.json as { indicators?: Array<Record<string, unknown>> } | undefined;
          const given = body?.indicators?.[0];
          if (
            !given ||
            typeof given.type !== 'string' ||
            typeof given.value !== 'string' ||
            typeof given.action !== 'string'
          ) {
            return error(400, 'indicators[0] needs type, value and action');
          }
          if (given.applied_globally !== true && !Array.isArray(given.host_groups)) {
            return error(400, 'applied_globally or host_groups is required');
          }
          if (['ipv4', 'ipv6', 'domain'].includes(given.type) && given.action === 'prevent') {
            return error(400, `action 'prevent' is not supported for type ${given.type}`);
          }
          if (state.iocs.some((i) => i.type === given.type && i.value === given.value)) {
            return error(409, 'Duplicate type: ioc already exists');
          }
          const ioc: FalconIoc = {
            id: randomUUID().replace(/-/g, ''),
            type: given.type,
            value: given.value,
            action: given.action,
            severity: String(given.severity),
            applied_globally: true,
            platforms: given.platforms as string[],
          };
          state.iocs.push(ioc);
          return envelope(201, [ioc]);
        },
      },
      {
        method: 'PATCH',
        path: '/iocs/entities/indicators/v1',
        handle(req) {
          const given = (req.json as { indicators?: Array<Record<string, unknown>> } | undefined)
            ?.indicators?.[0];
          const ioc = state.iocs.find((i) => i.id === given?.id);
          if (!given || !ioc) return error(404, 'indicator not found');
          ioc.action = String(given.action);
          return envelope(200, [ioc]);
        },
      },
      {
        method: 'DELETE',
        path: '/iocs/entities/indicators/v1',
        handle(req) {
          const ids = req.query.getAll('ids');
          const before = state.iocs.length;
          state.iocs = state.iocs.filter((i) => !ids.includes(i.id));
          return before === state.iocs.length ? error(404, 'indicator not found') : envelope(200, ids);
        },
      },
      {
        method: 'GET',
        path: '/indicators/queries/devices/v1',
        handle(req) {
          const type = req.query.get('type');
          const value = req.query.get('value') ?? '';
          if (!type || !value) return error(400, 'type and value are required');
          const ids = state.sightings[value] ?? [];
          if (ids.length === 0) return error(404, `No results found for type ${type} and value ${value}`);
          return {
            status: 200,
            body: {
              meta: { pagination: { offset: '', limit: 100, total: ids.length } },
              resources: ids,
              errors: [],
            },
          };
        },
      },
      {
        method: 'GET',
        path: '/alerts/queries/alerts/v2',
        handle(req) {
          const { 'device.hostname': hostname } = fqlTerms(req.query.get('filter'));
          return envelope(
            200,
            state.alerts
              .filter((a) => !hostname || a.device.hostname === hostname)
              .map((a) => a.composite_id),
          );
        },
      },
      {
        method: 'POST',
        path: '/alerts/entities/alerts/v2',
        handle(req) {
          const ids = (req.json as { composite_ids?: string[] } | undefined)?.composite_ids;
          if (!Array.isArray(ids)) return error(400, 'composite_ids is required');
          return envelope(
            200,
            state.alerts.filter((a) => ids.includes(a.composite_id)),
          );
        },
      },
    ],
  };
}
