import { ConnectorErrorCode, permanentError } from '../../framework/connector-errors.js';
import {
  child,
  childrenNamed,
  descendants,
  parseXml,
  textOf,
  XmlParseError,
  type XmlElement,
} from '../vulnerability/xml-lite.js';
import type { FindingAsset, FindingSeverity } from '../vulnerability/vulnerability-finding.js';
import { lookupTable } from '../../../domain/shared/lookup-table.js';

/** Qualys severity 1 (minimal) … 5 (urgent) on the common scale. */
const SEVERITY = lookupTable<FindingSeverity>({
  '1': 'info',
  '2': 'low',
  '3': 'medium',
  '4': 'high',
  '5': 'critical',
});

function parse(xml: string): XmlElement {
  try {
    return parseXml(xml);
  } catch (err) {
    if (err instanceof XmlParseError)
      throw permanentError(
        ConnectorErrorCode.badResponse,
        `Qualys answered XML that does not parse: ${err.message}`,
      );
    throw err;
  }
}

/** The `<SIMPLE_RETURN>` error text of a failed call, if the body is one. */
export function qualysFailure(xml: string): string | undefined {
  try {
    const doc = parseXml(xml);
    if (doc.name !== 'SIMPLE_RETURN') return undefined;
    const response = child(doc, 'RESPONSE');
    return `${textOf(response, 'TEXT') ?? 'error'} (code ${textOf(response, 'CODE') ?? '?'})`;
  } catch {
    return undefined;
  }
}

function failIfSimpleReturn(doc: XmlElement): void {
  if (doc.name === 'SIMPLE_RETURN') {
    const response = child(doc, 'RESPONSE');
    throw permanentError(
      ConnectorErrorCode.rejected,
      `Qualys refused the call: ${textOf(response, 'TEXT') ?? 'no reason'} (code ${textOf(response, 'CODE') ?? '?'})`,
    );
  }
}

export interface QualysDetection {
  asset: FindingAsset;
  qid: string;
  severity: FindingSeverity;
  status: string | undefined;
}

/** `HOST_LIST_VMDETECTION_OUTPUT`: detections per host, and the id to continue from when truncated. */
export function parseQualysDetections(xml: string): {
  detections: QualysDetection[];
  nextIdMin: number | undefined;
} {
  const doc = parse(xml);
  failIfSimpleReturn(doc);
  if (doc.name !== 'HOST_LIST_VMDETECTION_OUTPUT')
    throw permanentError(
      ConnectorErrorCode.badResponse,
      `expected HOST_LIST_VMDETECTION_OUTPUT, got <${doc.name}>`,
    );
  const response = child(doc, 'RESPONSE');
  const detections: QualysDetection[] = [];
  for (const host of childrenNamed(child(response, 'HOST_LIST'), 'HOST')) {
    const asset: FindingAsset = {
      id: textOf(host, 'ID') ?? 'unknown',
      ip: textOf(host, 'IP'),
      hostname: textOf(host, 'DNS') ?? textOf(host, 'NETBIOS'),
    };
    for (const d of childrenNamed(child(host, 'DETECTION_LIST'), 'DETECTION')) {
      const qid = textOf(d, 'QID');
      if (!qid) continue;
      detections.push({
        asset,
        qid,
        severity: SEVERITY(textOf(d, 'SEVERITY') ?? '') ?? 'info',
        status: textOf(d, 'STATUS'),
      });
    }
  }
  // A truncated list ends with a WARNING whose URL carries id_min for the next page.
  const url = textOf(child(response, 'WARNING'), 'URL');
  const next = url ? /[?&]id_min=(\d+)/.exec(url)?.[1] : undefined;
  return { detections, nextIdMin: next ? Number(next) : undefined };
}

export interface QualysKbVuln {
  title: string | undefined;
  cves: string[];
  cvss3: number | undefined;
  cvss2: number | undefined;
  solution: string | undefined;
}

/** `KNOWLEDGE_BASE_VULN_LIST_OUTPUT`: title, CVEs, CVSS and solution by QID. */
export function parseQualysKnowledgeBase(xml: string): Map<string, QualysKbVuln> {
  const doc = parse(xml);
  failIfSimpleReturn(doc);
  const out = new Map<string, QualysKbVuln>();
  for (const vuln of descendants(doc, 'VULN')) {
    const qid = textOf(vuln, 'QID');
    if (!qid) continue;
    const score = (el: XmlElement | undefined) => {
      const n = Number(textOf(el, 'BASE'));
      return Number.isFinite(n) && n > 0 ? n : undefined;
    };
    out.set(qid, {
      title: textOf(vuln, 'TITLE'),
      cves: childrenNamed(child(vuln, 'CVE_LIST'), 'CVE')
        .map((c) => textOf(c, 'ID')?.toUpperCase())
        .filter((c): c is string => c !== undefined),
      cvss3: score(child(vuln, 'CVSS_V3')),
      cvss2: score(child(vuln, 'CVSS')),
      solution: textOf(vuln, 'SOLUTION')
        ?.replace(/<[^>]+>/g, '')
        .trim(),
    });
  }
  return out;
}
