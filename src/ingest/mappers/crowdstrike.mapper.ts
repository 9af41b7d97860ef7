import { mapSeverity, SeverityScales, severityText } from '../../domain/alerts/severity-mapping.js';
import type { AlertMapper } from './mapper.js';
import {
  arr,
  buildAlert,
  first,
  get,
  isObject,
  ObservableBag,
  parseTime,
  str,
  strings,
  type Json,
} from './mapper-support.js';

const isStreamEvent = (p: Json): boolean =>
  get(p, 'metadata.eventType') === 'DetectionSummaryEvent' && isObject(p.event);

/**
 * CrowdStrike Falcon detections: the Detects API entity (`detection_id`, `device`, `behaviors[]`), the
 * Alerts API entity (`composite_id`) and the streaming API's `DetectionSummaryEvent`.
 */
export const crowdstrikeMapper: AlertMapper = {
  name: 'crowdstrike',
  description: 'CrowdStrike Falcon detections (Detects/Alerts API, event stream)',
  detect: (p) =>
    isStreamEvent(p) ||
    (typeof p.detection_id === 'string' && isObject(p.device)) ||
    (typeof p.composite_id === 'string' && isObject(p.device)),
  map(p, ctx) {
    if (isStreamEvent(p)) return mapStreamEvent(p, ctx.now);
    const behaviors = arr(p.behaviors);
    const top = behaviors[0] ?? p;
    const bag = new ObservableBag()
      .add('hostname', get(p, 'device.hostname'), 'affected')
      .add('ipv4', get(p, 'device.local_ip'), 'affected')
      .add('ipv4', get(p, 'device.external_ip'), 'affected');
    for (const b of [p, ...behaviors]) {
      bag
        .add('user', get(b, 'user_name'), 'affected')
        .add('file_path', get(b, 'filepath'), 'affected')
        .add('process', get(b, 'filename'), 'affected')
        .add('sha256', get(b, 'sha256'), 'affected')
        .add('md5', get(b, 'md5'), 'affected')
        .add('sha256', get(b, 'parent_details.parent_sha256'), 'related');
    }
    const sev = first(p, 'max_severity', 'severity');
    const name = str(first(top, 'display_name', 'scenario', 'name')) ?? str(p.name) ?? 'Falcon detection';
    return buildAlert({
      time: parseTime(first(p, 'first_behavior', 'created_timestamp', 'timestamp'), ctx.now),
      title: name,
      description: str(first(top, 'description')) ?? str(p.description),
      severity: mapSeverity(sev, SeverityScales.score100),
      severityOriginal: severityText(first(p, 'max_severity_displayname', 'severity_name') ?? sev),
      category: str(first(top, 'tactic')),
      origin: {
        product: 'Falcon',
        vendor: 'CrowdStrike',
        ruleId: str(first(top, 'pattern_id', 'behavior_id')) ?? name,
        ruleName: name,
      },
      sourceEventId: str(first(p, 'composite_id', 'detection_id')),
      techniques: strings(
        behaviors.length ? behaviors.map((b) => get(b, 'technique_id')) : get(p, 'technique_id'),
      ),
      observables: bag.toArray(),
      raw: p,
    });
  },
};

function mapStreamEvent(p: Json, now: number) {
  const e = p.event as Json;
  const sev = e.Severity;
  const bag = new ObservableBag()
    .add('hostname', e.ComputerName, 'affected')
    .add('ipv4', e.LocalIP, 'affected')
    .add('user', e.UserName, 'affected')
    .add(
      'file_path',
      e.FilePath && e.FileName ? `${String(e.FilePath)}\\${String(e.FileName)}` : e.FilePath,
      'affected',
    )
    .add('process', e.FileName, 'affected')
    .add('sha256', e.SHA256String, 'affected')
    .add('md5', e.MD5String, 'affected')
    .addFromText(e.CommandLine);
  const name = str(first(e, 'DetectName', 'Name')) ?? 'Falcon detection';
  return buildAlert({
    time: parseTime(first(p, 'metadata.eventCreationTime', 'event.ProcessStartTime'), now),
    title: name,
    description: str(first(e, 'DetectDescription', 'Description')),
    // The stream's Severity is 1–5 (informational … critical).
    severity: mapSeverity(sev, [
      { min: 0, severity: 'info' },
      { min: 2, severity: 'low' },
      { min: 3, severity: 'medium' },
      { min: 4, severity: 'high' },
      { min: 5, severity: 'critical' },
    ]),
    severityOriginal: severityText(first(e, 'SeverityName') ?? sev),
    category: str(e.Tactic),
    origin: {
      product: 'Falcon',
      vendor: 'CrowdStrike',
      ruleId: str(first(e, 'PatternId')) ?? name,
      ruleName: name,
    },
    sourceEventId: str(first(e, 'CompositeId', 'DetectId')),
    techniques: strings(first(e, 'TechniqueId')),
    observables: bag.toArray(),
    raw: p,
  });
}
