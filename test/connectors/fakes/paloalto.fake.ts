import type { FakeReply, FakeVendor } from './fake-server.js';

/** PAN-OS XML API: `type=op` registered-ip and system info, `type=user-id` tag register/unregister. */
export interface PanState {
  apiKey: string;
  /** Address → registered tags. */
  registered: Map<string, string[]>;
  /** Every User-ID message received. */
  uidMessages: string[];
}

const xml = (status: number, body: string): FakeReply => ({
  status,
  body,
  headers: { 'content-type': 'application/xml; charset=UTF-8' },
});

const error = (status: number, code: number, msg: string) =>
  xml(status, `<response status = 'error' code = '${code}'><result><msg>${msg}</msg></result></response>`);

function registeredIpAnswer(state: PanState, ip: string): FakeReply {
  const tags = state.registered.get(ip) ?? [];
  const entries = tags.length
    ? `<entry ip="${ip}" from_agent="0" persistent="1"><tag>${tags.map((t) => `<member>${t}</member>`).join('')}</tag></entry>`
    : '';
  return xml(
    200,
    `<response status="success"><result>${entries}<count>${tags.length ? 1 : 0}</count></result></response>`,
  );
}

function applyUid(state: PanState, cmd: string): FakeReply {
  state.uidMessages.push(cmd);
  const m =
    /^<uid-message><version>2\.0<\/version><type>update<\/type><payload><(register|unregister)><entry ip="([^"]+)"[^>]*><tag><member[^>]*>([^<]+)<\/member><\/tag><\/entry><\/\1><\/payload><\/uid-message>$/.exec(
      cmd,
    );
  if (!m) return error(200, 17, 'Invalid uid-message');
  const [, verb, ip = '', tag = ''] = m;
  const tags = state.registered.get(ip) ?? [];
  if (verb === 'register' && !tags.includes(tag)) tags.push(tag);
  state.registered.set(ip, verb === 'register' ? tags : tags.filter((t) => t !== tag));
  return xml(
    200,
    `<response status="success"><result><uid-response><version>2.0</version><payload><${verb}></${verb}></payload></uid-response></result></response>`,
  );
}

export function paloaltoFake(state: PanState): FakeVendor {
  return {
    authorize(req) {
      return req.headers['x-pan-key'] === state.apiKey ? undefined : error(403, 403, 'Invalid Credential');
    },
    notFound: () => xml(404, '<html><body>Not Found</body></html>'),
    routes: [
      {
        method: 'POST',
        path: '/api/',
        handle(req) {
          const type = req.form.get('type');
          const cmd = req.form.get('cmd') ?? '';
          if (type === 'user-id') return applyUid(state, cmd);
          if (type !== 'op') return error(400, 6, 'Bad request: unknown type');
          if (cmd === '<show><system><info></info></system></show>') {
            return xml(
              200,
              '<response status="success"><result><system><hostname>pa-fw1</hostname><sw-version>11.1.2</sw-version></system></result></response>',
            );
          }
          const ip =
            /^<show><object><registered-ip><ip>([^<]+)<\/ip><\/registered-ip><\/object><\/show>$/.exec(
              cmd,
            )?.[1];
          return ip ? registeredIpAnswer(state, ip) : error(200, 17, `Invalid command: ${cmd}`);
        },
      },
    ],
  };
}
