import { brotliCompressSync, deflateSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsRoutes } from '../../src/api/alerts/alerts.routes.js';
import { signWebhook } from '../../src/connectors/vendors/webhook/webhook-signature.js';
import { generateMasterKey } from '../../src/governance/secrets/secret-box.js';
import { asRole, buildTestApi, type TestApi } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

const json = { 'content-type': 'application/json' };
const ndjson = { 'content-type': 'application/x-ndjson' };

/** POST /alerts, POST /alerts/ndjson and a source's webhook take the same bodies and refuse them alike. */
describe.each(DIALECTS)('ingest request bodies on %s', (dialect) => {
  let handle: TestStoreHandle;
  let api: TestApi;
  beforeEach(async () => {
    handle = await openTestStore(dialect);
    api = await buildTestApi(handle.store, [{ name: 'alerts', plugin: alertsRoutes }], {
      config: { masterKey: generateMasterKey().key.toString('base64') },
    });
  });
  afterEach(async () => {
    await api.app.close();
    await handle.cleanup();
  });

  const post = (url: string, payload: string | Buffer, headers: Record<string, string>) =>
    api.app.inject({ method: 'POST', url, payload, headers: { ...asRole('ingest'), ...headers } });
  const createSource = async (body: Record<string, unknown>): Promise<string> =>
    (
      await api.app.inject({
        method: 'POST',
        url: '/api/v1/sources',
        headers: { ...json, ...asRole('admin') },
        payload: JSON.stringify(body),
      })
    ).json().token as string;
  const hook = (name: string, token: string, payload: string | Buffer, headers: Record<string, string>) =>
    api.app.inject({
      method: 'POST',
      url: `/api/v1/sources/${name}/webhook`,
      payload,
      headers: { 'x-riposte-token': token, ...headers },
    });
  const problem = (res: { json: () => { code: string; message: string; details: unknown } }) => {
    const { code, message, details } = res.json();
    return { code, message, details };
  };

  it('holds a JSON body to one alert or 1 to 10,000, through POST /alerts or a webhook, naming the limit', async () => {
    const token = await createSource({ name: 'edr' });
    const tooMany = JSON.stringify(Array.from({ length: 10_001 }, () => ({})));
    for (const [payload, message] of [
      [tooMany, /^body: the array holds 10,001 items: send one alert .* an array of 1 to 10,000 alerts/],
      ['[]', /^body: the array holds 0 items/],
      ['5', /^body: send one alert \(a JSON object\) or an array of 1 to 10,000 alerts/],
    ] as const) {
      const viaApi = await post('/api/v1/alerts', payload, json);
      expect(viaApi.statusCode).toBe(400);
      expect(viaApi.json().message).toMatch(message);
      const viaHook = await hook('edr', token, payload, json);
      expect(viaHook.statusCode).toBe(400);
      expect(problem(viaHook)).toEqual(problem(viaApi));
    }
    expect(await handle.store.db.selectFrom('alerts').select('id').execute()).toEqual([]);
  });

  it('answers an NDJSON webhook as POST /alerts/ndjson: rejections with paths, truncated past 1,000', async () => {
    // The generic mapper names the field it missed, so each rejection has a path.
    const generic = { mapper: 'generic', mapperConfig: { title: 'alert.name' } };
    await createSource({ name: 'gen-api', ...generic });
    const token = await createSource({ name: 'gen-hook', ...generic });
    // Their one good line differs, or the second would join the first's case and answer casesCreated 0.
    const body = (good: string) =>
      `${[...Array.from({ length: 1_001 }, (_, i) => JSON.stringify({ other: i })), good].join('\n')}\n`;
    const viaApi = await post(
      '/api/v1/alerts/ndjson?source=gen-api',
      body('{"alert":{"name":"api"}}'),
      ndjson,
    );
    const viaHook = await hook('gen-hook', token, body('{"alert":{"name":"hook"}}'), ndjson);
    expect(viaHook.statusCode).toBe(200);
    expect(viaHook.json()).toEqual(viaApi.json());
    expect(viaHook.json()).toMatchObject({ accepted: 1, rejected: 1_001, rejectionsTruncated: true });
    expect(viaHook.json().rejections).toHaveLength(1_000);
    expect(viaHook.json().rejections[0]).toEqual({
      line: 1,
      reason: 'the configured title field is missing',
      path: 'alert.name',
    });
  });

  it('reads gzip, deflate and Brotli bodies on every ingest route, as log shippers send them', async () => {
    const token = await createSource({ name: 'edr' });
    const alert = (id: string) => JSON.stringify({ title: `packed ${id}`, severity: 'low', id });
    const codings = [
      ['gzip', gzipSync],
      ['x-gzip', gzipSync],
      ['deflate', deflateSync],
      ['br', brotliCompressSync],
    ] as const;
    let n = 0;
    for (const [coding, pack] of codings) {
      const as = { 'content-encoding': coding };
      const answers = [
        await post('/api/v1/alerts', pack(alert(`${(n += 1)}`)), { ...json, ...as }),
        await post('/api/v1/alerts', pack(`[${alert(`${(n += 1)}`)},${alert(`${(n += 1)}`)}]`), {
          ...json,
          ...as,
        }),
        await post('/api/v1/alerts/ndjson', pack(`${alert(`${(n += 1)}`)}\n${alert(`${(n += 1)}`)}\n`), {
          ...ndjson,
          ...as,
        }),
        await hook('edr', token, pack(alert(`${(n += 1)}`)), { ...json, ...as }),
        await hook('edr', token, pack(`${alert(`${(n += 1)}`)}\n`), { ...ndjson, ...as }),
      ];
      expect(answers.map((r) => [r.statusCode, r.json().accepted])).toEqual([
        [200, 1],
        [200, 2],
        [200, 2],
        [200, 1],
        [200, 1],
      ]);
    }
    // Each alert's raw event is its text as sent before compression.
    const stored = await handle.store.db.selectFrom('alerts').select(['title', 'raw']).execute();
    expect(stored).toHaveLength(n);
    expect(stored.find((a) => a.title === 'packed 1')?.raw).toBe(alert('1'));
  });

  it('refuses a body that is not what its Content-Encoding says, or inflates past the limit', async () => {
    const token = await createSource({ name: 'edr' });
    const gzip = { 'content-encoding': 'gzip' };
    const broken = Buffer.from('{"title":"not gzip at all"}');
    for (const res of [
      await post('/api/v1/alerts', broken, { ...json, ...gzip }),
      await post('/api/v1/alerts/ndjson', broken, { ...ndjson, ...gzip }),
      await hook('edr', token, broken, { ...json, ...gzip }),
      await hook('edr', token, broken, { ...ndjson, ...gzip }),
    ]) {
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'RIPOSTE_VALIDATION' });
      expect(res.json().message).toMatch(/^the body is not valid gzip as its Content-Encoding says: /);
    }
    // Deflate and Brotli end where their data ends, and zlib ignores what follows: a body with bytes after
    // them is not what its coding says either (an alert appended after them was dropped without a word).
    const smuggled = Buffer.from('\n{"title":"smuggled","id":"x"}');
    for (const [coding, pack] of [
      ['deflate', deflateSync],
      ['br', brotliCompressSync],
    ] as const) {
      const as = { 'content-encoding': coding };
      const body = Buffer.concat([pack(`${JSON.stringify({ title: 'packed', id: 'p' })}\n`), smuggled]);
      for (const res of [
        await post('/api/v1/alerts', body, { ...json, ...as }),
        await post('/api/v1/alerts/ndjson', body, { ...ndjson, ...as }),
        await hook('edr', token, body, { ...json, ...as }),
        await hook('edr', token, body, { ...ndjson, ...as }),
      ]) {
        expect(res.statusCode, `${coding}: ${res.body}`).toBe(400);
        expect(res.json().message).toMatch(/bytes follow the end of the compressed data$/);
      }
    }
    expect(await handle.store.db.selectFrom('alerts').select('id').execute()).toEqual([]);
    // Cut short in the middle of a stream: the same 400, the break named.
    const lines = Array.from({ length: 3 }, (_, i) => JSON.stringify({ title: `whole ${i}`, id: `w${i}` }));
    const packed = gzipSync(`${lines.join('\n')}\n${'x'.repeat(5_000)}`);
    const cut = await post('/api/v1/alerts/ndjson', packed.subarray(0, packed.length - 200), {
      ...ndjson,
      ...gzip,
    });
    expect(cut.statusCode).toBe(400);
    expect(cut.json().message).toMatch(/not valid gzip/);

    // 10 MiB of zeros in 10 KB: refused once past the body limit (1 MiB here), whole or as a webhook's.
    await api.app.close();
    api = await buildTestApi(handle.store, [{ name: 'alerts', plugin: alertsRoutes }], {
      config: { masterKey: generateMasterKey().key.toString('base64'), bodyLimitBytes: 1_048_576 },
    });
    const limited = await createSource({ name: 'edr2' });
    const bomb = gzipSync(Buffer.alloc(10 * 1_048_576, 0x20));
    for (const res of [
      await post('/api/v1/alerts', bomb, { ...json, ...gzip }),
      await hook('edr2', limited, bomb, { ...json, ...gzip }),
    ]) {
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({ code: 'RIPOSTE_PAYLOAD_TOO_LARGE' });
    }
  });

  it('checks a signed webhook over the body as sent, compressed', async () => {
    const made = await api.app.inject({
      method: 'POST',
      url: '/api/v1/sources',
      headers: { ...json, ...asRole('admin') },
      payload: JSON.stringify({ name: 'signed', token: false, hmac: true }),
    });
    expect(made.statusCode).toBe(201);
    const secret = made.json().hmacSecret as string;
    const body = gzipSync(JSON.stringify({ title: 'signed and packed', id: 's1' }));
    const timestamp = String(Math.floor(api.ctx.clock.now() / 1000));
    const send = (signedOver: Buffer) =>
      api.app.inject({
        method: 'POST',
        url: '/api/v1/sources/signed/webhook',
        payload: body,
        headers: {
          ...json,
          'content-encoding': 'gzip',
          'x-riposte-timestamp': timestamp,
          'x-riposte-signature': signWebhook(secret, timestamp, signedOver),
        },
      });
    expect((await send(body)).statusCode).toBe(200);
    expect((await send(gunzipSync(body))).statusCode).toBe(401);
  });

  it('refuses other codings and charsets other than UTF-8 with 415 naming them, on every ingest route', async () => {
    const token = await createSource({ name: 'edr' });
    const alert = (id: string) => JSON.stringify({ title: `alert ${id}`, severity: 'low', id });
    for (const coding of ['zstd', 'compress', 'gzip, br']) {
      const as = { 'content-encoding': coding };
      const refused = [
        await post('/api/v1/alerts', alert('1'), { ...json, ...as }),
        await post('/api/v1/alerts/preview', JSON.stringify({ source: 'edr', alerts: [] }), {
          ...json,
          ...as,
        }),
        await post('/api/v1/alerts/ndjson', `${alert('2')}\n`, { ...ndjson, ...as }),
        await hook('edr', token, alert('3'), { ...json, ...as }),
        await hook('edr', token, `${alert('4')}\n`, { ...ndjson, ...as }),
      ];
      for (const res of refused) {
        expect(res.statusCode).toBe(415);
        expect(res.json()).toMatchObject({
          code: 'RIPOSTE_UNSUPPORTED_MEDIA_TYPE',
          message: `Content-Encoding ${coding} is not supported: send the body as is, or with gzip, deflate or br`,
        });
        expect(res.headers['accept-encoding']).toBe('gzip, deflate, br, identity');
      }
    }
    // The webhook says nothing about the body before the credential is checked.
    const zstd = { 'content-encoding': 'zstd' };
    expect((await hook('edr', 'rpi_wrong', alert('5'), { ...json, ...zstd })).statusCode).toBe(401);

    const latin1 = [
      await post('/api/v1/alerts', alert('6'), { 'content-type': 'application/json; charset=ISO-8859-1' }),
      await post('/api/v1/alerts/ndjson', `${alert('7')}\n`, {
        'content-type': 'application/x-ndjson; charset=ISO-8859-1',
      }),
      await hook('edr', token, alert('8'), { 'content-type': 'application/json;charset="iso-8859-1"' }),
      await hook('edr', token, 'a syslog line\n', { 'content-type': 'text/plain; charset=iso-8859-1' }),
    ];
    for (const res of latin1) {
      expect(res.statusCode).toBe(415);
      expect(res.json().message).toBe('charset iso-8859-1 is not supported: send the body in UTF-8');
    }

    const readable = [
      await post('/api/v1/alerts', alert('9'), { 'content-type': 'application/json; charset=UTF-8' }),
      await post('/api/v1/alerts/ndjson', `${alert('10')}\n`, {
        'content-type': 'application/x-ndjson; charset="us-ascii"',
      }),
      await hook('edr', token, alert('11'), { ...json, 'content-encoding': 'identity' }),
      // UTF-8 under the name many clients give it, and an empty charset: taken, as they were before.
      await post('/api/v1/alerts', alert('12'), { 'content-type': 'application/json; charset=utf8' }),
      await post('/api/v1/alerts', alert('13'), { 'content-type': 'application/json;charset=' }),
    ];
    expect(readable.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200]);
  });
});
