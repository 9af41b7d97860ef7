import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../src/connectors/action-executor.js';
import { messageIdFor } from '../../../src/connectors/vendors/smtp/smtp-message.js';
import { smtpConnector } from '../../../src/connectors/vendors/smtp/smtp.connector.js';
import { makeTestCertificate } from '../../support/test-certificate.js';
import { startSmtpFake, type SmtpFake } from '../fakes/smtp.fake.js';
import { createTestbed, type Testbed } from '../support/connector-harness.js';

const USER = 'riposte@example.com';
const PASS = 'smtp-Pa55word-value';

describe('smtp connector', () => {
  let fake: SmtpFake;
  let plainOnly: SmtpFake;
  let busy: SmtpFake;
  let bed: Testbed & { sleeps: number[] };
  const { key, cert } = makeTestCertificate();

  beforeAll(async () => {
    fake = await startSmtpFake({ key, cert, username: USER, password: PASS });
    plainOnly = await startSmtpFake({ key, cert, username: USER, password: PASS, offerStartTls: false });
    busy = await startSmtpFake({ key, cert, username: USER, password: PASS, busy: true });
    const base = {
      host: '127.0.0.1',
      username: USER,
      from: 'riposte@example.com',
      caCertPem: cert,
      timeoutMs: 5_000,
    };
    bed = await createTestbed(
      [smtpConnector],
      [
        { connector: 'smtp', config: { ...base, port: fake.port, password: PASS } },
        {
          connector: 'smtp',
          name: 'smtp-bad',
          config: { ...base, port: fake.port, password: 'wrong-password-123' },
        },
        {
          connector: 'smtp',
          name: 'smtp-untrusted',
          config: { ...base, port: fake.port, password: PASS, caCertPem: undefined },
        },
        { connector: 'smtp', name: 'smtp-plain', config: { ...base, port: plainOnly.port, password: PASS } },
        { connector: 'smtp', name: 'smtp-busy', config: { ...base, port: busy.port, password: PASS } },
      ],
    );
  });
  afterAll(async () => {
    await bed.close();
    await Promise.all([fake.close(), plainOnly.close(), busy.close()]);
  });

  it('sends over STARTTLS with AUTH PLAIN, dot-stuffed, with a Message-ID from the step key', async () => {
    const result = await bed.run(
      'smtp.send_email',
      {
        to: ['soc@example.com', 'ghost@unknown.example'],
        cc: ['ciso@example.com'],
        subject: 'Case 42 — ransomware',
        text: 'Host isolated.\n.\nEnd.',
      },
      { idempotencyKey: 'k-mail' },
    );
    expect(result.output).toEqual({
      messageId: messageIdFor('k-mail', 'riposte@example.com'),
      accepted: ['soc@example.com', 'ciso@example.com'],
      rejected: ['ghost@unknown.example'],
      response: '250 2.0.0 Ok: queued as 4Bx1yZ2',
    });
    const mail = fake.mails.at(-1);
    expect(mail).toMatchObject({
      from: 'riposte@example.com',
      rcpt: ['soc@example.com', 'ciso@example.com'],
      secure: true,
      authUser: USER,
    });
    expect(mail?.data).toContain(`Message-ID: ${messageIdFor('k-mail', 'riposte@example.com')}`);
    expect(mail?.data).toContain('Subject: =?UTF-8?B?');
    const body = mail?.data.split('\r\n\r\n')[1]?.replace(/\r\n/g, '') ?? '';
    expect(Buffer.from(body, 'base64').toString('utf8')).toBe('Host isolated.\r\n.\r\nEnd.');
    expect(fake.commands.slice(0, 3)).toEqual([
      'EHLO riposte.localdomain',
      'STARTTLS',
      'EHLO riposte.localdomain',
    ]);
  });

  it('refused credentials (535): non-retryable auth failure without the password', async () => {
    const err = await bed
      .run('smtp.send_email', { to: ['soc@example.com'], subject: 's', text: 't' }, { instance: 'smtp-bad' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ code: 'CONNECTOR_AUTH_FAILED', retryable: false, status: 535 });
    expect((err as Error).message).not.toContain('wrong-password-123');
    expect((err as Error).message).not.toContain(
      Buffer.from(`\0${USER}\0wrong-password-123`).toString('base64'),
    );
  });

  it('verifies the server certificate: an unknown CA fails as a TLS error', async () => {
    await expect(
      bed.run(
        'smtp.send_email',
        { to: ['soc@example.com'], subject: 's', text: 't' },
        { instance: 'smtp-untrusted' },
      ),
    ).rejects.toMatchObject({ code: 'CONNECTOR_TLS', retryable: false });
  });

  it('refuses to authenticate when the server offers no STARTTLS', async () => {
    await expect(
      bed.run(
        'smtp.send_email',
        { to: ['soc@example.com'], subject: 's', text: 't' },
        { instance: 'smtp-plain' },
      ),
    ).rejects.toMatchObject({ message: expect.stringContaining('does not offer STARTTLS') });
    expect(plainOnly.commands.some((c) => c.startsWith('AUTH'))).toBe(false);
  });

  it('a 4xx reply is a retryable (transient) failure', async () => {
    await expect(
      bed.run(
        'smtp.send_email',
        { to: ['soc@example.com'], subject: 's', text: 't' },
        { instance: 'smtp-busy' },
      ),
    ).rejects.toMatchObject({ code: 'CONNECTOR_UNAVAILABLE', retryable: true, status: 421 });
  });

  it('refuses recipients that are not addresses before connecting', async () => {
    await expect(
      bed.run('smtp.send_email', {
        to: ['soc@example.com>\r\nRCPT TO:<x@evil.example'],
        subject: 's',
        text: 't',
      }),
    ).rejects.toMatchObject({ code: 'CONNECTOR_INVALID_INPUT' });
  });

  it('test() opens an authenticated session and quits without sending', async () => {
    const before = fake.mails.length;
    await expect(bed.runtime.testInstance('smtp-test', AbortSignal.timeout(5000))).resolves.toMatchObject({
      ok: true,
      message: expect.stringContaining('over TLS and the credentials'),
    });
    expect(fake.mails.length).toBe(before);
  });
});
