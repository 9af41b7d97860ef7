import type { NormalizedAlert } from '../../domain/alerts/alert.js';
import { mapSeverity, SeverityScales, severityText } from '../../domain/alerts/severity-mapping.js';
import { parseCef, type CefEvent } from '../formats/cef.js';
import { parseLeef, type LeefEvent } from '../formats/leef.js';
import { parseSyslog, sdParamValues, type SyslogMessage } from '../formats/syslog.js';
import { buildAlert, first, ObservableBag, parseTime, str } from './mapper-support.js';

/**
 * Maps one line of text (a syslog message, possibly carrying CEF or LEEF) to an alert. Throws a
 * `FormatError` when the line matches no grammar. The raw event is the line itself. `parsed`: the line's
 * syslog message, when the caller parsed it already (see readSyslogJson), so that it is not parsed twice.
 */
export function mapTextRecord(line: string, now: number, parsed?: SyslogMessage): NormalizedAlert {
  const cefAt = line.indexOf('CEF:');
  const leefAt = line.indexOf('LEEF:');
  let syslog: SyslogMessage | null = null;
  const headerEnd = cefAt >= 0 ? cefAt : leefAt;
  if (headerEnd > 0) syslog = parseHeader(line.slice(0, headerEnd).trimEnd(), now);
  if (cefAt >= 0) return mapCef(parseCef(line), syslog, line, now);
  if (leefAt >= 0) return mapLeef(parseLeef(line), syslog, line, now);
  return mapSyslog(parsed ?? parseSyslog(line, now), line, now);
}

/**
 * The syslog header before a CEF or LEEF record, when it parses. It is optional and often non-standard:
 * IBM's own LEEF-over-syslog examples end an RFC 5424 header at the host (`<13>1 2019-01-18T11:07:53.520Z
 * 192.168.1.1 LEEF:…`), so a short one is read with its missing fields as NILVALUE.
 */
function parseHeader(header: string, now: number): SyslogMessage | null {
  const fields = /^<\d{1,3}>1 (.*)$/
    .exec(header)?.[1]
    ?.split(' ')
    .filter((f) => f !== '');
  const padded =
    fields && fields.length >= 2 && fields.length <= 5
      ? `${header}${' -'.repeat(5 - fields.length)} - x`
      : null;
  for (const candidate of [`${header} x`, padded]) {
    if (candidate === null) continue;
    try {
      return parseSyslog(candidate, now);
    } catch {
      // The next reading, or none.
    }
  }
  return null;
}

function mapSyslog(m: SyslogMessage, line: string, now: number): NormalizedAlert {
  const app = m.appName ?? 'syslog';
  const bag = new ObservableBag().addHost(m.hostname, 'affected').addFromText(m.message);
  for (const [id, params] of Object.entries(m.structuredData)) {
    // `ip` repeats once per address of the sender (RFC 5424 §7.2.1): each one is an observable.
    if (id === 'origin') for (const ip of sdParamValues(params.ip)) bag.add('ipv4', ip, 'affected');
  }
  // Syslog severity 0 is the most severe: read negated; lines without <PRI> are informational.
  const severity = m.severity === null ? 'info' : mapSeverity(-m.severity, SeverityScales.syslog);
  return buildAlert({
    time: m.timestamp ?? now,
    title: `${app}: ${m.message.slice(0, 200)}`,
    description: m.message,
    severity,
    severityOriginal: m.severity === null ? null : String(m.severity),
    category: m.msgId,
    origin: { product: app, vendor: null, ruleId: m.msgId ?? app, ruleName: app },
    sourceEventId: null,
    techniques: [],
    observables: bag.toArray(),
    raw: line,
  });
}

function mapCef(e: CefEvent, syslog: SyslogMessage | null, line: string, now: number): NormalizedAlert {
  const x = e.extension;
  const bag = new ObservableBag()
    .addHost(x.src ?? x.shost, 'source')
    .add('hostname', x.src ? x.shost : undefined, 'source')
    .addHost(x.dst ?? x.dhost, 'destination')
    .add('hostname', x.dst ? x.dhost : undefined, 'destination')
    .add('user', x.suser, 'source')
    .add('user', x.duser, 'affected')
    .add('file_path', x.filePath, 'affected')
    .addHash(x.fileHash, 'affected')
    .add('url', x.request, 'destination')
    .add('process', x.sproc, 'source')
    .add('process', x.dproc, 'affected')
    .addHost(x.dvchost ?? x.dvc ?? syslog?.hostname, 'affected')
    .addFromText(x.msg);
  return buildAlert({
    time: parseTime(first(x, 'rt', 'end', 'start'), syslog?.timestamp ?? now),
    title: e.name || e.signatureId,
    description: str(x.msg),
    severity: mapSeverity(e.severity, SeverityScales.cef),
    severityOriginal: severityText(e.severity),
    category: str(x.cat),
    origin: { product: e.deviceProduct, vendor: e.deviceVendor, ruleId: e.signatureId, ruleName: e.name },
    sourceEventId: str(x.externalId),
    techniques: [],
    observables: bag.toArray(),
    raw: line,
  });
}

function mapLeef(e: LeefEvent, syslog: SyslogMessage | null, line: string, now: number): NormalizedAlert {
  const a = e.attributes;
  const bag = new ObservableBag()
    .addHost(a.src, 'source')
    .addHost(a.dst, 'destination')
    .add('user', a.usrName ?? a.accountName, 'affected')
    .add('url', a.url, 'destination')
    .addHost(a.identHostName ?? syslog?.hostname, 'affected')
    .addFromText(a.msg);
  const sev = a.sev;
  return buildAlert({
    time: parseTime(a.devTime, syslog?.timestamp ?? now),
    title: a.name ?? a.msg?.slice(0, 200) ?? e.eventId,
    description: str(a.msg),
    severity: mapSeverity(sev, SeverityScales.cef),
    severityOriginal: severityText(sev),
    category: str(a.cat),
    origin: { product: e.product, vendor: e.vendor, ruleId: e.eventId, ruleName: a.name ?? e.eventId },
    sourceEventId: str(a.externalId ?? a.eventId),
    techniques: [],
    observables: bag.toArray(),
    raw: line,
  });
}
