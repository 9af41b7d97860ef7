import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { decideApproval, redeemApprovalLink } from '../../app/playbooks/approval-decisions.js';
import { listApprovals } from '../../store/runs/approval.repository.js';
import { principalOf } from '../auth/authorize.js';
import type { RoutePlugin } from '../route-plugin.js';

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

/**
 * The key one-click approval links are signed with: derived from the master key, so every process of one
 * installation agrees. Without a configured master key it is random per process (links die with it).
 */
export function approvalLinkKey(masterKey: string | undefined): Uint8Array {
  return createHmac('sha256', masterKey ?? randomBytes(32))
    .update('riposte approval links v1')
    .digest();
}

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
          limit: z.coerce.number().int().min(1).max(500).default(50),
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
  // The signed token is the credential: bound to one approval, one decision and one person, single use.
  app.post(
    '/approvals/link',
    {
      config: { access: 'public' },
      schema: { tags, body: z.object({ token: z.string().min(10).max(4_000) }), response: { 200: Decided } },
    },
    async (request) => redeemApprovalLink(ctx, linkKey, request.body.token),
  );
};
