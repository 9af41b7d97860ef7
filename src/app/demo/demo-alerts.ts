/**
 * The demo's alerts, written as the tools that raise them would send them (Suricata EVE, Wazuh, OCSF
 * findings), so `--demo` exercises the real mappers, de-duplication, correlation and playbook triggers.
 * Addresses and domains are from the documentation ranges (RFC 5737, RFC 2606): nothing real is named.
 */
export function demoAlerts(now: number): unknown[] {
  const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
  const suricata = (minutesAgo: number, flow: number, src: string, sid: number, signature: string) => ({
    timestamp: at(minutesAgo),
    flow_id: flow,
    event_type: 'alert',
    src_ip: src,
    src_port: 44_312,
    dest_ip: '10.20.0.15',
    dest_port: 443,
    proto: 'TCP',
    host: 'ids-edge-1',
    alert: {
      gid: 1,
      signature_id: sid,
      rev: 3,
      signature,
      category: 'A Network Trojan was detected',
      severity: 1,
    },
  });
  const finding = (
    minutesAgo: number,
    uid: string,
    type: string,
    title: string,
    severityId: number,
    extra: Record<string, unknown>,
  ) => ({
    class_uid: 2004,
    activity_id: 1,
    severity_id: severityId,
    time: now - minutesAgo * 60_000,
    metadata: { version: '1.1.0', product: { name: 'Demo EDR', vendor_name: 'Riposte demo' }, uid },
    finding_info: { uid, title, types: [type], analytic: { name: title, uid: `demo-${type}` } },
    ...extra,
  });
  return [
    // A C2 beacon seen three times: the repeat of one flow is de-duplicated, the others join one case.
    suricata(95, 1_001, '203.0.113.7', 2_024_217, 'ET CNC Feodo Tracker Reported CnC Server'),
    suricata(95, 1_001, '203.0.113.7', 2_024_217, 'ET CNC Feodo Tracker Reported CnC Server'),
    suricata(80, 1_002, '203.0.113.7', 2_024_217, 'ET CNC Feodo Tracker Reported CnC Server'),
    suricata(42, 1_003, '198.51.100.23', 2_027_865, 'ET SCAN Suspicious inbound to MSSQL port 1433'),
    {
      timestamp: at(70),
      id: '1732900000.41831',
      rule: {
        id: '5712',
        level: 10,
        description: 'sshd: brute force trying to get access to the system. Non existent user.',
        groups: ['syslog', 'sshd', 'authentication_failures'],
        mitre: { id: ['T1110'] },
      },
      agent: { id: '004', name: 'bastion-1', ip: '10.20.0.4' },
      manager: { name: 'wazuh-manager' },
      data: { srcip: '192.0.2.44', srcuser: 'admin' },
      full_log: 'sshd[2211]: Invalid user admin from 192.0.2.44 port 50122 ssh2',
    },
    finding(
      60,
      'demo-auth-0001',
      'authentication',
      'Password brute force then login for jdoe@example.com',
      4,
      {
        actor: { user: { name: 'jdoe@example.com' } },
        src_endpoint: { ip: '192.0.2.44' },
      },
    ),
    finding(50, 'demo-phish-0001', 'phishing', 'Invoice overdue', 3, {
      observables: [
        { name: 'sender', type_id: 5, value: 'billing@evil.example' },
        { name: 'link', type_id: 6, value: 'hxxp://evil[.]example/pay' },
      ],
      message: 'User reported a suspicious invoice e-mail with a payment link',
    }),
    finding(30, 'demo-malware-0001', 'malware', 'Emotet loader executed on ws-042', 5, {
      device: { hostname: 'ws-042', ip: '10.20.3.42' },
      observables: [
        {
          name: 'file',
          type_id: 8,
          value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        },
      ],
    }),
  ];
}
