import { z } from 'zod';
import { connectorConfig, secret, type ActionContext } from '../../framework/define-connector.js';
import type { HttpRequest } from '../../http/http-client.js';

/**
 * FortiOS REST API v2 (Fortinet Developer Network, "FortiOS REST API"): a REST API administrator's token as
 * `Authorization: Bearer`, configuration under /api/v2/cmdb, live state and operations under /api/v2/monitor.
 */
export const FortiGateConfig = connectorConfig({
  /** The FortiGate's management address, e.g. https://fw.example:8443 (add its CA with caCertPem). */
  baseUrl: z.url({ protocol: /^https?$/ }),
  apiKey: secret(z.string().min(8)),
  vdom: z.string().min(1).max(31).default('root'),
  /** An address group referenced by a deny policy; blocked addresses are added to it. */
  blockGroup: z.string().min(1).max(79).default('riposte-blocklist'),
});
export type FortiGateConfig = z.infer<typeof FortiGateConfig>;
export type FortiGateContext = ActionContext<FortiGateConfig>;

/** Sends a request in the instance's VDOM and returns status and parsed body. */
export async function forti(
  ctx: FortiGateContext,
  req: HttpRequest,
): Promise<{ status: number; body: unknown }> {
  const res = await ctx.http.request(
    {
      ...req,
      query: { ...req.query, vdom: ctx.config.vdom },
      headers: { ...req.headers, Authorization: `Bearer ${ctx.config.apiKey}` },
    },
    ctx.signal,
  );
  return { status: res.status, body: res.json() };
}

/** `{ results: [...] }` of a cmdb or monitor GET. */
export const Results = <T extends z.ZodType>(item: T) => z.looseObject({ results: z.array(item) });

/** An address or CIDR as FortiOS writes a subnet: `203.0.113.0 255.255.255.0`. */
export function toSubnet(ipOrCidr: string): string {
  const [ip, prefix = '32'] = ipOrCidr.split('/');
  const bits = Number(prefix);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const dotted = [24, 16, 8, 0].map((s) => (mask >>> s) & 0xff).join('.');
  return `${ip} ${dotted}`;
}

/** The address object Riposte owns for an address or range (names are at most 79 characters). */
export const addressName = (ipOrCidr: string): string => `riposte-${ipOrCidr.replace('/', '_')}`;
