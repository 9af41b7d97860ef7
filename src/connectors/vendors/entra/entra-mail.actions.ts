import { z } from 'zod';
import { defineAction } from '../../framework/define-connector.js';
import { assetRef } from '../../safety/asset-ref.js';
import { odataString } from './microsoft-identity.js';
import { graph, UserKey, userPath, type EntraContext } from './entra-api.js';

const Message = z.looseObject({
  id: z.string(),
  subject: z.string().nullable().optional(),
  receivedDateTime: z.string().optional(),
  internetMessageId: z.string().optional(),
  from: z.looseObject({ emailAddress: z.looseObject({ address: z.string().optional() }) }).optional(),
});

const FoundMessage = z.object({
  mailbox: z.string(),
  id: z.string(),
  subject: z.string().nullable(),
  from: z.string().nullable(),
  receivedDateTime: z.string().nullable(),
  internetMessageId: z.string().nullable(),
});

export const searchMessages = defineAction({
  name: 'entra.search_messages',
  description:
    'Find a message (by Internet Message-ID) in the given mailboxes, e.g. every recipient of a phish',
  risk: 'read',
  input: z.object({
    internetMessageId: z.string().min(3).max(998),
    mailboxes: z.array(UserKey).min(1).max(100),
  }),
  output: z.object({ messages: z.array(FoundMessage), searched: z.number() }),
  example: {
    messages: [
      {
        mailbox: 'adele.vance@contoso.com',
        id: 'AAMkAGI2TG93AAA=',
        subject: 'Invoice overdue',
        from: 'billing@examp1e.com',
        receivedDateTime: '2026-11-25T08:14:00Z',
        internetMessageId: '<CAB1x2y3@mail.examp1e.com>',
      },
    ],
    searched: 1,
  },
  idempotency: 'natural',
  async run(ctx: EntraContext, input) {
    const messages: Array<z.infer<typeof FoundMessage>> = [];
    for (const mailbox of input.mailboxes) {
      const { body } = await graph(
        ctx,
        {
          path: `${userPath(mailbox)}/messages`,
          query: {
            $filter: `internetMessageId eq ${odataString(input.internetMessageId)}`,
            $select: 'id,subject,from,receivedDateTime,internetMessageId',
          },
        },
        z.looseObject({ value: z.array(Message) }),
      );
      for (const m of body.value) {
        messages.push({
          mailbox,
          id: m.id,
          subject: m.subject ?? null,
          from: m.from?.emailAddress.address ?? null,
          receivedDateTime: m.receivedDateTime ?? null,
          internetMessageId: m.internetMessageId ?? null,
        });
      }
    }
    return { messages, searched: input.mailboxes.length };
  },
});

export const purgeMessages = defineAction({
  name: 'entra.purge_messages',
  description:
    'Delete found messages: `soft` moves them to Deleted Items (the user can restore), `hard` deletes them permanently',
  risk: 'destructive',
  input: z.object({
    messages: z
      .array(z.object({ mailbox: UserKey, id: z.string().min(1).max(512) }))
      .min(1)
      .max(500),
    mode: z.enum(['soft', 'hard']).default('soft'),
  }),
  output: z.object({ deleted: z.number(), alreadyGone: z.number() }),
  example: { deleted: 12, alreadyGone: 0 },
  // A message already deleted answers 404, counted as gone: a retry deletes nothing twice.
  idempotency: 'natural',
  targets: (input) => [...new Set(input.messages.map((m) => m.mailbox))].map((m) => assetRef('user', m)),
  async run(ctx: EntraContext, input) {
    let deleted = 0;
    let alreadyGone = 0;
    for (const m of input.messages) {
      const path = `${userPath(m.mailbox)}/messages/${encodeURIComponent(m.id)}`;
      const { status } = await graph(
        ctx,
        input.mode === 'hard'
          ? { method: 'POST', path: `${path}/permanentDelete`, okStatuses: [404], idempotent: true }
          : { method: 'DELETE', path, okStatuses: [404] },
        z.unknown(),
      );
      if (status === 404) alreadyGone++;
      else deleted++;
    }
    if (deleted === 0) ctx.markAlreadyApplied();
    return { deleted, alreadyGone };
  },
});
