import { z } from 'zod';
import {
  approvalLinkKey,
  decideApproval,
  issueApprovalLinks,
  previewApprovalLink,
  redeemApprovalLink,
} from '../../app/playbooks/approval-decisions.js';
import { durationMs } from '../../domain/playbooks/playbook.schema.js';
import { listApprovals } from '../../store/runs/approval.repository.js';
import { principalOf } from '../auth/authorize.js';
import type { RoutePlugin } from '../route-plugin.js';
import { queryInteger } from '../query-integer.js';

const Approval = z.object({
  id: z.string(),
  runId: z.string(),
  stepId: z.string(),
  message: z.string(),
  approvers: z.array(z.string()),
  quorum: z.number(),
  status: z.string(),
  escalated: z.boolean(),
  deadlineAt: z.number().nullable(),
  createdAt: z.number(),
  decidedAt: z.number().nullable(),
  action: z.string().nullable().describe('the action the approval lets run, when known'),
  input: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('the action’s rendered input, secrets redacted'),
  requestedBy: z.string().describe('who started the run; they cannot approve it'),
});
const Decided = z.object({ status: z.string(), approvals: z.number(), quorum: z.number() });

// The one-click link key is derived in the app layer; re-exported for callers that build links.
export { approvalLinkKey };

const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A page that needs no script: the link's GET only shows, its one button POSTs (mail scanners follow GETs). */
const page = (title: string, body: string): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
  `<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head>` +
  `<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem">` +
  `<h1>${escapeHtml(title)}</h1>${body}</body></html>`;

/** Approvals: list, decide (quorum, separation of duties, break-glass), and redeem a signed one-click link. */
export const approvalRoutes: RoutePlugin = async (app, ctx) => {
  const tags = ['approvals'];
  const linkKey = approvalLinkKey(ctx.config.masterKey);
  app.get(
    '/approvals',
    {
      config: { access: 'approvals:read' },
      schema: {
        tags,
        querystring: z.object({
          status: z.string().optional(),
          run: z.string().optional(),
          limit: queryInteger(1, 500).default(50),
        }),
        response: { 200: z.object({ items: z.array(Approval) }) },
      },
    },
    async (request) => {
      const rows = await listApprovals(ctx.store.db, {
        status: request.query.status,
        runId: request.query.run,
        limit: request.query.limit,
      });
      return {
        items: rows.map((a) => ({
          id: a.id,
          runId: a.run_id,
          stepId: a.step_id,
          message: a.message,
          approvers: JSON.parse(a.approvers) as string[],
          quorum: a.quorum,
          status: a.status,
          escalated: a.escalated === 1,
          deadlineAt: a.deadline_at,
          createdAt: a.created_at,
          decidedAt: a.decided_at,
          action: a.action,
          input: a.action_input === null ? null : (JSON.parse(a.action_input) as Record<string, unknown>),
          requestedBy: a.requested_by,
        })),
      };
    },
  );
  app.post(
    '/approvals/:id/decision',
    {
      config: { access: 'approvals:decide' },
      schema: {
        tags,
        params: z.object({ id: z.string() }),
        body: z.object({
          decision: z.enum(['approved', 'rejected']),
          comment: z.string().max(2_000).optional(),
          breakGlassReason: z.string().max(2_000).optional(),
        }),
        response: { 200: Decided },
      },
    },
    async (request) =>
      decideApproval(ctx, {
        approvalId: request.params.id,
        approver: principalOf(request),
        decision: request.body.decision,
        comment: request.body.comment,
        breakGlass: request.body.breakGlassReason ? { reason: request.body.breakGlassReason } : undefined,
      }),
  );
  app.post(
    '/approvals/:id/links',
    {
      config: { access: 'users:admin' },
      schema: {
        tags,
        summary: 'sign one-click approve and reject links for one approver (chat, e-mail)',
        params: z.object({ id: z.string() }),
        body: z.object({
          username: z.string().min(1),
          ttl: z
            .string()
            .regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 30m, 4h or 1d')
            .default('4h'),
        }),
        response: {
          201: z.object({ approve: z.string(), reject: z.string(), expiresAt: z.number() }),
        },
      },
    },
    async (request, reply) => {
      const links = await issueApprovalLinks(ctx, linkKey, {
        approvalId: request.params.id,
        username: request.body.username,
        ttlMs: Math.min(durationMs(request.body.ttl), 7 * 86_400_000),
      });
      return reply.code(201).send(links);
    },
  );
  // Plain HTML forms post url-encoded bodies; in this scope only, so the rest of the API stays JSON.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 8_192 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );
  const Token = z.string().min(10).max(4_000);
  // What a clicked link shows: the request and one button; nothing is decided by a GET.
  app.get(
    '/approvals/link',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'the confirmation page of a one-click link',
        querystring: z.object({ token: Token }),
      },
    },
    async (request, reply) => {
      const p = await previewApprovalLink(ctx, linkKey, request.query.token);
      const verb = p.decision === 'approved' ? 'Approve' : 'Reject';
      const body =
        `<p>${escapeHtml(p.approval.message)}</p>` +
        (p.approval.action ? `<p>Action: <code>${escapeHtml(p.approval.action)}</code></p>` : '') +
        `<p>Signed in as ${escapeHtml(p.approver)}. Status: ${escapeHtml(p.approval.status)}.</p>` +
        (p.approval.status === 'pending'
          ? `<form method="post" action="link"><input type="hidden" name="token" value="${escapeHtml(request.query.token)}">` +
            `<button type="submit">${verb}</button></form>`
          : '');
      return reply
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .type('text/html; charset=utf-8')
        .send(page(`${verb} this request?`, body));
    },
  );
  // The signed token is the credential: bound to one approval, one decision and one person, single use.
  app.post(
    '/approvals/link',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'redeem a one-click link (JSON, or the confirmation page’s form, answered in HTML)',
        body: z.object({ token: Token }),
        response: { 200: z.union([Decided, z.string().describe('the HTML answer to a form post')]) },
      },
    },
    async (request, reply) => {
      const result = await redeemApprovalLink(ctx, linkKey, request.body.token);
      if (!String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded'))
        return result;
      return reply
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(
          page(
            'Thank you',
            `<p>Your decision is recorded. The request is ${escapeHtml(result.status)} ` +
              `(${result.approvals} of ${result.quorum} approvals).</p>`,
          ),
        );
    },
  );
};
