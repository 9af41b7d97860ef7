import { randomBytes } from 'node:crypto';
import type { FakeReply, FakeVendor } from './fake-server.js';

/** Cloudflare API v4 IP Access Rules (account scope) and token verification, in the v4 envelope. */
export interface CloudflareRule {
  id: string;
  mode: string;
  configuration: { target: string; value: string };
  notes: string;
}

export interface CloudflareState {
  apiToken: string;
  accountId: string;
  rules: CloudflareRule[];
}

const ok = (result: unknown, status = 200): FakeReply => ({
  status,
  body: { success: true, errors: [], messages: [], result },
});
export const cloudflareError = (status: number, code: number, message: string): FakeReply => ({
  status,
  body: { success: false, errors: [{ code, message }], messages: [], result: null },
});

const MODES = ['block', 'challenge', 'whitelist', 'js_challenge', 'managed_challenge'];

export function cloudflareFake(state: CloudflareState): FakeVendor {
  const base = `/accounts/${state.accountId}/firewall/access_rules/rules`;
  const ruleRoute = new RegExp(`^${base}/([0-9a-f]{32})$`);
  return {
    authorize(req) {
      if (req.headers.authorization !== `Bearer ${state.apiToken}`)
        return cloudflareError(403, 10000, 'Authentication error');
      return undefined;
    },
    notFound: () => cloudflareError(404, 7003, 'Could not route to the requested path'),
    routes: [
      {
        method: 'GET',
        path: '/user/tokens/verify',
        handle: () => ok({ id: 'ed17574386854bf78a67040be0a770b0', status: 'active' }),
      },
      {
        method: 'GET',
        path: base,
        handle(req) {
          const target = req.query.get('configuration.target');
          const value = req.query.get('configuration.value');
          const result = state.rules.filter(
            (r) =>
              (!target || r.configuration.target === target) && (!value || r.configuration.value === value),
          );
          return {
            status: 200,
            body: {
              success: true,
              errors: [],
              messages: [],
              result,
              result_info: { page: 1, per_page: 20, count: result.length, total_count: result.length },
            },
          };
        },
      },
      {
        method: 'POST',
        path: base,
        handle(req) {
          const b = req.json as
            | { mode?: unknown; configuration?: { target?: unknown; value?: unknown }; notes?: unknown }
            | undefined;
          if (typeof b?.mode !== 'string' || !MODES.includes(b.mode))
            return cloudflareError(400, 10001, 'firewallaccessrules.api.validation_error:mode');
          const { target, value } = b.configuration ?? {};
          if (
            !['ip', 'ip6', 'ip_range', 'asn', 'country'].includes(String(target)) ||
            typeof value !== 'string'
          ) {
            return cloudflareError(400, 10001, 'firewallaccessrules.api.validation_error:configuration');
          }
          if (state.rules.some((r) => r.configuration.value === value)) {
            return cloudflareError(400, 10009, 'firewallaccessrules.api.duplicate_of_existing');
          }
          const rule = {
            id: randomBytes(16).toString('hex'),
            mode: b.mode,
            configuration: { target: String(target), value },
            notes: String(b.notes ?? ''),
          };
          state.rules.push(rule);
          return ok({ ...rule, allowed_modes: MODES, scope: { id: state.accountId, type: 'account' } });
        },
      },
      {
        method: 'PATCH',
        path: ruleRoute,
        handle(req, [id]) {
          const rule = state.rules.find((r) => r.id === id);
          if (!rule) return cloudflareError(404, 10001, 'firewallaccessrules.api.not_found');
          const b = req.json as { mode?: unknown; notes?: unknown } | undefined;
          if (typeof b?.mode === 'string') rule.mode = b.mode;
          if (typeof b?.notes === 'string') rule.notes = b.notes;
          return ok(rule);
        },
      },
      {
        method: 'DELETE',
        path: ruleRoute,
        handle(req, [id]) {
          const before = state.rules.length;
          state.rules = state.rules.filter((r) => r.id !== id);
          return before === state.rules.length
            ? cloudflareError(404, 10001, 'firewallaccessrules.api.not_found')
            : ok({ id });
        },
      },
    ],
  };
}
