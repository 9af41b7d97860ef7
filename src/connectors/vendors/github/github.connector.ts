import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ConnectorError } from '../../action-executor.js';
import { ConnectorErrorCode } from '../../framework/connector-errors.js';
import {
  connectorConfig,
  defineAction,
  defineConnector,
  secret,
  type ActionContext,
} from '../../framework/define-connector.js';
import type { HttpRequest } from '../../http/http-client.js';

/**
 * GitHub REST API (https://docs.github.com/rest): `Authorization: Bearer`, `Accept: application/vnd.github+json`,
 * `X-GitHub-Api-Version`, and a User-Agent (GitHub refuses requests without one). GitHub Enterprise Server
 * lives at https://<host>/api/v3.
 */
export const GitHubConfig = connectorConfig({
  baseUrl: z.url().default('https://api.github.com'),
  token: secret(z.string().min(8)),
  /** `owner/repo` used when an action names none. */
  defaultRepo: z
    .string()
    .regex(/^[\w.-]+\/[\w.-]+$/, 'owner/repo')
    .optional(),
});
export type GitHubConfig = z.infer<typeof GitHubConfig>;

type Ctx = ActionContext<GitHubConfig>;
const Repo = z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'owner/repo');

/** A hidden marker in the body: a retry finds what the first attempt created by it. */
export const githubMarker = (idempotencyKey: string): string =>
  `<!-- riposte:${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24)} -->`;

async function callGitHub(ctx: Ctx, req: HttpRequest): Promise<unknown> {
  const res = await ctx.http.request(
    {
      ...req,
      headers: {
        authorization: `Bearer ${ctx.config.token}`,
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        'user-agent': 'Riposte-SOAR',
        ...req.headers,
      },
      // GitHub answers an exhausted primary rate limit with 403 (not 429): told apart by its headers.
      okStatuses: [403],
    },
    ctx.signal,
  );
  if (res.status === 403) {
    const remaining = res.headers['x-ratelimit-remaining'];
    const reset = Number(res.headers['x-ratelimit-reset']);
    const retryAfter = Number(res.headers['retry-after']);
    if (remaining === '0' || Number.isFinite(retryAfter)) {
      const waitMs = Number.isFinite(retryAfter)
        ? retryAfter * 1000
        : Number.isFinite(reset)
          ? Math.max(0, reset * 1000 - ctx.now())
          : undefined;
      throw new ConnectorError(ConnectorErrorCode.rateLimited, 'GitHub rate limit exceeded', {
        retryable: true,
        retryAfterMs: waitMs,
        status: 403,
      });
    }
    const message = z.object({ message: z.string() }).safeParse(safeJson(res.text));
    throw new ConnectorError(
      ConnectorErrorCode.authFailed,
      `GitHub refused the token (HTTP 403): ${message.success ? message.data.message : 'forbidden'}`,
      { retryable: false, status: 403 },
    );
  }
  return res.json();
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function repoOf(ctx: Ctx, repo: string | undefined): string {
  const chosen = repo ?? ctx.config.defaultRepo;
  if (!chosen)
    throw new ConnectorError(
      ConnectorErrorCode.invalidInput,
      'give repo (owner/repo) or set defaultRepo on the instance',
      { retryable: false },
    );
  return chosen;
}

const IssueList = z.array(
  z.looseObject({
    number: z.number(),
    html_url: z.string(),
    body: z.string().nullable().optional(),
    pull_request: z.unknown().optional(),
  }),
);
const CommentList = z.array(
  z.looseObject({ id: z.number(), html_url: z.string(), body: z.string().nullable().optional() }),
);

export const gitHubConnector = defineConnector({
  name: 'github',
  title: 'GitHub Issues',
  description: 'Open GitHub issues and comment on them.',
  config: GitHubConfig,
  actions: [
    defineAction({
      name: 'github.create_issue',
      description: 'Open an issue; a retry finds the issue the first attempt opened by its hidden marker',
      risk: 'read',
      input: z.object({
        repo: Repo.optional(),
        title: z.string().min(1).max(256),
        body: z.string().max(60_000).default(''),
        labels: z.array(z.string().min(1)).default([]),
        assignees: z.array(z.string().min(1)).default([]),
      }),
      output: z.object({ number: z.number(), url: z.string(), created: z.boolean() }),
      example: { number: 1347, url: 'https://github.com/acme/security/issues/1347', created: true },
      idempotency: 'query-first',
      async run(ctx: Ctx, input) {
        const repo = repoOf(ctx, input.repo);
        const marker = githubMarker(ctx.idempotencyKey);
        // Recent issues, newest first: a retry comes soon after the first attempt, and listing (unlike
        // search) sees an issue the moment it exists.
        const recent = IssueList.parse(
          await callGitHub(ctx, {
            path: `/repos/${repo}/issues`,
            query: { state: 'all', sort: 'created', direction: 'desc', per_page: 50 },
          }),
        );
        const existing = recent.find((i) => !i.pull_request && i.body?.includes(marker));
        if (existing) {
          ctx.markAlreadyApplied();
          return { number: existing.number, url: existing.html_url, created: false };
        }
        const created = z.looseObject({ number: z.number(), html_url: z.string() }).parse(
          await callGitHub(ctx, {
            method: 'POST',
            path: `/repos/${repo}/issues`,
            json: {
              title: input.title,
              body: `${input.body}\n\n${marker}`,
              labels: input.labels,
              assignees: input.assignees,
            },
          }),
        );
        return { number: created.number, url: created.html_url, created: true };
      },
    }),
    defineAction({
      name: 'github.add_comment',
      description: 'Comment on an issue; a retry finds the comment by its hidden marker',
      risk: 'read',
      input: z.object({
        repo: Repo.optional(),
        issueNumber: z.number().int().positive(),
        body: z.string().min(1).max(60_000),
      }),
      output: z.object({ id: z.number(), url: z.string(), created: z.boolean() }),
      example: {
        id: 1_234_567_890,
        url: 'https://github.com/acme/security/issues/1347#issuecomment-1234567890',
        created: true,
      },
      idempotency: 'query-first',
      async run(ctx: Ctx, input) {
        const repo = repoOf(ctx, input.repo);
        const marker = githubMarker(ctx.idempotencyKey);
        const path = `/repos/${repo}/issues/${input.issueNumber}/comments`;
        const since = new Date(ctx.now() - 7 * 86_400_000).toISOString();
        const comments = CommentList.parse(await callGitHub(ctx, { path, query: { since, per_page: 100 } }));
        const existing = comments.find((c) => c.body?.includes(marker));
        if (existing) {
          ctx.markAlreadyApplied();
          return { id: existing.id, url: existing.html_url, created: false };
        }
        const created = z
          .looseObject({ id: z.number(), html_url: z.string() })
          .parse(
            await callGitHub(ctx, { method: 'POST', path, json: { body: `${input.body}\n\n${marker}` } }),
          );
        return { id: created.id, url: created.html_url, created: true };
      },
    }),
  ],
  async test(ctx) {
    // /rate_limit works for every token type and does not count against the limit.
    await callGitHub(ctx as Ctx, { path: '/rate_limit' });
    return { ok: true, message: 'GitHub accepted the token' };
  },
});
