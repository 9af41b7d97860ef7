import { ConnectorError } from '../../action-executor.js';
import { ConnectorErrorCode, redactSecrets } from '../../framework/connector-errors.js';
import { SmtpConnection, SmtpProtocolError, type SmtpEndpoint } from './smtp-connection.js';
import { buildMessage, dotStuff, type MailMessage } from './smtp-message.js';

export interface SmtpSettings extends SmtpEndpoint {
  /** `starttls` requires the server to offer STARTTLS; `tls` is implicit TLS; `none` only without AUTH. */
  security: 'starttls' | 'tls' | 'none';
  username?: string;
  password?: string;
  /** The name we greet with (EHLO). */
  clientName: string;
}

export interface SendResult {
  messageId: string;
  accepted: string[];
  rejected: string[];
  response: string;
}

/** Opens a session: greeting, EHLO, STARTTLS when asked (then EHLO again), AUTH PLAIN when configured. */
async function openSession(settings: SmtpSettings, signal: AbortSignal): Promise<SmtpConnection> {
  const conn = await SmtpConnection.open({ ...settings, implicitTls: settings.security === 'tls' }, signal);
  try {
    await conn.expect([220], 'greeting');
    let ehlo = await conn.command(`EHLO ${settings.clientName}`, [250]);
    if (settings.security === 'starttls') {
      if (!ehlo.lines.some((l) => /^STARTTLS\b/i.test(l))) {
        throw new SmtpProtocolError(
          `${settings.host} does not offer STARTTLS; refusing to send credentials or mail in clear`,
        );
      }
      await conn.command('STARTTLS', [220]);
      await conn.upgrade();
      ehlo = await conn.command(`EHLO ${settings.clientName}`, [250]);
    }
    if (settings.username && settings.password) {
      if (!conn.secure)
        throw new SmtpProtocolError('AUTH over an unencrypted connection is refused: use starttls or tls');
      if (!ehlo.lines.some((l) => /^AUTH\b.*\bPLAIN\b/i.test(l)))
        throw new SmtpProtocolError(`${settings.host} does not offer AUTH PLAIN`);
      // RFC 4616: authorization id (empty), authentication id, password, NUL separated, base64.
      const token = Buffer.from(`\0${settings.username}\0${settings.password}`, 'utf8').toString('base64');
      await conn.command(`AUTH PLAIN ${token}`, [235], 'AUTH PLAIN [credentials]');
    }
    return conn;
  } catch (err) {
    conn.close();
    throw err;
  }
}

/** Maps SMTP and socket failures to connector errors: 4xx transient, 5xx permanent, 535 auth. */
export function smtpError(err: unknown, where: string, secrets: readonly string[]): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const text = redactSecrets(err instanceof Error ? err.message : String(err), secrets);
  if (err instanceof SmtpProtocolError && err.reply) {
    const code = err.reply.code;
    if (code === 535 || code === 534 || code === 530) {
      return new ConnectorError(ConnectorErrorCode.authFailed, `${where} refused the credentials: ${text}`, {
        retryable: false,
        status: code,
      });
    }
    if (code >= 400 && code < 500)
      return new ConnectorError(ConnectorErrorCode.unavailable, `${where} is temporarily refusing: ${text}`, {
        retryable: true,
        status: code,
      });
    return new ConnectorError(ConnectorErrorCode.rejected, `${where} rejected: ${text}`, {
      retryable: false,
      status: code,
    });
  }
  const code = (err as { code?: string }).code ?? '';
  if (/CERT|SELF_SIGNED|ALTNAME|SSL|TLS/i.test(`${code} ${text}`)) {
    return new ConnectorError(
      ConnectorErrorCode.tls,
      `TLS verification of ${where} failed (${code || text}); add its CA with caCertPem`,
      { retryable: false, cause: err },
    );
  }
  if (err instanceof SmtpProtocolError)
    return new ConnectorError(ConnectorErrorCode.rejected, `${where}: ${text}`, {
      retryable: false,
      cause: err,
    });
  return new ConnectorError(ConnectorErrorCode.network, `cannot reach ${where} (${code || text})`, {
    retryable: true,
    cause: err,
  });
}

/**
 * Sends one message (RFC 5321): MAIL FROM, RCPT TO per recipient (refused ones are reported, and the
 * send fails only when none is accepted), DATA with dot-stuffing, QUIT.
 */
export async function sendMail(
  settings: SmtpSettings,
  message: MailMessage,
  meta: { messageId: string; date: Date },
  signal: AbortSignal,
): Promise<SendResult> {
  const where = `SMTP ${settings.host}:${settings.port}`;
  const secrets = [settings.password ?? ''].filter(Boolean);
  let conn: SmtpConnection | undefined;
  try {
    const data = dotStuff(buildMessage(message, meta.messageId, meta.date));
    conn = await openSession(settings, signal);
    await conn.command(`MAIL FROM:<${message.from}>`, [250]);
    const accepted: string[] = [];
    const rejected: string[] = [];
    for (const rcpt of [...message.to, ...message.cc]) {
      const reply = await conn.command(`RCPT TO:<${rcpt}>`, [250, 251, 450, 451, 452, 550, 551, 552, 553]);
      (reply.code < 300 ? accepted : rejected).push(rcpt);
    }
    if (accepted.length === 0) {
      await conn.command('RSET', [250]).catch(() => undefined);
      throw new ConnectorError(
        ConnectorErrorCode.rejected,
        `${where} accepted none of the recipients (${rejected.join(', ')})`,
        { retryable: false },
      );
    }
    await conn.command('DATA', [354]);
    conn.write(`${data}.\r\n`);
    const done = await conn.expect([250], 'end of DATA');
    await conn.command('QUIT', [221]).catch(() => undefined);
    return {
      messageId: meta.messageId,
      accepted,
      rejected,
      response: `${done.code} ${done.lines.join(' ')}`,
    };
  } catch (err) {
    throw smtpError(err, where, secrets);
  } finally {
    conn?.close();
  }
}

/** Connects, greets, upgrades and authenticates, then quits: the harmless connection test. */
export async function checkSmtp(settings: SmtpSettings, signal: AbortSignal): Promise<string> {
  const where = `SMTP ${settings.host}:${settings.port}`;
  let conn: SmtpConnection | undefined;
  try {
    conn = await openSession(settings, signal);
    await conn.command('QUIT', [221]).catch(() => undefined);
    return `${where} accepted the session${conn.secure ? ' over TLS' : ''}${settings.username ? ' and the credentials' : ''}`;
  } catch (err) {
    throw smtpError(err, where, [settings.password ?? ''].filter(Boolean));
  } finally {
    conn?.close();
  }
}
