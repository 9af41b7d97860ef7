import {
  basicAuth,
  startFakeServer,
  type FakeReply,
  type FakeServer,
  type RecordedRequest,
} from './fake-server.js';

/** Qualys's `<SIMPLE_RETURN>` error document. */
const simpleReturn = (
  status: number,
  code: string,
  text: string,
  headers: Record<string, string> = {},
): FakeReply => ({
  status,
  headers: { 'content-type': 'text/xml', ...headers },
  body: `<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE SIMPLE_RETURN SYSTEM "https://qualysapi.qualys.com/api/2.0/simple_return.dtd">
<SIMPLE_RETURN><RESPONSE><DATETIME>2026-11-20T08:00:00Z</DATETIME><CODE>${code}</CODE><TEXT>${text}</TEXT></RESPONSE></SIMPLE_RETURN>`,
});

const xml = (body: string): FakeReply => ({ status: 200, headers: { 'content-type': 'text/xml' }, body });

const DETECTIONS_PAGE_1 = `<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE HOST_LIST_VMDETECTION_OUTPUT SYSTEM "https://qualysapi.qualys.com/api/2.0/fo/asset/host/vm/detection/host_list_vm_detection_output.dtd">
<HOST_LIST_VMDETECTION_OUTPUT>
  <RESPONSE>
    <DATETIME>2026-11-20T08:00:00Z</DATETIME>
    <HOST_LIST>
      <HOST>
        <ID>12345678</ID>
        <IP>192.0.2.10</IP>
        <TRACKING_METHOD>IP</TRACKING_METHOD>
        <OS><![CDATA[Ubuntu 22.04]]></OS>
        <DNS><![CDATA[web-01.example.com]]></DNS>
        <DETECTION_LIST>
          <DETECTION><QID>38739</QID><TYPE>Confirmed</TYPE><SEVERITY>4</SEVERITY><PORT>443</PORT><PROTOCOL>tcp</PROTOCOL><STATUS>Active</STATUS></DETECTION>
          <DETECTION><QID>105943</QID><TYPE>Confirmed</TYPE><SEVERITY>5</SEVERITY><STATUS>New</STATUS></DETECTION>
        </DETECTION_LIST>
      </HOST>
    </HOST_LIST>
    <WARNING><CODE>1980</CODE><TEXT>1 record limit exceeded. Use URL to get next batch of results.</TEXT>
      <URL><![CDATA[https://qualysapi.qualys.com/api/2.0/fo/asset/host/vm/detection/?action=list&truncation_limit=1&id_min=12345679]]></URL></WARNING>
  </RESPONSE>
</HOST_LIST_VMDETECTION_OUTPUT>`;

const KB = `<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE KNOWLEDGE_BASE_VULN_LIST_OUTPUT SYSTEM "https://qualysapi.qualys.com/api/2.0/fo/knowledge_base/vuln/knowledge_base_vuln_list_output.dtd">
<KNOWLEDGE_BASE_VULN_LIST_OUTPUT><RESPONSE><DATETIME>2026-11-20T08:00:01Z</DATETIME><VULN_LIST>
  <VULN><QID>38739</QID><VULN_TYPE>Vulnerability</VULN_TYPE><SEVERITY_LEVEL>4</SEVERITY_LEVEL>
    <TITLE><![CDATA[OpenSSL Denial of Service Vulnerability]]></TITLE>
    <CVE_LIST><CVE><ID><![CDATA[CVE-2022-0778]]></ID><URL><![CDATA[https://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2022-0778]]></URL></CVE></CVE_LIST>
    <SOLUTION><![CDATA[Upgrade to <b>OpenSSL 1.1.1n</b> or later.]]></SOLUTION>
    <CVSS><BASE>5.0</BASE></CVSS><CVSS_V3><BASE>7.5</BASE><TEMPORAL>6.7</TEMPORAL></CVSS_V3></VULN>
  <VULN><QID>105943</QID><TITLE><![CDATA[EOL/Obsolete Operating System: Ubuntu Linux]]></TITLE><CVSS><BASE>10.0</BASE></CVSS></VULN>
</VULN_LIST></RESPONSE></KNOWLEDGE_BASE_VULN_LIST_OUTPUT>`;

export interface QualysFake extends FakeServer {
  limitNext(times: number, waitSeconds: number): void;
}

/** The VMDR API v2: Basic auth, X-Requested-With required, form-encoded POSTs, XML answers. */
export async function startQualysFake(username: string, password: string): Promise<QualysFake> {
  let limited = 0;
  let wait = 1;
  function handle(req: RecordedRequest): FakeReply {
    if (req.headers.authorization !== basicAuth(username, password))
      return simpleReturn(401, '2000', 'Bad Login/Password');
    if (!req.headers['x-requested-with'])
      return simpleReturn(400, '1906', 'X-Requested-With header is required');
    if (limited > 0) {
      limited--;
      return simpleReturn(409, '1965', `This API cannot be run again for another ${wait} seconds.`, {
        'x-ratelimit-towait-sec': String(wait),
      });
    }
    if (
      req.method !== 'POST' ||
      !String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')
    )
      return simpleReturn(400, '1903', 'Unsupported request');
    const form = new URLSearchParams(req.body);
    if (form.get('action') !== 'list') return simpleReturn(400, '1903', 'Missing required parameter: action');
    if (req.path === '/api/2.0/fo/asset/host/vm/detection/') return xml(DETECTIONS_PAGE_1);
    if (req.path === '/api/2.0/fo/knowledge_base/vuln/') {
      if (!form.get('ids')) return simpleReturn(400, '1905', 'ids is required by this fake');
      return xml(KB);
    }
    if (req.path === '/api/2.0/fo/asset/host/')
      return xml('<HOST_LIST_OUTPUT><RESPONSE><HOST_LIST/></RESPONSE></HOST_LIST_OUTPUT>');
    return simpleReturn(404, '1904', 'Not found');
  }
  const server = await startFakeServer(handle);
  return {
    ...server,
    limitNext(times, seconds) {
      limited = times;
      wait = seconds;
    },
  };
}
