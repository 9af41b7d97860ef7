import { expect } from 'vitest';

/** A signed-in HTTP session against a running Riposte, for seeding data through the real API. */
export interface HttpSession {
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** Sends JSON text as written: a number past 2^53 survives only as text. */
  send<T>(method: string, path: string, json: string): Promise<T>;
}

export async function signInOverHttp(
  baseUrl: string,
  username: string,
  password: string,
): Promise<HttpSession> {
  const login = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  expect(login.status, await login.clone().text()).toBe(200);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  const send = async <T>(method: string, path: string, json: string | undefined): Promise<T> => {
    const response = await fetch(`${baseUrl}/api/v1${path}`, {
      method,
      headers: {
        cookie,
        'x-csrf-token': csrfToken,
        ...(json === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: json,
    });
    const text = await response.text();
    expect(response.ok, `${method} ${path}: ${response.status} ${text}`).toBe(true);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return {
    call: <T>(method: string, path: string, body?: unknown) =>
      send<T>(method, path, body === undefined ? undefined : JSON.stringify(body)),
    send,
  };
}

/** A Suricata EVE alert as the sensor sends it, with a signature unique to the test. */
export function suricataAlert(signature: string, now: Date): Record<string, unknown> {
  return {
    timestamp: now.toISOString().replace('Z', '+0000'),
    flow_id: 1539072613142662,
    in_iface: 'eth0',
    event_type: 'alert',
    src_ip: '10.20.30.40',
    src_port: 49152,
    dest_ip: '203.0.113.66',
    dest_port: 443,
    proto: 'TCP',
    alert: {
      action: 'allowed',
      gid: 1,
      signature_id: 2_100_498,
      rev: 7,
      signature,
      category: 'A Network Trojan was detected',
      severity: 1,
    },
    app_proto: 'tls',
  };
}
