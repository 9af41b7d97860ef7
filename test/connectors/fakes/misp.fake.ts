import type { FakeHandler } from './fake-server.js';

/**
 * MISP REST API as documented: POST /attributes/restSearch and POST /sightings/add with JSON bodies, the
 * auth key in `Authorization`, `Accept` and `Content-Type: application/json`. Search answers
 * `{ response: { Attribute: [...] } }`; a bad key 403 `{ name, message, url }`.
 */
export function mispFake(options: {
  apiKey: string;
  attributes: Array<{ value: string; type: string; to_ids: boolean; event_id: string }>;
}): FakeHandler {
  return (req) => {
    if (req.headers.authorization !== options.apiKey) {
      return {
        status: 403,
        body: {
          name: 'Authentication failed. Please make sure you pass the API key of an API enabled user along in the Authorization header.',
          message: 'Authentication failed.',
          url: req.path,
        },
      };
    }
    if (req.headers.accept !== 'application/json' || req.headers['content-type'] !== 'application/json') {
      return { status: 400, body: { name: 'Bad headers', message: 'JSON expected', url: req.path } };
    }
    const body = JSON.parse(req.body || '{}') as Record<string, unknown>;
    if (req.method === 'POST' && req.path === '/attributes/restSearch') {
      if (body.returnFormat !== 'json')
        return { status: 400, body: { name: 'returnFormat', message: 'missing', url: req.path } };
      const hits = options.attributes
        .filter((a) => a.value === body.value && (!body.type || body.type === a.type))
        .map((a, i) => ({
          id: String(100 + i),
          event_id: a.event_id,
          object_id: '0',
          category: 'Network activity',
          type: a.type,
          value: a.value,
          to_ids: a.to_ids,
          uuid: '5f1c-uuid',
          timestamp: '1700000000',
          distribution: '5',
          comment: '',
          deleted: false,
          Event: { id: a.event_id, info: 'Campaign X', org_id: '1', orgc_id: '1', uuid: 'ev-uuid' },
        }));
      return { body: { response: { Attribute: hits } } };
    }
    if (req.method === 'POST' && req.path === '/sightings/add') {
      const values = body.values as unknown;
      if (!Array.isArray(values) || values.length === 0)
        return {
          status: 400,
          body: { saved: false, name: 'Could not add Sighting', message: 'No values', url: req.path },
        };
      return {
        body: {
          saved: true,
          success: true,
          name: `${values.length} sighting successfully added.`,
          message: `${values.length} sighting successfully added.`,
          url: '/sightings/add',
        },
      };
    }
    if (req.method === 'GET' && req.path === '/servers/getVersion')
      return { body: { version: '2.4.190', perm_sync: false } };
    return { status: 404, body: { name: 'Not Found', message: 'Not Found', url: req.path } };
  };
}
