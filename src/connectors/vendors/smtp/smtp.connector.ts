import { z } from 'zod';
import { ConnectorErrorCode, permanentError } from '../../framework/connector-errors.js';
import {
  connectorConfig,
  defineAction,
  defineConnector,
  secret,
  type ActionContext,
} from '../../framework/define-connector.js';
import { checkSmtp, sendMail, type SmtpSettings } from './smtp-client.js';
import { messageIdFor } from './smtp-message.js';

/**
 * E-mail through an SMTP relay (RFC 5321) with STARTTLS (RFC 3207) or implicit TLS, and AUTH PLAIN
 * (RFC 4616). Not HTTP: the instance's own host and port are the only place it connects to.
 */
export const SmtpConfig = connectorConfig({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535).default(587),
  security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
  username: z.string().min(1).optional(),
  password: secret(z.string().min(1)).optional(),
  from: z.email(),
  /** The name sent with EHLO. */
  clientName: z.string().min(1).default('riposte.localdomain'),
});
export type SmtpConfig = z.infer<typeof SmtpConfig>;

type Ctx = ActionContext<SmtpConfig>;

const settingsOf = (config: SmtpConfig): SmtpSettings => ({
  host: config.host,
  port: config.port,
  security: config.security,
  implicitTls: config.security === 'tls',
  username: config.username,
  password: config.password,
  clientName: config.clientName,
  caCertPem: config.caCertPem,
  timeoutMs: config.timeoutMs,
});

const Address = z.email();

export const smtpConnector = defineConnector({
  name: 'smtp',
  title: 'SMTP e-mail',
  description: 'Send plain-text e-mail through an SMTP relay (STARTTLS or TLS, AUTH PLAIN).',
  config: SmtpConfig,
  actions: [
    defineAction({
      name: 'smtp.send_email',
      description: 'Send a plain-text e-mail; the Message-ID is derived from the step key',
      risk: 'read',
      input: z.object({
        to: z.array(Address).min(1).max(100),
        cc: z.array(Address).max(100).default([]),
        subject: z.string().min(1).max(998),
        text: z.string().max(1_000_000),
      }),
      output: z.object({
        messageId: z.string(),
        accepted: z.array(z.string()),
        rejected: z.array(z.string()),
        response: z.string(),
      }),
      example: {
        messageId: '<riposte.3f1c9a2b7d4e5f60718293a4b5c6d7e8@example.com>',
        accepted: ['soc@example.com'],
        rejected: [],
        response: '250 2.0.0 Ok: queued as 4Bx1yZ2',
      },
      // SMTP has no idempotency: a retried send delivers twice (with the same Message-ID, which some
      // mail systems collapse). The engine must not retry it blindly.
      idempotency: 'none',
      async run(ctx: Ctx, input) {
        if (input.subject.includes('\n') || input.subject.includes('\r')) {
          throw permanentError(ConnectorErrorCode.invalidInput, 'subject may not contain line breaks');
        }
        return sendMail(
          settingsOf(ctx.config),
          { from: ctx.config.from, to: input.to, cc: input.cc, subject: input.subject, text: input.text },
          { messageId: messageIdFor(ctx.idempotencyKey, ctx.config.from), date: new Date(ctx.now()) },
          ctx.signal,
        );
      },
    }),
  ],
  async test(ctx) {
    return { ok: true, message: await checkSmtp(settingsOf(ctx.config as SmtpConfig), ctx.signal) };
  },
});
