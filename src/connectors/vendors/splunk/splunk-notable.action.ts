import { z } from 'zod';
import { ConnectorError } from '../../action-executor.js';
import { ConnectorErrorCode } from '../../framework/connector-errors.js';
import { defineAction, type ActionContext } from '../../framework/define-connector.js';
import { splunkAuthHeader as authHeader } from './splunk-auth.js';
import type { SplunkConfig } from './splunk.config.js';
import { lookupTable } from '../../../domain/shared/lookup-table.js';

type Ctx = ActionContext<SplunkConfig>;

/** ES notable statuses by name; the REST handler takes their numeric ids. */
const NOTABLE_STATUS = lookupTable({
  unassigned: '0',
  new: '1',
  'in progress': '2',
  pending: '3',
  resolved: '4',
  closed: '5',
});

const NotableUpdateResponse = z.looseObject({
  success: z.boolean(),
  message: z.string().optional(),
  success_count: z.number().optional(),
  failure_count: z.number().optional(),
});

/** Enterprise Security `POST /services/notable_update`: status, urgency, owner and a comment on notables. */
export const updateNotableAction = defineAction({
  name: 'splunk.update_notable',
  description: 'Set status, urgency, owner and a comment on Enterprise Security notable events',
  risk: 'read',
  input: z.object({
    eventIds: z.array(z.string().min(1)).min(1).max(1_000),
    status: z
      .union([
        z.enum(['unassigned', 'new', 'in progress', 'pending', 'resolved', 'closed']),
        z.string().regex(/^\d+$/),
      ])
      .optional(),
    urgency: z.enum(['informational', 'low', 'medium', 'high', 'critical']).optional(),
    newOwner: z.string().min(1).optional(),
    comment: z.string().min(1),
  }),
  output: z.object({ updated: z.number(), failed: z.number(), message: z.string() }),
  example: { updated: 1, failed: 0, message: '1 event updated successfully' },
  // Setting a status or owner to the same value twice changes nothing; the comment is repeated at most.
  idempotency: 'natural',
  async run(ctx: Ctx, input) {
    const form = new URLSearchParams();
    for (const id of input.eventIds) form.append('ruleUIDs', id);
    if (input.status) form.set('status', NOTABLE_STATUS(input.status) ?? input.status);
    if (input.urgency) form.set('urgency', input.urgency);
    if (input.newOwner) form.set('newOwner', input.newOwner);
    form.set('comment', input.comment);
    form.set('output_mode', 'json');
    const answer = NotableUpdateResponse.parse(
      await ctx.http.json(
        {
          method: 'POST',
          path: '/services/notable_update',
          headers: { ...authHeader(ctx), 'content-type': 'application/x-www-form-urlencoded' },
          body: form.toString(),
          idempotent: true,
        },
        ctx.signal,
      ),
    );
    if (!answer.success) {
      throw new ConnectorError(
        ConnectorErrorCode.rejected,
        `Splunk ES did not update the notables: ${answer.message ?? 'no reason given'}`,
        { retryable: false },
      );
    }
    return {
      updated: answer.success_count ?? input.eventIds.length - (answer.failure_count ?? 0),
      failed: answer.failure_count ?? 0,
      message: answer.message ?? '',
    };
  },
});
