import type { FakeHandler } from './fake-server.js';

/**
 * VirusTotal API v3 as documented: GET /api/v3/{ip_addresses|domains|urls|files}/{id} with `x-apikey`;
 * JSON:API `{ data: { id, type, attributes } }`; errors `{ error: { code, message } }` (401
 * WrongCredentialsError, 404 NotFoundError, 429 QuotaExceededError).
 */
export function virusTotalFake(options: {
  apiKey: string;
  known: Record<string, { malicious: number; harmless: number }>;
  quotaExceeded?: () => boolean;
}): FakeHandler {
  return (req) => {
    if (req.method !== 'GET')
      return { status: 405, body: { error: { code: 'MethodNotAllowed', message: req.method } } };
    if (req.headers['x-apikey'] !== options.apiKey) {
      return { status: 401, body: { error: { code: 'WrongCredentialsError', message: 'Wrong API key' } } };
    }
    if (options.quotaExceeded?.()) {
      return { status: 429, body: { error: { code: 'QuotaExceededError', message: 'Quota exceeded' } } };
    }
    const match = /^\/api\/v3\/(ip_addresses|domains|urls|files)\/([^/]+)$/.exec(req.path);
    if (!match)
      return { status: 400, body: { error: { code: 'BadRequestError', message: `bad path ${req.path}` } } };
    const id = decodeURIComponent(match[2] ?? '');
    const stats = options.known[id];
    if (!stats)
      return { status: 404, body: { error: { code: 'NotFoundError', message: `${id} not found` } } };
    const type = { ip_addresses: 'ip_address', domains: 'domain', urls: 'url', files: 'file' }[
      match[1] as 'urls'
    ];
    return {
      body: {
        data: {
          id,
          type,
          links: { self: `https://www.virustotal.com/api/v3/${match[1]}/${id}` },
          attributes: {
            last_analysis_stats: {
              harmless: stats.harmless,
              malicious: stats.malicious,
              suspicious: 0,
              undetected: 10,
              timeout: 0,
            },
            reputation: stats.malicious > 0 ? -20 : 5,
            tags: [],
          },
        },
      },
    };
  };
}
