import { startFakeServer, type FakeReply, type FakeServer, type RecordedRequest } from './fake-server.js';

const tenableError = (status: number, error: string, message: string): FakeReply => ({
  status,
  body: { statusCode: status, error, message },
});

export const TENABLE_CHUNK = [
  {
    asset: {
      uuid: '5a3b6c2e-1f4d-4e5a-9b8c-7d6e5f4a3b2c',
      hostname: 'web-01',
      fqdn: 'web-01.example.com',
      ipv4: '192.0.2.10',
      operating_system: ['Linux Kernel 5.15'],
    },
    output: 'Installed version : 1.1.1l\nFixed version : 1.1.1n',
    plugin: {
      id: 158974,
      name: 'OpenSSL 1.1.1 < 1.1.1n Vulnerability',
      family: 'Web Servers',
      cve: ['CVE-2022-0778'],
      cvss3_base_score: 7.5,
      cvss_base_score: 5,
      cvss3_vector: { access_vector: 'Network', raw: 'AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' },
      solution: 'Upgrade to OpenSSL version 1.1.1n or later.',
      vpr: { score: 4.4 },
    },
    port: { port: 443, protocol: 'TCP' },
    severity: 'high',
    severity_id: 3,
    state: 'OPEN',
    first_found: '2026-10-01T10:00:00.000Z',
    last_found: '2026-11-20T03:00:00.000Z',
  },
];

export interface TenableFake extends FakeServer {
  exports: Map<string, { polls: number; body: unknown }>;
  throttleNext(times: number, retryAfterSeconds: number): void;
}

/** Tenable.io's vulns export: checks X-ApiKeys and the request body; FINISHED on the second status poll. */
export async function startTenableFake(accessKey: string, secretKey: string): Promise<TenableFake> {
  const exports = new Map<string, { polls: number; body: unknown }>();
  let throttled = 0;
  let retryAfter = 1;
  function handle(req: RecordedRequest): FakeReply {
    if (throttled > 0) {
      throttled--;
      return {
        ...tenableError(429, 'Too Many Requests', 'You have exceeded the rate limit'),
        headers: { 'retry-after': String(retryAfter) },
      };
    }
    if (req.headers['x-apikeys'] !== `accessKey=${accessKey};secretKey=${secretKey}`)
      return tenableError(401, 'Unauthorized', 'Invalid Credentials');
    if (req.method === 'GET' && req.path === '/session')
      return { status: 200, body: { id: 2, username: 'riposte@example.com', permissions: 64 } };
    if (req.method === 'POST' && req.path === '/vulns/export') {
      const body = req.json as { num_assets?: unknown; filters?: { severity?: unknown } } | undefined;
      if (typeof body?.num_assets !== 'number' || body.num_assets < 50 || body.num_assets > 5000)
        return tenableError(400, 'Bad Request', 'num_assets must be between 50 and 5000');
      if (body.filters?.severity !== undefined && !Array.isArray(body.filters.severity))
        return tenableError(400, 'Bad Request', 'filters.severity must be an array');
      const uuid = `ad082ebc-e375-4250-93b3-ded6dd2757a${exports.size}`;
      exports.set(uuid, { polls: 0, body });
      return { status: 200, body: { export_uuid: uuid } };
    }
    const m = /^\/vulns\/export\/([0-9a-f-]{36})\/(status|chunks\/(\d+))$/.exec(req.path);
    const job = m?.[1] ? exports.get(m[1]) : undefined;
    if (!m || !job) return tenableError(404, 'Not Found', 'Export not found');
    if (m[2] === 'status') {
      job.polls++;
      const done = job.polls >= 2;
      return {
        status: 200,
        body: {
          uuid: m[1],
          status: done ? 'FINISHED' : 'PROCESSING',
          chunks_available: done ? [1] : [],
          chunks_failed: [],
          chunks_cancelled: [],
          total_chunks: 1,
          finished_chunks: done ? 1 : 0,
        },
      };
    }
    if (m[3] === '1' && job.polls >= 2) return { status: 200, body: TENABLE_CHUNK };
    return tenableError(404, 'Not Found', `Chunk ${m[3] ?? '?'} not available`);
  }
  const server = await startFakeServer(handle);
  return {
    ...server,
    exports,
    throttleNext(times, seconds) {
      throttled = times;
      retryAfter = seconds;
    },
  };
}
