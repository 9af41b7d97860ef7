import {
  basicAuth,
  startFakeServer,
  type FakeReply,
  type FakeServer,
  type RecordedRequest,
} from './fake-server.js';

/** Jira Cloud's documented error body: `{ errorMessages: [], errors: { field: message } }`. */
const jiraError = (
  status: number,
  errorMessages: string[],
  errors: Record<string, string> = {},
): FakeReply => ({
  status,
  body: { errorMessages, errors },
});

interface FakeIssue {
  id: string;
  key: string;
  fields: Record<string, unknown>;
  status: string;
  comments: Array<{ id: string; body: unknown; properties: Array<{ key: string; value: unknown }> }>;
}

const WORKFLOW = [
  { id: '11', name: 'To Do', to: { name: 'To Do' } },
  { id: '21', name: 'Start work', to: { name: 'In Progress' } },
  { id: '31', name: 'Close', to: { name: 'Done' } },
];

const isAdf = (v: unknown): boolean =>
  typeof v === 'object' &&
  v !== null &&
  (v as { type?: unknown }).type === 'doc' &&
  (v as { version?: unknown }).version === 1;

export interface JiraFake extends FakeServer {
  issues: Map<string, FakeIssue>;
  /** Answer the next N requests to this path with 429 and Retry-After. */
  throttle(path: string, times: number, retryAfterSeconds: number): void;
}

/** A Jira Cloud site that checks Basic auth, paths, methods and ADF bodies as REST v3 documents them. */
export async function startJiraFake(email: string, apiToken: string): Promise<JiraFake> {
  const issues = new Map<string, FakeIssue>();
  const throttles = new Map<string, { times: number; seconds: number }>();
  let nextId = 10_000;

  function handle(req: RecordedRequest): FakeReply {
    const throttle = throttles.get(req.path);
    if (throttle && throttle.times > 0) {
      throttle.times--;
      return {
        status: 429,
        headers: { 'retry-after': String(throttle.seconds) },
        body: jiraError(429, ['Rate limit exceeded.']).body,
      };
    }
    // Jira answers a missing or wrong Basic credential with 401 and a plain message.
    if (req.headers.authorization !== basicAuth(email, apiToken)) {
      return { status: 401, body: 'Client must be authenticated to access this resource.' };
    }
    if (req.method === 'GET' && req.path === '/rest/api/3/myself') {
      return {
        status: 200,
        body: { accountId: '5b10a2844c20165700ede21g', emailAddress: email, displayName: 'Riposte Bot' },
      };
    }
    if (req.method === 'POST' && req.path === '/rest/api/3/search/jql') {
      const body = req.json as { jql?: unknown; fields?: unknown };
      if (typeof body?.jql !== 'string')
        return jiraError(400, [
          'Invalid request payload. Refer to the REST API documentation and try again.',
        ]);
      const label = /labels = "([^"]+)"/.exec(body.jql)?.[1];
      const project = /project = "([^"]+)"/.exec(body.jql)?.[1];
      const found = [...issues.values()].filter(
        (i) =>
          (!label || (i.fields.labels as string[]).includes(label)) &&
          (!project || i.key.startsWith(`${project}-`)),
      );
      return {
        status: 200,
        body: { issues: found.map((i) => ({ id: i.id, key: i.key, fields: {} })), isLast: true },
      };
    }
    if (req.method === 'POST' && req.path === '/rest/api/3/issue') {
      const fields = (req.json as { fields?: Record<string, unknown> } | undefined)?.fields;
      if (!fields) return jiraError(400, ['No fields given.']);
      const errors: Record<string, string> = {};
      const project = (fields.project as { key?: string } | undefined)?.key;
      if (!project) errors.project = 'Specify a valid project ID or key';
      if (typeof fields.summary !== 'string' || fields.summary === '')
        errors.summary = 'You must specify a summary of the issue.';
      if (!(fields.issuetype as { name?: string } | undefined)?.name)
        errors.issuetype = 'Specify an issue type';
      if (fields.description !== undefined && !isAdf(fields.description)) {
        errors.description =
          'Operation value must be an Atlassian Document (see the Atlassian Document Format)';
      }
      if (Object.keys(errors).length) return jiraError(400, [], errors);
      const id = String(nextId++);
      const key = `${project}-${issues.size + 1}`;
      issues.set(key, { id, key, fields, status: 'To Do', comments: [] });
      return { status: 201, body: { id, key, self: `https://example.atlassian.net/rest/api/3/issue/${id}` } };
    }
    const m = /^\/rest\/api\/3\/issue\/([A-Z0-9_]+-\d+)(\/comment|\/transitions)?$/.exec(req.path);
    const issue = m?.[1] ? issues.get(m[1]) : undefined;
    if (m && !issue) return jiraError(404, ['Issue does not exist or you do not have permission to see it.']);
    if (!m || !issue) return jiraError(404, [`No endpoint ${req.method} ${req.path}`]);
    if (m[2] === undefined && req.method === 'GET') {
      return {
        status: 200,
        body: { id: issue.id, key: issue.key, fields: { status: { name: issue.status } } },
      };
    }
    if (m[2] === '/comment' && req.method === 'GET') {
      const withProps = req.query.get('expand') === 'properties';
      return {
        status: 200,
        body: {
          startAt: 0,
          maxResults: 100,
          total: issue.comments.length,
          comments: issue.comments.map((c) => ({
            id: c.id,
            body: c.body,
            ...(withProps ? { properties: c.properties } : {}),
          })),
        },
      };
    }
    if (m[2] === '/comment' && req.method === 'POST') {
      const body = req.json as { body?: unknown; properties?: Array<{ key: string; value: unknown }> };
      if (!isAdf(body?.body)) return jiraError(400, [], { comment: 'Comment body is not valid!' });
      const id = String(nextId++);
      issue.comments.push({ id, body: body.body, properties: body.properties ?? [] });
      return {
        status: 201,
        body: {
          id,
          self: `https://example.atlassian.net/rest/api/3/issue/${issue.id}/comment/${id}`,
          body: body.body,
        },
      };
    }
    if (m[2] === '/transitions' && req.method === 'GET') {
      return { status: 200, body: { transitions: WORKFLOW.filter((t) => t.to.name !== issue.status) } };
    }
    if (m[2] === '/transitions' && req.method === 'POST') {
      const id = (req.json as { transition?: { id?: string } } | undefined)?.transition?.id;
      const transition = WORKFLOW.find((t) => t.id === id && t.to.name !== issue.status);
      if (!transition)
        return jiraError(400, ["Transition id '" + String(id) + "' is not valid for this issue."]);
      issue.status = transition.to.name;
      return { status: 204 };
    }
    return jiraError(405, [`Method ${req.method} is not allowed on ${req.path}`]);
  }

  const server = await startFakeServer(handle);
  return {
    ...server,
    issues,
    throttle(path, times, seconds) {
      throttles.set(path, { times, seconds });
    },
  };
}
