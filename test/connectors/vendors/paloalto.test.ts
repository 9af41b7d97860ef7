import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/action-executor.js';
import { paloaltoConnector } from '../../../src/connectors/vendors/paloalto/paloalto.connector.js';
import { assertSuccess, registeredTags } from '../../../src/connectors/vendors/paloalto/panos-xml.js';
import { paloaltoFake, type PanState } from '../fakes/paloalto.fake.js';
import {
  createBench,
  failureOf,
  startFakeVendor,
  type Bench,
  type FakeServer,
} from '../support/connector-harness.js';

const KEY = 'LUFRPT1TWFhUNWUk5N1Fjd3ZnMzh3MXlTOVJyb0kxSG5IWk5QTkdPNw==';

describe('PAN-OS XML answers', () => {
  it('reads registered tags and error messages in either quoting', () => {
    const xml = `<response status="success"><result><entry ip="203.0.113.7" persistent="1"><tag><member>a</member><member timeout="60">b&amp;c</member></tag></entry></result></response>`;
    expect(registeredTags(xml, '203.0.113.7')).toEqual(['a', 'b&c']);
    expect(registeredTags(xml, '203.0.113.8')).toEqual([]);
    expect(() =>
      assertSuccess(`<response status = 'error' code = '17'><msg><line>bad</line></msg></response>`, 'x'),
    ).toThrow(/code 17.*bad/);
  });
});

describe('paloalto connector against a fake PAN-OS XML API', () => {
  let state: PanState;
  let server: FakeServer;
  let bench: Bench;

  beforeEach(async () => {
    state = { apiKey: KEY, registered: new Map(), uidMessages: [] };
    server = await startFakeVendor(paloaltoFake(state));
    bench = await createBench(paloaltoConnector, { baseUrl: server.url, apiKey: KEY });
  });
  afterEach(async () => {
    await bench.close();
    await server.close();
  });

  it('tags an address with a User-ID register message sent with X-PAN-KEY', async () => {
    const result = await bench.run('paloalto.tag_ip', { ip: '203.0.113.7', timeoutSeconds: 3600 });
    expect(result.output).toEqual({ ip: '203.0.113.7', tag: 'riposte-block' });
    expect(state.registered.get('203.0.113.7')).toEqual(['riposte-block']);
    expect(state.uidMessages[0]).toContain('<member timeout="3600">riposte-block</member>');
    expect(server.requests.every((r) => r.headers['x-pan-key'] === KEY && r.form.has('type'))).toBe(true);
  });

  it('sends no second register when the tag is already on the address', async () => {
    await bench.run('paloalto.tag_ip', { ip: '203.0.113.7' });
    const again = await bench.run('paloalto.tag_ip', { ip: '203.0.113.7' });
    expect(again.alreadyApplied).toBe(true);
    expect(state.uidMessages).toHaveLength(1);
  });

  it('undoes the tag (OpenC2 deny, then its undo) and a second undo sends nothing', async () => {
    const tagged = await bench.run(
      'openc2.deny.ipv4_net',
      { ipv4_net: '203.0.113.9/32' },
      { instance: 'paloalto-test' },
    );
    expect(tagged.undo).toEqual({
      action: 'paloalto.untag_ip',
      input: { ip: '203.0.113.9', tag: 'riposte-block' },
    });
    await bench.run(tagged.undo!.action, tagged.undo!.input);
    expect(state.registered.get('203.0.113.9')).toEqual([]);
    const again = await bench.run(tagged.undo!.action, tagged.undo!.input);
    expect(again.alreadyApplied).toBe(true);
    expect(state.uidMessages).toHaveLength(2);
  });

  it('refuses a protected address', async () => {
    await bench.protect('ip', '203.0.113.0/24');
    expect(await failureOf(bench.run('paloalto.tag_ip', { ip: '203.0.113.7' }))).toMatchObject({
      code: 'CONNECTOR_PROTECTED_ASSET',
    });
  });

  it('fails with a non-retryable auth error on an invalid key, naming no key', async () => {
    state.apiKey = 'another-key-value';
    const err = await failureOf(bench.run('paloalto.tag_ip', { ip: '203.0.113.7' }));
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ code: 'CONNECTOR_AUTH_FAILED', retryable: false });
    expect(err.message).toContain('Invalid Credential');
    expect(err.message).not.toContain(KEY);
  });

  it('tests the instance with show system info', async () => {
    const outcome = await bench.runtime.testInstance('paloalto-test', AbortSignal.timeout(5_000));
    expect(outcome).toMatchObject({ ok: true, message: 'PAN-OS 11.1.2 accepted the API key' });
  });
});
