import { describe, expect, it } from 'vitest';
import { approvalBlocks, decidedApprovalBlocks, SLACK_APPROVAL_BLOCK } from './slack-approval.js';

const original = approvalBlocks({
  text: 'Isolate host-7?',
  approvalId: 'a1',
  approveLabel: 'Approve',
  rejectLabel: 'Reject',
}) as Array<Record<string, unknown>>;

const decided = (status: string, approvals: number, blocks = original) =>
  decidedApprovalBlocks({
    original: blocks,
    originalText: 'Isolate host-7?',
    decision: 'approved',
    slackUserId: 'U0ALICE',
    decidedBy: 'alice',
    status,
    approvals,
    quorum: 2,
  });

describe('the approval message after a decision', () => {
  it('keeps the buttons while the quorum is not met, with the vote noted above them', () => {
    const { blocks } = decided('pending', 1);
    const ids = (blocks as Array<Record<string, unknown>>).map((b) => b.block_id ?? b.type);
    expect(ids).toEqual(['section', 'context', SLACK_APPROVAL_BLOCK]);
    expect(JSON.stringify(blocks)).toContain('1 of 2 approvals, waiting for more');
  });

  it('removes the buttons once decided, keeping earlier votes', () => {
    const first = decided('pending', 1).blocks as Array<Record<string, unknown>>;
    const { blocks, text } = decided('approved', 2, first);
    const ids = (blocks as Array<Record<string, unknown>>).map((b) => b.block_id ?? b.type);
    expect(ids).toEqual(['section', 'context', 'context']);
    expect(JSON.stringify(blocks)).toContain('the request is approved');
    expect(text).toBe('Isolate host-7? (approved by alice)');
  });

  it('rebuilds the question from the text when Slack sent no blocks', () => {
    const { blocks } = decided('approved', 2, []);
    expect(JSON.stringify(blocks)).toContain('Isolate host-7?');
  });
});
