import { startFakeServer, type FakeReply, type FakeServer, type RecordedRequest } from './fake-server.js';

const ghError = (
  status: number,
  message: string,
  extra: Record<string, unknown> = {},
  headers?: Record<string, string>,
): FakeReply => ({
  status,
  headers,
  body: { message, documentation_url: 'https://docs.github.com/rest', status: String(status), ...extra },
});

interface FakeIssue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  comments: Array<{ id: number; body: string }>;
}

export interface GitHubFake extends FakeServer {
  issues: FakeIssue[];
  exhaustRateLimit(times: number, resetAtSeconds: number): void;
}

/** GitHub's REST API for one repository, checking token, API version header, Accept and User-Agent. */
export async function startGitHubFake(token: string, repo: string): Promise<GitHubFake> {
  const issues: FakeIssue[] = [];
  let exhausted = 0;
  let resetAt = 0;
  let nextComment = 1_000;
  function handle(req: RecordedRequest): FakeReply {
    if (!req.headers['user-agent'])
      return ghError(
        403,
        'Request forbidden by administrative rules. Please make sure your request has a User-Agent header',
      );
    if (req.headers.authorization !== `Bearer ${token}`) return ghError(401, 'Bad credentials');
    if (req.headers.accept !== 'application/vnd.github+json') return ghError(415, 'Unsupported Media Type');
    if (req.headers['x-github-api-version'] !== '2022-11-28') return ghError(400, 'Invalid API version');
    if (exhausted > 0) {
      exhausted--;
      return ghError(
        403,
        'API rate limit exceeded for user ID 1.',
        {},
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(resetAt) },
      );
    }
    if (req.path === '/rate_limit')
      return {
        status: 200,
        body: { resources: { core: { limit: 5000, remaining: 4999, reset: resetAt, used: 1 } } },
      };
    const base = `/repos/${repo}/issues`;
    if (req.path === base && req.method === 'GET') {
      const sorted = [...issues]
        .sort((a, b) => b.number - a.number)
        .slice(0, Number(req.query.get('per_page') ?? 30));
      return {
        status: 200,
        body: sorted.map((i) => ({
          number: i.number,
          title: i.title,
          body: i.body,
          html_url: `https://github.com/${repo}/issues/${i.number}`,
          state: 'open',
        })),
      };
    }
    if (req.path === base && req.method === 'POST') {
      const body = req.json as { title?: unknown; body?: unknown; labels?: unknown } | undefined;
      if (typeof body?.title !== 'string' || body.title === '') {
        return ghError(422, 'Validation Failed', {
          errors: [{ resource: 'Issue', field: 'title', code: 'missing_field' }],
        });
      }
      const issue: FakeIssue = {
        number: issues.length + 1,
        title: body.title,
        body: String(body.body ?? ''),
        labels: (body.labels as string[] | undefined) ?? [],
        comments: [],
      };
      issues.push(issue);
      return {
        status: 201,
        body: {
          id: 9000 + issue.number,
          number: issue.number,
          html_url: `https://github.com/${repo}/issues/${issue.number}`,
          state: 'open',
          title: issue.title,
        },
      };
    }
    const m = new RegExp(`^${base}/(\\d+)/comments$`).exec(req.path);
    const issue = m?.[1] ? issues.find((i) => i.number === Number(m[1])) : undefined;
    if (m && !issue) return ghError(404, 'Not Found');
    if (issue && req.method === 'GET') {
      return {
        status: 200,
        body: issue.comments.map((c) => ({
          id: c.id,
          body: c.body,
          html_url: `https://github.com/${repo}/issues/${issue.number}#issuecomment-${c.id}`,
        })),
      };
    }
    if (issue && req.method === 'POST') {
      const body = (req.json as { body?: unknown } | undefined)?.body;
      if (typeof body !== 'string' || body === '')
        return ghError(422, 'Validation Failed', {
          errors: [{ resource: 'IssueComment', field: 'body', code: 'missing_field' }],
        });
      const comment = { id: nextComment++, body };
      issue.comments.push(comment);
      return {
        status: 201,
        body: {
          id: comment.id,
          body,
          html_url: `https://github.com/${repo}/issues/${issue.number}#issuecomment-${comment.id}`,
        },
      };
    }
    return ghError(404, 'Not Found');
  }
  const server = await startFakeServer(handle);
  return {
    ...server,
    issues,
    exhaustRateLimit(times, reset) {
      exhausted = times;
      resetAt = reset;
    },
  };
}
