import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SlackSignatureInput {
  signingSecret: string;
  /** `X-Slack-Request-Timestamp`: seconds since the epoch, as sent. */
  timestamp: string | undefined;
  /** `X-Slack-Signature`: `v0=` and the hex HMAC. */
  signature: string | undefined;
  /** The request body exactly as received, before any parsing. */
  rawBody: string;
  /** Milliseconds since the epoch (injected: the API layer passes its clock). */
  nowMs: number;
  /** How old a request may be; Slack recommends five minutes against replays. */
  toleranceSeconds?: number;
}

export type SlackSignatureResult = { ok: true } | { ok: false; reason: string };

/**
 * Verifies a Slack request signature, version v0 (https://api.slack.com/authentication/verifying-requests-from-slack):
 * HMAC-SHA256 over `v0:{timestamp}:{raw body}` with the app's signing secret, compared in constant time, and
 * a timestamp within the tolerance so a captured request cannot be replayed later. Pure: no I/O, no clock.
 */
export function verifySlackSignature(input: SlackSignatureInput): SlackSignatureResult {
  const { timestamp, signature } = input;
  if (!timestamp || !/^\d+$/.test(timestamp))
    return { ok: false, reason: 'missing or malformed X-Slack-Request-Timestamp' };
  if (!signature || !signature.startsWith('v0='))
    return { ok: false, reason: 'missing or malformed X-Slack-Signature' };
  const ageSeconds = Math.abs(input.nowMs / 1000 - Number(timestamp));
  if (ageSeconds > (input.toleranceSeconds ?? 300)) {
    return { ok: false, reason: 'request timestamp is outside the allowed window (possible replay)' };
  }
  const expected = `v0=${createHmac('sha256', input.signingSecret).update(`v0:${timestamp}:${input.rawBody}`).digest('hex')}`;
  const a = Buffer.from(expected);
  const b = Buffer.from(signature);
  if (a.length !== b.length || !timingSafeEqual(a, b))
    return { ok: false, reason: 'signature does not match' };
  return { ok: true };
}

/** Signs a body the way Slack does: for tests and for tools that replay callbacks. */
export const signSlackRequest = (signingSecret: string, timestamp: string, rawBody: string): string =>
  `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
