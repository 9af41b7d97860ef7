import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { alertsRoutes } from '../../src/api/alerts/alerts.routes.js';
import { signWebhook } from '../../src/connectors/vendors/webhook/webhook-signature.js';
import { keyringLoader } from '../../src/governance/secrets/master-key-file.js';
import { generateMasterKey, sealSecret } from '../../src/governance/secrets/secret-box.js';
import { hmacSecretAad } from '../../src/store/alerts/ingest-source.repository.js';
import { asRole, buildTestApi, ManualClock, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

const json = { 'content-type': 'application/json' };
const T0 = Date.UTC(2026, 0, 1);
const seconds = (ms: number): string => String(Math.floor(ms / 1000));

/**
 * Signed webhooks carry `X-Riposte-Timestamp`, and the signature covers it, so a captured call cannot be sent
 * again once 5 minutes have passed (after the de-duplication window it would open a new alert and case).
 */
describe.each(DIALECTS)('webhook signature timestamps on %s', (dialect) => {
  let handle: TestStoreHandle;
  let api: TestApi;
  const clock = new ManualClock(T0);
  const masterKey = generateMasterKey().key.toString('base64');
  const open = async (upTo?: string) => {
    clock.set(T0);
    handle = await openTestStore(dialect, upTo === undefined ? {} : { upTo });
  };
  const start = async () => {
    api = await buildTestApi(handle.store, [{ name: 'alerts', plugin: alertsRoutes }], {
      clock,
      config: { masterKey },
    });
  };
  afterEach(async () => {
    await api.app.close();
    await handle.cleanup();
  });

  const createSource = async (body: Record<string, unknown>) =>
    (
      await api.app.inject({
        method: 'POST',
        url: '/api/v1/sources',
        headers: { ...json, ...asRole('admin') },
        payload: JSON.stringify(body),
      })
    ).json() as { hmacSecret: string; source: { requireTimestamp: boolean } };

  const hook = (name: string, body: string, headers: Record<string, string>) =>
    api.app.inject({
      method: 'POST',
      url: `/api/v1/sources/${name}/webhook`,
      payload: body,
      headers: { ...json, ...headers },
    });
  const timestamped = (secret: string, body: string, timestamp = seconds(clock.now())) => ({
    'x-riposte-timestamp': timestamp,
    'x-riposte-signature': signWebhook(secret, timestamp, body),
  });
  const bodyOnly = (secret: string, body: string) => ({
    'x-riposte-signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
  });
  const alertBody = (id: string) =>
    JSON.stringify({ title: `Ransomware on ${id}`, severity: 'critical', id });
  const alertCount = async () => (await handle.store.db.selectFrom('alerts').select('id').execute()).length;

  it('refuses a signed call replayed after 5 minutes, and one signed over the body alone', async () => {
    await open();
    await start();
    const { hmacSecret, source } = await createSource({ name: 'edr', hmac: true, token: false });
    expect(source.requireTimestamp).toBe(true);
    const body = alertBody('host-7');
    const headers = timestamped(hmacSecret, body);
    expect((await hook('edr', body, headers)).json()).toMatchObject({ accepted: 1, casesCreated: 1 });

    clock.advance(25 * 3600_000);
    const replayed = await hook('edr', body, headers);
    expect(replayed.statusCode).toBe(401);
    expect(replayed.json().message).toMatch(/within 5 minutes of the server's clock/);
    expect(await alertCount()).toBe(1);

    // The same body signed now goes in (the sender's retry of a real event comes with a new timestamp).
    expect((await hook('edr', body, timestamped(hmacSecret, body))).statusCode).toBe(200);
    // Up to 5 minutes either way of the server's clock, not beyond.
    const now = clock.now();
    const signedAt = (id: string, timestamp: string) =>
      hook('edr', alertBody(id), timestamped(hmacSecret, alertBody(id), timestamp));
    expect((await signedAt('a', seconds(now - 299_000))).statusCode).toBe(200);
    expect((await signedAt('b', seconds(now + 299_000))).statusCode).toBe(200);
    expect((await signedAt('c', seconds(now - 301_000))).statusCode).toBe(401);
    expect((await signedAt('d', seconds(now + 301_000))).statusCode).toBe(401);
    const notSeconds = await signedAt('e', `${seconds(now)}.5`);
    expect(notSeconds.json().message).toMatch(/must be unix seconds/);

    // The timestamp is signed: one moved forward to look fresh breaks the signature (a plain 401).
    const moved = { ...headers, 'x-riposte-timestamp': seconds(clock.now()) };
    const tampered = await hook('edr', body, moved);
    expect(tampered.statusCode).toBe(401);
    expect(tampered.json().message).toBe("send the source's X-Riposte-Token or a valid X-Riposte-Signature");

    const unstamped = await hook('edr', alertBody('f'), bodyOnly(hmacSecret, alertBody('f')));
    expect(unstamped.statusCode).toBe(401);
    expect(unstamped.json().message).toMatch(/requires X-Riposte-Timestamp/);
    expect(api.logs.join('')).not.toContain(hmacSecret);
  });

  it('takes a signature over the body alone only from a source that does not require timestamps', async () => {
    await open();
    await start();
    const { hmacSecret, source } = await createSource({
      name: 'old-tool',
      hmac: true,
      requireTimestamp: false,
    });
    expect(source.requireTimestamp).toBe(false);
    expect((await hook('old-tool', alertBody('1'), bodyOnly(hmacSecret, alertBody('1')))).statusCode).toBe(
      200,
    );
    // A timestamped signature is still held to the clock on such a source.
    const stale = timestamped(hmacSecret, alertBody('2'), seconds(clock.now() - 3600_000));
    expect((await hook('old-tool', alertBody('2'), stale)).statusCode).toBe(401);
    const fresh = timestamped(hmacSecret, alertBody('3'));
    expect((await hook('old-tool', alertBody('3'), fresh)).statusCode).toBe(200);
    // Captured, and replayed after the window without its timestamp header, as a body-only call whose body is
    // the signed message `<ts>.<body>`: an NDJSON body's later lines would be stored again. Refused.
    clock.set(clock.now() + 40 * 86_400_000);
    const message = `${fresh['x-riposte-timestamp']}.${alertBody('3')}\n${alertBody('3b')}`;
    const capturedSignature = signWebhook(
      hmacSecret,
      fresh['x-riposte-timestamp'],
      `${alertBody('3')}\n${alertBody('3b')}`,
    );
    const replay = await api.app.inject({
      method: 'POST',
      url: '/api/v1/sources/old-tool/webhook',
      payload: message,
      headers: { 'content-type': 'application/x-ndjson', 'x-riposte-signature': capturedSignature },
    });
    expect(replay.statusCode, replay.body).toBe(401);

    const changed = await api.app.inject({
      method: 'PATCH',
      url: '/api/v1/sources/old-tool',
      headers: { ...json, ...asRole('admin') },
      payload: JSON.stringify({ requireTimestamp: true }),
    });
    expect(changed.json().source.requireTimestamp).toBe(true);
    expect((await hook('old-tool', alertBody('4'), bodyOnly(hmacSecret, alertBody('4')))).statusCode).toBe(
      401,
    );
  });

  it('keeps accepting body-only signatures for a source made before timestamps existed', async () => {
    await open('0018_a_alert_event_ids');
    const keyring = keyringLoader({ masterKey, dataDir: '/nonexistent' });
    await handle.store.db
      .insertInto('ingest_sources')
      .values({
        name: 'legacy',
        description: '',
        mapper: 'auto',
        mapper_config: null,
        token_hash: null,
        hmac_secret: sealSecret(keyring(), 'legacy-secret', hmacSecretAad('legacy')),
        enabled: 1,
        created_at: T0,
        updated_at: T0,
      })
      .execute();
    await handle.store.migrate();
    await start();
    const sources = await api.app.inject({ method: 'GET', url: '/api/v1/sources', headers: asRole('admin') });
    expect(sources.json().sources).toMatchObject([{ name: 'legacy', requireTimestamp: false }]);
    expect((await hook('legacy', alertBody('1'), bodyOnly('legacy-secret', alertBody('1')))).statusCode).toBe(
      200,
    );
  });

  it('refuses a call without a right credential before reading its body', async () => {
    await open();
    await start();
    const { token } = (await createSource({ name: 'edr', token: true, hmac: true })) as unknown as {
      token: string;
    };
    const address = await api.app.listen({ host: '127.0.0.1', port: 0 });
    // A body announced at 8 MiB of which 1 KiB is sent: the answer must come without the rest.
    const answer = (headers: Record<string, string>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${address}/api/v1/sources/edr/webhook`, {
          method: 'POST',
          headers: { ...json, 'content-length': String(8 * 1024 * 1024), ...headers },
        });
        req.on('response', (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body });
            req.destroy();
          });
        });
        req.on('error', reject);
        req.write('x'.repeat(1024));
      });
    const bad: Array<Record<string, string>> = [
      {},
      { 'x-riposte-token': 'rpi_wrong' },
      { 'x-riposte-signature': 'sha256=zz' },
      { 'x-riposte-signature': `sha256=${'0'.repeat(64)}`, 'x-riposte-token': `${token}x` },
    ];
    for (const headers of bad) {
      const { status, body } = await answer(headers);
      expect(status, JSON.stringify(headers)).toBe(401);
      expect(JSON.parse(body)).toMatchObject({ code: 'RIPOSTE_UNAUTHENTICATED' });
    }
    // A right token, and a signature (which needs the body), still go on to read it.
    expect((await hook('edr', alertBody('1'), { 'x-riposte-token': token })).statusCode).toBe(200);
  });
});
