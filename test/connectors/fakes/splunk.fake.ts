import { startFakeServer, type FakeReply, type FakeServer, type RecordedRequest } from './fake-server.js';

/** splunkd's documented error body. */
const splunkError = (status: number, type: 'ERROR' | 'WARN', text: string): FakeReply => ({
  status,
  body: { messages: [{ type, text }] },
});

interface FakeJob {
  sid: string;
  search: string;
  polls: number;
  results: Array<Record<string, string>>;
}

export interface SplunkFake extends FakeServer {
  jobs: Map<string, FakeJob>;
  notables: Map<string, { status: string; owner?: string; urgency?: string; comments: string[] }>;
}

/** splunkd's management API: search jobs (DONE on the second poll) and ES notable_update. */
export async function startSplunkFake(token: string): Promise<SplunkFake> {
  const jobs = new Map<string, FakeJob>();
  const notables = new Map<string, { status: string; owner?: string; urgency?: string; comments: string[] }>([
    ['B4D1C2E3-0000-4000-8000-000000000001@@notable@@5f0e7c', { status: '1', comments: [] }],
  ]);

  function handle(req: RecordedRequest): FakeReply {
    if (req.headers.authorization !== `Bearer ${token}`)
      return splunkError(401, 'WARN', 'call not properly authenticated');
    const form = new URLSearchParams(req.body);
    if (req.method === 'GET' && req.path === '/services/server/info') {
      return {
        status: 200,
        body: { entry: [{ name: 'server-info', content: { version: '9.3.1', serverName: 'sh-01' } }] },
      };
    }
    if (req.method === 'POST' && req.path === '/services/search/jobs') {
      if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded'))
        return splunkError(400, 'ERROR', 'Expected form-encoded arguments');
      const search = form.get('search') ?? '';
      if (!search) return splunkError(400, 'ERROR', 'Missing search argument');
      if (!/^(search |\|)/.test(search))
        return splunkError(
          400,
          'ERROR',
          `Error in 'SearchParser': Unknown search command '${search.split(' ')[0] ?? ''}'.`,
        );
      if (form.get('output_mode') !== 'json')
        return splunkError(400, 'ERROR', 'output_mode json expected by this fake');
      const sid = form.get('id') ?? `1764000000.${jobs.size + 1}`;
      if (jobs.has(sid)) return splunkError(400, 'ERROR', `Search job id ${sid} already exists`);
      jobs.set(sid, {
        sid,
        search,
        polls: 0,
        results: [{ _time: '2026-11-20T08:00:00.000+00:00', src_ip: '203.0.113.7', count: '42' }],
      });
      return { status: 201, body: { sid } };
    }
    const job = /^\/services\/search\/jobs\/([^/]+)$/.exec(req.path);
    if (job?.[1] && req.method === 'GET') {
      const found = jobs.get(decodeURIComponent(job[1]));
      if (!found) return splunkError(404, 'ERROR', 'Unknown sid.');
      found.polls++;
      const done = found.polls >= 2;
      return {
        status: 200,
        body: {
          links: {},
          entry: [
            {
              name: found.search,
              content: {
                sid: found.sid,
                dispatchState: done ? 'DONE' : 'RUNNING',
                isDone: done,
                isFailed: false,
                resultCount: done ? found.results.length : 0,
                doneProgress: done ? 1 : 0.4,
              },
            },
          ],
        },
      };
    }
    const results = /^\/services\/search\/v2\/jobs\/([^/]+)\/results$/.exec(req.path);
    if (results?.[1] && req.method === 'GET') {
      const found = jobs.get(decodeURIComponent(results[1]));
      if (!found) return splunkError(404, 'ERROR', 'Unknown sid.');
      if (found.polls < 2) return { status: 204 };
      return {
        status: 200,
        body: {
          preview: false,
          init_offset: 0,
          messages: [],
          fields: [{ name: '_time' }, { name: 'src_ip' }, { name: 'count' }],
          results: found.results,
        },
      };
    }
    if (req.method === 'POST' && req.path === '/services/notable_update') {
      const ids = form.getAll('ruleUIDs');
      const comment = form.get('comment');
      if (ids.length === 0)
        return { status: 400, body: { success: false, message: 'ruleUIDs or searchID must be provided' } };
      if (!comment) return { status: 400, body: { success: false, message: 'A comment must be provided' } };
      const status = form.get('status');
      if (status !== null && !/^\d+$/.test(status))
        return { status: 400, body: { success: false, message: `Invalid status ${status}` } };
      let ok = 0;
      for (const id of ids) {
        const notable = notables.get(id);
        if (!notable) continue;
        if (status !== null) notable.status = status;
        const owner = form.get('newOwner');
        if (owner) notable.owner = owner;
        notable.comments.push(comment);
        ok++;
      }
      return {
        status: 200,
        body: {
          success: true,
          message: `${ok} event${ok === 1 ? '' : 's'} updated successfully`,
          details: {},
          success_count: ok,
          failure_count: ids.length - ok,
        },
      };
    }
    return splunkError(404, 'ERROR', `Not Found: ${req.method} ${req.path}`);
  }

  const server = await startFakeServer(handle);
  return { ...server, jobs, notables };
}
