import { describe, expect, it } from 'vitest';
import { extractObservables } from './extract-observables.js';
import { normalizeObservable } from './normalize-observable.js';
import { refang } from './refang.js';

const values = (text: string, type?: string): string[] =>
  extractObservables(text)
    .filter((o) => !type || o.type === type)
    .map((o) => o.value);

describe('refang', () => {
  it('undoes the common defanging styles', () => {
    expect(refang('hxxps://evil[.]example(dot)com[/]x')).toBe('https://evil.example.com[/]x');
    expect(refang('hxxp[:]//1.2.3[.]4')).toBe('http://1.2.3.4');
    expect(refang('bob[at]corp[.]com and 10(.)0(.)0(.)1')).toBe('bob@corp.com and 10.0.0.1');
  });
});

describe('extractObservables', () => {
  it('types IPv4 by scope', () => {
    const found = extractObservables('from 10.1.2.3 to 8.8.8.8 via 127.0.0.1 and 192.0.2.10');
    expect(found.map((o) => [o.value, o.scope])).toEqual([
      ['10.1.2.3', 'private'],
      ['8.8.8.8', 'public'],
      ['127.0.0.1', 'reserved'],
      ['192.0.2.10', 'reserved'],
    ]);
  });

  it('does not take version strings, OIDs, timestamps or MAC addresses for addresses', () => {
    const text =
      'agent version 1.2.3.4 build 10.0.19041 v2.1.0 v1.2.3.4 OID 1.3.6.1.4.1.311.21.8 at 2022-05-11 12:29:18.905 ' +
      'MAC 00:1a:2b:3c:4d:5e release: 4.4.0.1 and 999.1.1.1 attribute oid=2.5.4.3 OID: 1.2.840.113549 ' +
      'Chrome/120.0.6099.109 kernel 5.15.0-91-generic';
    expect(extractObservables(text).filter((o) => o.type === 'ipv4' || o.type === 'ipv6')).toEqual([]);
  });

  it('finds refanged URLs and their hosts, e-mails and domains, but not file names', () => {
    const text =
      'payload from hxxps://bad[.]example[.]com/dl?x=1. Mail bob@Corp.example.org; see setup.exe, sshd.service, report.pdf';
    expect(values(text, 'url')).toEqual(['https://bad.example.com/dl?x=1']);
    expect(values(text, 'domain')).toEqual(['bad.example.com']);
    expect(values(text, 'email')).toEqual(['bob@corp.example.org']);
  });

  it('types hashes by length and ignores runs of one digit and longer hex', () => {
    const md5 = 'D41D8CD98F00B204E9800998ECF8427E';
    const sha1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
    const sha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    const text = `${md5} ${sha1} ${sha256} ${'0'.repeat(32)} ${sha256}ff`;
    expect(extractObservables(text).map((o) => [o.type, o.value])).toEqual([
      ['md5', md5.toLowerCase()],
      ['sha1', sha1],
      ['sha256', sha256],
    ]);
  });

  it('finds IPv6 addresses and canonicalises them', () => {
    expect(
      extractObservables('src 2001:DB8:0:0:0:0:0:1 dst 2606:4700::1111 ula fd00::5').map((o) => [
        o.value,
        o.scope,
      ]),
    ).toEqual([
      ['2001:db8::1', 'reserved'],
      ['2606:4700::1111', 'public'],
      ['fd00::5', 'private'],
    ]);
  });

  it('scopes the IPv6 blocks that route nowhere public as reserved', () => {
    const scopes = (text: string) => extractObservables(text).map((o) => [o.value, o.scope]);
    expect(scopes('a 100::1 b fec0::1 c 3fff:0fff::1 d 3fff:1000::1 e 2a01:4f8::1')).toEqual([
      ['100::1', 'reserved'],
      ['fec0::1', 'reserved'],
      ['3fff:fff::1', 'reserved'],
      ['3fff:1000::1', 'public'],
      ['2a01:4f8::1', 'public'],
    ]);
  });

  it('finds IPv6 before sentence punctuation and with `::` standing for one group', () => {
    expect(values('Connection from 2606:4700::1111.', 'ipv6')).toEqual(['2606:4700::1111']);
    expect(values('proxy error from 2606:4700::1111: timeout', 'ipv6')).toEqual(['2606:4700::1111']);
    expect(values('peer ::2:3:4:5:6:7:8 closed, peer 1:2:3:4:5:6:7:: closed', 'ipv6')).toEqual([
      '0:2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7:0',
    ]);
  });

  it('does not take WWNs or EUI-64 interface ids (eight two-digit groups) for IPv6', () => {
    expect(
      values('port wwn 50:06:01:60:3b:20:1a:4f logged in, interface id 00:1b:63:ff:fe:84:4b:8a'),
    ).toEqual([]);
  });

  it('does not take the userinfo of a URL for an e-mail address', () => {
    const text =
      'Clicked https://login.microsoftonline.com@evil-site.com/x then ftp://anonymous:guest@files.example.org/pub';
    expect(values(text, 'email')).toEqual([]);
    expect(values(text, 'url')).toEqual([
      'https://login.microsoftonline.com@evil-site.com/x',
      'ftp://anonymous:guest@files.example.org/pub',
    ]);
    // An address in the query is still one.
    expect(values('https://example.com/reset?to=bob@corp.example.org', 'email')).toEqual([
      'bob@corp.example.org',
    ]);
  });

  it('finds file paths and user names', () => {
    const text =
      'wrote C:\\Users\\bob\\AppData\\evil.exe and /tmp/.x/payload.sh; Invalid user paco from 1.1.1.1; user=alice';
    expect(values(text, 'file_path')).toEqual(['C:\\Users\\bob\\AppData\\evil.exe', '/tmp/.x/payload.sh']);
    expect(values(text, 'user')).toEqual(['paco', 'alice']);
  });

  it('never throws and stays bounded on arbitrary input', () => {
    let seed = 42;
    const rand = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const alphabet = 'ab1.:/\\@[]()x09fF -_hxp=\n';
    for (let i = 0; i < 500; i += 1) {
      const s = Array.from(
        { length: Math.floor(rand() * 200) },
        () => alphabet[Math.floor(rand() * alphabet.length)],
      ).join('');
      expect(() => extractObservables(s)).not.toThrow();
    }
  });
});

describe('normalizeObservable', () => {
  it('refuses values that are not of the labelled type', () => {
    expect(normalizeObservable('ipv4', '-')).toBeUndefined();
    expect(normalizeObservable('ipv4', '300.1.1.1')).toBeUndefined();
    expect(normalizeObservable('sha256', 'abc')).toBeUndefined();
    expect(normalizeObservable('email', 'not-an-email')).toBeUndefined();
    expect(normalizeObservable('domain', 'Evil.COM.')).toMatchObject({ value: 'evil.com' });
  });

  it('makes an IPv4-mapped IPv6 address the IPv4 address, as free-text extraction does', () => {
    const v4 = { type: 'ipv4', value: '45.33.32.156', role: 'source', scope: 'public' };
    expect(normalizeObservable('ipv4', '::ffff:45.33.32.156', 'source')).toEqual(v4);
    expect(normalizeObservable('ipv6', '::FFFF:2d21:209c', 'source')).toEqual(v4);
    expect(normalizeObservable('ipv6', '[::ffff:10.0.0.1]')).toMatchObject({
      type: 'ipv4',
      value: '10.0.0.1',
      scope: 'private',
    });
    expect(extractObservables('Source Network Address: ::ffff:45.33.32.156', 'source')).toEqual([v4]);
    // Neighbouring prefixes stay IPv6: ::ffff:0:0:0/96 (SIIT) and 64:ff9b::/96 (NAT64) are not IPv4-mapped.
    expect(normalizeObservable('ipv6', '::ffff:0:2d21:209c')).toMatchObject({ type: 'ipv6' });
    expect(normalizeObservable('ipv6', '64:ff9b::2d21:209c')).toMatchObject({ type: 'ipv6' });
  });
});

describe('URL observables', () => {
  it('lower-case the scheme and host only, so one URL written two ways is one observable', () => {
    const url = (value: string) => normalizeObservable('url', value, 'related')?.value;
    expect(url('HTTPS://Evil.Example.COM:8443/Path/File.EXE?Q=A')).toBe(
      'https://evil.example.com:8443/Path/File.EXE?Q=A',
    );
    expect(url('https://Bob:Secret@Files.Example.org/pub')).toBe('https://Bob:Secret@files.example.org/pub');
    expect(url('hxxps://Bad[.]Example/x')).toBe('https://bad.example/x');
    expect(url('http://[2001:DB8::1]/')).toBe('http://[2001:db8::1]/');
    expect(url('https:///no-host')).toBeUndefined();
    expect(url('not a url')).toBeUndefined();
  });
});
