import { z } from 'zod';
import {
  connectorConfig,
  defineAction,
  defineConnector,
  secret,
  type ActionContext,
} from '../../framework/define-connector.js';
import { assetRef } from '../../safety/asset-ref.js';
import { assertSuccess, registeredTags } from './panos-xml.js';

/**
 * Palo Alto Networks PAN-OS XML API: the API key in the `X-PAN-KEY` header. Blocking uses the User-ID API
 * to tag addresses: a dynamic address group matching the tag, used by a deny policy, blocks them at once,
 * with no commit.
 */
export const PaloAltoConfig = connectorConfig({
  /** The firewall's or Panorama's management address (add its CA with caCertPem). */
  baseUrl: z.url({ protocol: /^https?$/ }),
  apiKey: secret(z.string().min(8)),
  /** The tag the block dynamic address group matches. */
  blockTag: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,127}$/)
    .default('riposte-block'),
  /** Virtual system the User-ID mappings go to (multi-vsys firewalls). */
  vsys: z
    .string()
    .regex(/^vsys\d+$/)
    .optional(),
});
export type PaloAltoConfig = z.infer<typeof PaloAltoConfig>;
type PanContext = ActionContext<PaloAltoConfig>;

async function xmlApi(ctx: PanContext, form: Record<string, string>, what: string): Promise<string> {
  const res = await ctx.http.request(
    {
      method: 'POST',
      path: '/api/',
      headers: { 'X-PAN-KEY': ctx.config.apiKey, accept: 'application/xml' },
      form: ctx.config.vsys ? { ...form, vsys: ctx.config.vsys } : form,
      // Registering or unregistering a tag twice leaves the same mapping; op commands only read.
      idempotent: true,
    },
    ctx.signal,
  );
  assertSuccess(res.text, what);
  return res.text;
}

async function tagsOf(ctx: PanContext, ip: string): Promise<string[]> {
  const xml = await xmlApi(
    ctx,
    { type: 'op', cmd: `<show><object><registered-ip><ip>${ip}</ip></registered-ip></object></show>` },
    `the registered-ip query for ${ip}`,
  );
  return registeredTags(xml, ip);
}

/** A User-ID message registering or unregistering one tag on one address (values are validated). */
function uidMessage(
  verb: 'register' | 'unregister',
  ip: string,
  tag: string,
  timeoutSeconds?: number,
): string {
  const timeout = timeoutSeconds ? ` timeout="${timeoutSeconds}"` : '';
  const persistent = verb === 'register' ? ' persistent="1"' : '';
  return (
    `<uid-message><version>2.0</version><type>update</type><payload><${verb}>` +
    `<entry ip="${ip}"${persistent}><tag><member${timeout}>${tag}</member></tag></entry>` +
    `</${verb}></payload></uid-message>`
  );
}

const Ip = z
  .string()
  .transform((v) => v.replace(/\/(32|128)$/, ''))
  .pipe(z.union([z.ipv4(), z.ipv6()]));
const Tag = z.string().regex(/^[A-Za-z0-9_.-]{1,127}$/, 'a PAN-OS tag (letters, digits, _ . -)');
const TagInput = z.object({
  ip: Ip,
  tag: Tag.optional(),
  timeoutSeconds: z.number().int().min(0).max(2_592_000).optional(),
});
type TagInput = z.infer<typeof TagInput>;
const UntagInput = TagInput.omit({ timeoutSeconds: true });
type UntagInput = z.infer<typeof UntagInput>;
const Output = z.object({ ip: z.string(), tag: z.string() });
const ipOf = (t: Record<string, unknown>): TagInput & UntagInput => ({ ip: String(t.ipv4_net ?? '') });

/** Palo Alto Networks PAN-OS: block addresses by tagging them into a dynamic address group. */
export const paloaltoConnector = defineConnector({
  name: 'paloalto',
  title: 'Palo Alto Networks PAN-OS',
  description:
    'Tag addresses for a dynamic address group used by a deny policy (User-ID API, no commit needed).',
  config: PaloAltoConfig,
  actions: [
    defineAction({
      name: 'paloalto.tag_ip',
      description:
        'Register the block tag (or another) on an address; optional timeout after which PAN-OS drops it',
      risk: 'contain',
      input: z.object({
        ip: Ip,
        tag: Tag.optional(),
        timeoutSeconds: z.number().int().min(0).max(2_592_000).optional(),
      }),
      output: Output,
      example: { ip: '203.0.113.7', tag: 'riposte-block' },
      idempotency: 'query-first',
      undo: { action: 'paloalto.untag_ip', input: (_input, output) => ({ ip: output.ip, tag: output.tag }) },
      targets: (input) => [assetRef('ip', input.ip)],
      openc2: { action: 'deny', target: 'ipv4_net', input: ipOf },
      async run(ctx: PanContext, input) {
        const tag = input.tag ?? ctx.config.blockTag;
        if ((await tagsOf(ctx, input.ip)).includes(tag)) {
          ctx.markAlreadyApplied();
          return { ip: input.ip, tag };
        }
        await xmlApi(
          ctx,
          { type: 'user-id', cmd: uidMessage('register', input.ip, tag, input.timeoutSeconds) },
          `tagging ${input.ip}`,
        );
        return { ip: input.ip, tag };
      },
    }),
    defineAction({
      name: 'paloalto.untag_ip',
      description: 'Unregister the tag from an address',
      risk: 'contain',
      reverses: true,
      input: UntagInput,
      output: Output,
      example: { ip: '203.0.113.7', tag: 'riposte-block' },
      idempotency: 'query-first',
      openc2: { action: 'allow', target: 'ipv4_net', input: ipOf },
      async run(ctx: PanContext, input) {
        const tag = input.tag ?? ctx.config.blockTag;
        if (!(await tagsOf(ctx, input.ip)).includes(tag)) {
          ctx.markAlreadyApplied();
          return { ip: input.ip, tag };
        }
        await xmlApi(
          ctx,
          { type: 'user-id', cmd: uidMessage('unregister', input.ip, tag) },
          `untagging ${input.ip}`,
        );
        return { ip: input.ip, tag };
      },
    }),
  ],
  async test(ctx) {
    const xml = await xmlApi(
      ctx as PanContext,
      { type: 'op', cmd: '<show><system><info></info></system></show>' },
      'show system info',
    );
    const version = /<sw-version>([^<]*)<\/sw-version>/.exec(xml)?.[1];
    return { ok: true, message: `PAN-OS ${version ?? '(unknown version)'} accepted the API key` };
  },
});
