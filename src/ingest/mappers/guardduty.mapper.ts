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
  type Json,
} from './mapper-support.js';

const isEventBridge = (p: Json): boolean =>
  p.source === 'aws.guardduty' && p['detail-type'] === 'GuardDuty Finding' && isObject(p.detail);

const isFinding = (p: Json): boolean =>
  typeof p.type === 'string' &&
  typeof p.severity === 'number' &&
  (get(p, 'service.serviceName') === 'guardduty' || /:guardduty:/.test(String(p.arn ?? '')));

/** AWS GuardDuty findings, raw (GetFindings, S3 export) or wrapped in an EventBridge event. */
export const guarddutyMapper: AlertMapper = {
  name: 'guardduty',
  description: 'AWS GuardDuty findings (raw or via EventBridge)',
  detect: (p) => isEventBridge(p) || isFinding(p),
  map(payload, ctx) {
    const f = isEventBridge(payload) ? (payload.detail as Json) : payload;
    const action = get(f, 'service.action');
    // Inbound connections and probes name the attacker as the remote IP; outbound ones the destination.
    const inbound = get(action, 'networkConnectionAction.connectionDirection') !== 'OUTBOUND';
    const bag = new ObservableBag()
      .add(
        'ipv4',
        get(action, 'networkConnectionAction.remoteIpDetails.ipAddressV4'),
        inbound ? 'source' : 'destination',
      )
      .add('ipv4', get(action, 'awsApiCallAction.remoteIpDetails.ipAddressV4'), 'source')
      .add('ipv4', get(action, 'kubernetesApiCallAction.remoteIpDetails.ipAddressV4'), 'source')
      .add('domain', get(action, 'dnsRequestAction.domain'), 'destination')
      .add('user', get(f, 'resource.accessKeyDetails.userName'), 'affected')
      .add('hostname', get(f, 'resource.instanceDetails.instanceId'), 'affected');
    for (const probe of arr(get(action, 'portProbeAction.portProbeDetails'))) {
      bag.add('ipv4', get(probe, 'remoteIpDetails.ipAddressV4'), 'source');
    }
    for (const ni of arr(get(f, 'resource.instanceDetails.networkInterfaces'))) {
      bag.add('ipv4', get(ni, 'privateIpAddress'), 'affected').add('ipv4', get(ni, 'publicIp'), 'affected');
      bag.add('hostname', get(ni, 'privateDnsName'), 'affected');
    }
    const sev = f.severity;
    const type = str(f.type);
    return buildAlert({
      time: parseTime(first(f, 'service.eventFirstSeen', 'createdAt', 'updatedAt'), ctx.now),
      title: str(f.title) ?? type ?? 'GuardDuty finding',
      description: str(f.description),
      severity: mapSeverity(sev, SeverityScales.guardduty),
      severityOriginal: severityText(sev),
      category: type ? (type.split(':')[0] ?? null) : null,
      origin: { product: 'GuardDuty', vendor: 'AWS', ruleId: type, ruleName: type },
      // GuardDuty updates one finding id as activity recurs; the update time tells occurrences apart.
      sourceEventId: str(f.id) ? `${str(f.id)}@${str(f.updatedAt) ?? ''}` : null,
      techniques: [],
      observables: bag.toArray(),
      raw: payload,
    });
  },
};
