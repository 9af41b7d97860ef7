import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { TLSSocket } from 'node:tls';

export interface ReceivedMail {
  from: string;
  rcpt: string[];
  data: string;
  secure: boolean;
  authUser: string | undefined;
}

export interface SmtpFake {
  port: number;
  mails: ReceivedMail[];
  /** Every command line received (AUTH lines included, as sent). */
  commands: string[];
  close(): Promise<void>;
}

/**
 * An SMTP submission server (RFC 5321) on 127.0.0.1: EHLO with STARTTLS and (after TLS) AUTH PLAIN,
 * MAIL/RCPT/DATA with dot-unstuffing, 535 on bad credentials, 530 when mail comes before AUTH, 550 for
 * unknown recipients, 421 while `busy`.
 */
export async function startSmtpFake(options: {
  key: string;
  cert: string;
  username: string;
  password: string;
  offerStartTls?: boolean;
  busy?: boolean;
}): Promise<SmtpFake> {
  const mails: ReceivedMail[] = [];
  const commands: string[] = [];
  const sockets = new Set<Socket>();

  function session(raw: Socket): void {
    sockets.add(raw);
    let socket: Socket = raw;
    let secure = false;
    let authUser: string | undefined;
    let mail: ReceivedMail | undefined;
    let inData = false;
    let buffer = '';
    const reply = (line: string): void => {
      socket.write(`${line}\r\n`);
    };

    const onLine = (line: string): void => {
      if (inData) {
        if (line === '.') {
          inData = false;
          if (mail) mails.push(mail);
          mail = undefined;
          return reply('250 2.0.0 Ok: queued as 4Bx1yZ2');
        }
        if (mail) mail.data += `${line.startsWith('..') ? line.slice(1) : line}\r\n`;
        return;
      }
      commands.push(line);
      const verb = line.split(' ')[0]?.toUpperCase();
      if (verb === 'EHLO') {
        const caps = ['250-mail.example.test', '250-PIPELINING', '250-SIZE 10240000'];
        if (!secure && options.offerStartTls !== false) caps.push('250-STARTTLS');
        if (secure) caps.push('250-AUTH PLAIN LOGIN');
        caps.push('250 8BITMIME');
        return void socket.write(`${caps.join('\r\n')}\r\n`);
      }
      if (verb === 'STARTTLS') {
        reply('220 2.0.0 Ready to start TLS');
        socket.removeAllListeners('data');
        const tls = new TLSSocket(socket, { isServer: true, key: options.key, cert: options.cert });
        tls.once('secure', () => {
          secure = true;
        });
        tls.on('error', () => tls.destroy());
        socket = tls;
        buffer = '';
        return void tls.on('data', onData);
      }
      if (verb === 'AUTH') {
        const [, mech, token] = line.split(' ');
        if (mech?.toUpperCase() !== 'PLAIN' || !token)
          return reply('504 5.5.4 Unrecognized authentication type');
        const [, user, pass] = Buffer.from(token, 'base64').toString('utf8').split('\0');
        if (user !== options.username || pass !== options.password)
          return reply('535 5.7.8 Error: authentication failed: authentication failure');
        authUser = user;
        return reply('235 2.7.0 Authentication successful');
      }
      if (verb === 'MAIL') {
        if (options.busy) return reply('421 4.3.2 Service not available, try again later');
        if (!authUser) return reply('530 5.7.0 Must issue a STARTTLS command and authenticate first');
        const from = /^MAIL FROM:<([^>]*)>/i.exec(line)?.[1];
        if (from === undefined) return reply('501 5.5.4 Syntax: MAIL FROM:<address>');
        mail = { from, rcpt: [], data: '', secure, authUser };
        return reply('250 2.1.0 Ok');
      }
      if (verb === 'RCPT') {
        if (!mail) return reply('503 5.5.1 Error: need MAIL command');
        const to = /^RCPT TO:<([^>]+)>/i.exec(line)?.[1] ?? '';
        if (to.endsWith('@unknown.example'))
          return reply(`550 5.1.1 <${to}>: Recipient address rejected: User unknown`);
        mail.rcpt.push(to);
        return reply('250 2.1.5 Ok');
      }
      if (verb === 'DATA') {
        if (!mail?.rcpt.length) return reply('554 5.5.1 Error: no valid recipients');
        inData = true;
        return reply('354 End data with <CR><LF>.<CR><LF>');
      }
      if (verb === 'RSET') {
        mail = undefined;
        return reply('250 2.0.0 Ok');
      }
      if (verb === 'QUIT') {
        reply('221 2.0.0 Bye');
        return void socket.end();
      }
      reply('502 5.5.2 Error: command not recognized');
    };
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\r\n')) !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        onLine(line);
      }
    };
    raw.on('data', onData);
    raw.on('error', () => raw.destroy());
    raw.on('close', () => sockets.delete(raw));
    reply('220 mail.example.test ESMTP Postfix');
  }

  const server: Server = createServer(session);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    mails,
    commands,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
