import type { FakeHandler } from './fake-server.js';

/**
 * URLhaus API v1 as documented: POST /v1/url/ (form `url`) and POST /v1/host/ (form `host`) with an
 * `Auth-Key` header; outcomes in `query_status` (`ok`, `no_results`, `invalid_url`, `unknown_auth_key`).
 */
export function urlhausFake(options: {
  authKey: string;
  urls: Record<string, 'online' | 'offline'>;
}): FakeHandler {
  return (req) => {
    if (req.method !== 'POST') return { status: 405, body: { query_status: 'http_post_expected' } };
    if (req.headers['auth-key'] !== options.authKey)
      return { status: 401, body: { query_status: 'unknown_auth_key' } };
    const form = new URLSearchParams(req.body);
    if (req.path === '/v1/url/') {
      const url = form.get('url') ?? '';
      if (!/^https?:\/\//.test(url)) return { body: { query_status: 'invalid_url' } };
      const status = options.urls[url];
      if (!status) return { body: { query_status: 'no_results' } };
      return {
        body: {
          query_status: 'ok',
          id: '1234567',
          urlhaus_reference: 'https://urlhaus.abuse.ch/url/1234567/',
          url,
          url_status: status,
          host: new URL(url).hostname,
          date_added: '2026-11-20 10:00:00 UTC',
          threat: 'malware_download',
          blacklists: { spamhaus_dbl: 'not listed', surbl: 'not listed' },
          reporter: 'abuse_ch',
          larted: 'true',
          takedown_time_seconds: null,
          tags: ['elf', 'mirai'],
          payloads: [],
        },
      };
    }
    if (req.path === '/v1/host/') {
      const host = form.get('host') ?? '';
      const urls = Object.entries(options.urls).filter(([u]) => new URL(u).hostname === host);
      if (urls.length === 0) return { body: { query_status: 'no_results' } };
      return {
        body: {
          query_status: 'ok',
          urlhaus_reference: `https://urlhaus.abuse.ch/host/${host}/`,
          host,
          firstseen: '2026-11-20 10:00:00 UTC',
          url_count: String(urls.length),
          blacklists: {},
          urls: urls.map(([url, url_status], i) => ({
            id: String(i),
            url,
            url_status,
            threat: 'malware_download',
            tags: [],
          })),
        },
      };
    }
    return { status: 404, body: { query_status: 'unknown_endpoint' } };
  };
}
