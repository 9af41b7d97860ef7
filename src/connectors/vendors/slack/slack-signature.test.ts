import { describe, expect, it } from 'vitest';
import { parseSlackApprovalCallback } from './slack-approval.js';
import { signSlackRequest, verifySlackSignature } from './slack-signature.js';

// The worked example of Slack's "Verifying requests from Slack" guide.
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const TIMESTAMP = '1531420618';
const BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const DOC_SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const AT = Number(TIMESTAMP) * 1000;

describe('verifySlackSignature', () => {
  it("accepts Slack's documented example", () => {
    expect(signSlackRequest(SECRET, TIMESTAMP, BODY)).toBe(DOC_SIGNATURE);
    expect(
      verifySlackSignature({
        signingSecret: SECRET,
        timestamp: TIMESTAMP,
        signature: DOC_SIGNATURE,
        rawBody: BODY,
        nowMs: AT,
      }),
    ).toEqual({ ok: true });
  });

  it('rejects a changed body, a wrong secret and a malformed header', () => {
    const base = {
      signingSecret: SECRET,
      timestamp: TIMESTAMP,
      signature: DOC_SIGNATURE,
      rawBody: BODY,
      nowMs: AT,
    };
    expect(verifySlackSignature({ ...base, rawBody: `${BODY}x` })).toMatchObject({
      ok: false,
      reason: 'signature does not match',
    });
    expect(verifySlackSignature({ ...base, signingSecret: 'another-secret-000' })).toMatchObject({
      ok: false,
    });
    expect(verifySlackSignature({ ...base, signature: 'a2114d57' })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('X-Slack-Signature'),
    });
    expect(verifySlackSignature({ ...base, timestamp: undefined })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('Timestamp'),
    });
  });

  it('rejects a replay older than five minutes', () => {
    const result = verifySlackSignature({
      signingSecret: SECRET,
      timestamp: TIMESTAMP,
      signature: DOC_SIGNATURE,
      rawBody: BODY,
      nowMs: AT + 301_000,
    });
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('replay') });
  });
});

describe('parseSlackApprovalCallback', () => {
  const payload = (actionId: string) =>
    new URLSearchParams({
      payload: JSON.stringify({
        type: 'block_actions',
        user: { id: 'U0ALICE', username: 'alice' },
        team: { id: 'T0ACME' },
        channel: { id: 'C0SOC000001' },
        message: { ts: '1764000000.000200' },
        response_url: 'https://hooks.slack.com/actions/T0ACME/1/abc',
        actions: [{ action_id: actionId, block_id: 'riposte_approval', value: 'appr-1', type: 'button' }],
      }),
    }).toString();

  it('reads an approve click', () => {
    expect(parseSlackApprovalCallback(payload('riposte_approve'))).toEqual({
      ok: true,
      decision: {
        approvalId: 'appr-1',
        decision: 'approve',
        slackUserId: 'U0ALICE',
        slackUserName: 'alice',
        teamId: 'T0ACME',
        channelId: 'C0SOC000001',
        messageTs: '1764000000.000200',
        responseUrl: 'https://hooks.slack.com/actions/T0ACME/1/abc',
      },
    });
  });

  it('reads a reject click and refuses foreign buttons or garbage', () => {
    expect(parseSlackApprovalCallback(payload('riposte_reject'))).toMatchObject({
      ok: true,
      decision: { decision: 'reject' },
    });
    expect(parseSlackApprovalCallback(payload('other_button'))).toMatchObject({ ok: false });
    expect(parseSlackApprovalCallback('payload=%7Bnot-json')).toMatchObject({
      ok: false,
      reason: 'payload is not JSON',
    });
    expect(parseSlackApprovalCallback('a=b')).toMatchObject({ ok: false });
  });
});
