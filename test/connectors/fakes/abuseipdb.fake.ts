import type { FakeHandler } from './fake-server.js';

/**
 * AbuseIPDB API v2 as documented: GET /api/v2/check?ipAddress=&maxAgeInDays= and POST /api/v2/report
 * (form: ip, categories, comment), header `Key` and `Accept: application/json`; errors
 * `{ errors: [{ detail, status, source? }] }`; 429 with Retry-After and X-RateLimit-* headers.
 */
export function abuseIpdbFake(options: {
  apiKey: string;
  scores: Record<string, number>;
  limited?: () => boolean;
}): FakeHandler {
  return (req) => {
    if (req.headers.key !== options.apiKey) {
      return {
        status: 401,
        body: {
          errors: [
            {
              detail: 'Authentication failed. Your API key is either missing, incorrect, or revoked.',
              status: 401,
            },
          ],
        },
      };
    }
    if (req.headers.accept !== 'application/json')
      return { status: 406, body: 'Accept must be application/json' };
    if (options.limited?.()) {
      return {
        status: 429,
        headers: { 'retry-after': '29', 'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': '0' },
        body: {
          errors: [{ detail: 'Daily rate limit of 1000 requests exceeded for this endpoint.', status: 429 }],
        },
      };
    }
    if (req.method === 'GET' && req.path === '/api/v2/check') {
      const ip = req.query.get('ipAddress') ?? '';
      if (!req.query.get('maxAgeInDays'))
        return { status: 422, body: { errors: [{ detail: 'maxAgeInDays missing', status: 422 }] } };
      const score = options.scores[ip] ?? 0;
      return {
        body: {
          data: {
            ipAddress: ip,
            isPublic: true,
            ipVersion: 4,
            isWhitelisted: false,
            abuseConfidenceScore: score,
            countryCode: 'CN',
            usageType: 'Data Center/Web Hosting/Transit',
            isp: 'Example ISP',
            domain: 'example.cn',
            hostnames: [],
            totalReports: score > 0 ? 12 : 0,
            numDistinctUsers: score > 0 ? 5 : 0,
            lastReportedAt: score > 0 ? '2026-11-24T20:00:00+00:00' : null,
          },
        },
      };
    }
    if (req.method === 'POST' && req.path === '/api/v2/report') {
      if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
        return { status: 415, body: { errors: [{ detail: 'form expected', status: 415 }] } };
      }
      const form = new URLSearchParams(req.body);
      if (!form.get('ip') || !form.get('categories')) {
        return {
          status: 422,
          body: {
            errors: [
              {
                detail: 'The ip and categories fields are required.',
                status: 422,
                source: { parameter: 'ip' },
              },
            ],
          },
        };
      }
      return { body: { data: { ipAddress: form.get('ip'), abuseConfidenceScore: 52 } } };
    }
    return { status: 404, body: { errors: [{ detail: 'not found', status: 404 }] } };
  };
}
