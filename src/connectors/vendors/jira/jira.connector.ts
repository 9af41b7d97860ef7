import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  connectorConfig,
  defineAction,
  defineConnector,
  secret,
  type ActionContext,
} from '../../framework/define-connector.js';
import { permanentError, ConnectorErrorCode } from '../../framework/connector-errors.js';
import { textToAdf } from './jira-adf.js';

/**
 * Jira Cloud REST API v3 (https://developer.atlassian.com/cloud/jira/platform/rest/v3/): Basic auth with the
 * account e-mail and an API token, descriptions and comments in Atlassian Document Format.
 */
export const JiraConfig = connectorConfig({
  /** Each Jira Cloud site has its own host: https://<site>.atlassian.net. */
  baseUrl: z.url({ protocol: /^https?$/ }),
  email: z.email(),
  apiToken: secret(z.string().min(8)),
  /** Project used when an action does not name one. */
  defaultProject: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]+$/, 'a Jira project key such as SEC')
    .optional(),
  defaultIssueType: z.string().min(1).default('Task'),
});
export type JiraConfig = z.infer<typeof JiraConfig>;

const IssueKey = z.string().regex(/^[A-Z][A-Z0-9_]+-\d+$/, 'a Jira issue key such as SEC-42');
const Created = z.object({ id: z.string(), key: z.string(), self: z.string() });
const SearchResult = z.object({ issues: z.array(z.object({ id: z.string(), key: z.string() })).default([]) });
const Transitions = z.object({
  transitions: z.array(
    z.object({ id: z.string(), name: z.string(), to: z.object({ name: z.string() }).optional() }),
  ),
});
const IssueStatus = z.object({ fields: z.object({ status: z.object({ name: z.string() }) }) });
const Comments = z.object({
  comments: z.array(
    z.object({
      id: z.string(),
      properties: z.array(z.object({ key: z.string(), value: z.unknown() })).optional(),
    }),
  ),
});
const CommentCreated = z.object({ id: z.string(), self: z.string() });

const auth = (ctx: ActionContext<JiraConfig>) => ({
  authorization: `Basic ${Buffer.from(`${ctx.config.email}:${ctx.config.apiToken}`).toString('base64')}`,
});
const browseUrl = (ctx: ActionContext<JiraConfig>, key: string) =>
  `${ctx.config.baseUrl.replace(/\/$/, '')}/browse/${key}`;

/**
 * The label that marks an issue created for one idempotency key. Jira has no idempotency header, so a retry
 * searches for this label first; labels cannot hold spaces, hence a digest rather than the key itself.
 */
export const jiraIdempotencyLabel = (key: string): string =>
  `riposte-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
const COMMENT_PROPERTY = 'riposte.idempotency';

const IssueOutput = z.object({ id: z.string(), key: z.string(), url: z.string(), created: z.boolean() });

export const jiraConnector = defineConnector({
  name: 'jira',
  title: 'Jira Cloud',
  description: 'Create Jira issues, comment on them and move them through their workflow (REST API v3).',
  config: JiraConfig,
  actions: [
    defineAction({
      name: 'jira.create_issue',
      description:
        'Create an issue; a retry finds the issue the first attempt created instead of opening another',
      risk: 'read',
      input: z.object({
        // A key pattern, not free text: it goes into the JQL of the idempotency search.
        project: z
          .string()
          .regex(/^[A-Z][A-Z0-9_]+$/, 'a Jira project key such as SEC')
          .optional(),
        summary: z.string().min(1).max(255),
        description: z.string().default(''),
        issueType: z.string().min(1).optional(),
        labels: z.array(z.string().regex(/^\S+$/, 'labels cannot contain spaces')).default([]),
        priority: z.string().min(1).optional(),
        assigneeAccountId: z.string().min(1).optional(),
      }),
      output: IssueOutput,
      example: {
        id: '10042',
        key: 'SEC-42',
        url: 'https://example.atlassian.net/browse/SEC-42',
        created: true,
      },
      idempotency: 'query-first',
      async run(ctx: ActionContext<JiraConfig>, input) {
        const project = input.project ?? ctx.config.defaultProject;
        if (!project) {
          throw permanentError(
            ConnectorErrorCode.invalidInput,
            'jira.create_issue needs a project (or the instance a defaultProject)',
          );
        }
        const label = jiraIdempotencyLabel(ctx.idempotencyKey);
        const found = SearchResult.parse(
          await ctx.http.json(
            {
              method: 'POST',
              path: '/rest/api/3/search/jql',
              headers: auth(ctx),
              json: { jql: `project = "${project}" AND labels = "${label}"`, fields: ['key'], maxResults: 1 },
              // A search changes nothing: safe to retry although it is a POST.
              idempotent: true,
            },
            ctx.signal,
          ),
        );
        const existing = found.issues[0];
        if (existing) {
          ctx.markAlreadyApplied();
          return { id: existing.id, key: existing.key, url: browseUrl(ctx, existing.key), created: false };
        }
        const fields: Record<string, unknown> = {
          project: { key: project },
          summary: input.summary,
          issuetype: { name: input.issueType ?? ctx.config.defaultIssueType },
          labels: [...input.labels, label],
        };
        if (input.description) fields.description = textToAdf(input.description);
        if (input.priority) fields.priority = { name: input.priority };
        if (input.assigneeAccountId) fields.assignee = { accountId: input.assigneeAccountId };
        const created = Created.parse(
          await ctx.http.json(
            { method: 'POST', path: '/rest/api/3/issue', headers: auth(ctx), json: { fields } },
            ctx.signal,
          ),
        );
        return { id: created.id, key: created.key, url: browseUrl(ctx, created.key), created: true };
      },
    }),
    defineAction({
      name: 'jira.add_comment',
      description: 'Add a comment to an issue; a retry finds the comment by its idempotency property',
      risk: 'read',
      input: z.object({ issueKey: IssueKey, body: z.string().min(1) }),
      output: z.object({ id: z.string(), issueKey: z.string(), created: z.boolean() }),
      example: { id: '10500', issueKey: 'SEC-42', created: true },
      idempotency: 'query-first',
      async run(ctx: ActionContext<JiraConfig>, input) {
        const path = `/rest/api/3/issue/${input.issueKey}/comment`;
        const listed = Comments.parse(
          await ctx.http.json(
            {
              path,
              query: { expand: 'properties', orderBy: '-created', maxResults: 100 },
              headers: auth(ctx),
            },
            ctx.signal,
          ),
        );
        const mine = listed.comments.find((c) =>
          c.properties?.some((p) => p.key === COMMENT_PROPERTY && isKeyValue(p.value, ctx.idempotencyKey)),
        );
        if (mine) {
          ctx.markAlreadyApplied();
          return { id: mine.id, issueKey: input.issueKey, created: false };
        }
        const created = CommentCreated.parse(
          await ctx.http.json(
            {
              method: 'POST',
              path,
              headers: auth(ctx),
              json: {
                body: textToAdf(input.body),
                properties: [{ key: COMMENT_PROPERTY, value: { key: ctx.idempotencyKey } }],
              },
            },
            ctx.signal,
          ),
        );
        return { id: created.id, issueKey: input.issueKey, created: true };
      },
    }),
    defineAction({
      name: 'jira.transition_issue',
      description: 'Move an issue through its workflow by transition or target status name (e.g. "Done")',
      risk: 'read',
      input: z.object({ issueKey: IssueKey, transition: z.string().min(1), comment: z.string().optional() }),
      output: z.object({ issueKey: z.string(), status: z.string(), changed: z.boolean() }),
      example: { issueKey: 'SEC-42', status: 'Done', changed: true },
      idempotency: 'query-first',
      async run(ctx: ActionContext<JiraConfig>, input) {
        const base = `/rest/api/3/issue/${input.issueKey}`;
        const wanted = input.transition.toLowerCase();
        const { transitions } = Transitions.parse(
          await ctx.http.json({ path: `${base}/transitions`, headers: auth(ctx) }, ctx.signal),
        );
        const current = IssueStatus.parse(
          await ctx.http.json({ path: base, query: { fields: 'status' }, headers: auth(ctx) }, ctx.signal),
        ).fields.status.name;
        const match = transitions.find(
          (t) => t.name.toLowerCase() === wanted || t.to?.name.toLowerCase() === wanted,
        );
        // Already in the target status (a retried step, or someone was faster): nothing to send. Name the
        // target status rather than the transition when retries matter: a done issue may offer no "Close".
        if (current.toLowerCase() === wanted || match?.to?.name === current) {
          ctx.markAlreadyApplied();
          return { issueKey: input.issueKey, status: current, changed: false };
        }
        if (!match) {
          const names = transitions.map((t) => t.name).join(', ') || 'none';
          throw permanentError(
            ConnectorErrorCode.rejected,
            `${input.issueKey} (status ${current}) has no transition "${input.transition}"; available: ${names}`,
          );
        }
        const body: Record<string, unknown> = { transition: { id: match.id } };
        if (input.comment) body.update = { comment: [{ add: { body: textToAdf(input.comment) } }] };
        await ctx.http.request(
          { method: 'POST', path: `${base}/transitions`, headers: auth(ctx), json: body },
          ctx.signal,
        );
        return { issueKey: input.issueKey, status: match.to?.name ?? match.name, changed: true };
      },
    }),
  ],
  async test(ctx) {
    const config = ctx.config as JiraConfig;
    const me = z
      .object({ displayName: z.string().optional() })
      .parse(
        await ctx.http.json(
          { path: '/rest/api/3/myself', headers: auth(ctx as ActionContext<JiraConfig>) },
          ctx.signal,
        ),
      );
    return {
      ok: true,
      message: `Jira accepted the API token of ${config.email} (${me.displayName ?? 'unnamed'})`,
    };
  },
});

function isKeyValue(value: unknown, key: string): boolean {
  return typeof value === 'object' && value !== null && (value as { key?: unknown }).key === key;
}
