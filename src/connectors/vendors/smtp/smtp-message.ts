import { createHash } from 'node:crypto';

export interface MailMessage {
  from: string;
  to: readonly string[];
  cc: readonly string[];
  subject: string;
  text: string;
}

const hasLineBreak = (v: string) => /[\r\n]/.test(v);

/** RFC 2047 encoded-word for a header value that is not plain ASCII. */
const encodeHeader = (value: string): string =>
  /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;

/** Base64 body in 76-character lines (RFC 2045): safe for any text and any line length. */
const base64Lines = (text: string): string =>
  (
    Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8')
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join('\r\n');

/** A Message-ID derived from the step key: a retried send carries the same id, so receivers can dedupe. */
export const messageIdFor = (idempotencyKey: string, from: string): string =>
  `<riposte.${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}@${from.split('@')[1] ?? 'riposte.invalid'}>`;

/**
 * The RFC 5322 message, CRLF line ends. Header values with line breaks are refused: they would let a
 * playbook input inject headers (Bcc:) into the mail.
 */
export function buildMessage(message: MailMessage, messageId: string, date: Date): string {
  for (const [name, value] of [
    ['from', message.from],
    ['subject', message.subject],
    ...message.to.map((t) => ['to', t]),
    ...message.cc.map((c) => ['cc', c]),
  ] as const) {
    if (hasLineBreak(value)) throw new Error(`${name} may not contain line breaks`);
  }
  const headers = [
    `From: ${message.from}`,
    `To: ${message.to.join(', ')}`,
    ...(message.cc.length ? [`Cc: ${message.cc.join(', ')}`] : []),
    `Subject: ${encodeHeader(message.subject)}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    'Auto-Submitted: auto-generated',
  ];
  return `${headers.join('\r\n')}\r\n\r\n${base64Lines(message.text)}\r\n`;
}

/** DATA transparency (RFC 5321 §4.5.2): a line starting with a dot gets a second one. */
export const dotStuff = (data: string): string => data.replace(/(^|\r\n)\./g, '$1..');
