import { mapSeverity, SeverityScales, severityText } from '../../domain/alerts/severity-mapping.js';
import type { ObservableRole } from '../../domain/observables/observable.js';
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

/** An action's remote address: RemoteIpDetails has `ipAddressV4` and `ipAddressV6`, either may be set. */
const remoteIp = (bag: ObservableBag, holder: unknown, role: ObservableRole): void => {
  bag
    .add('ipv4', get(holder, 'remoteIpDetails.ipAddressV4'), role)
    .add('ipv6', get(holder, 'remoteIpDetails.ipAddressV6'), role);
};

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
      .add('domain', get(action, 'dnsRequestAction.domain'), 'destination')
      .add('user', get(f, 'resource.accessKeyDetails.userName'), 'affected')
      .add('hostname', get(f, 'resource.instanceDetails.instanceId'), 'affected');
    remoteIp(bag, get(action, 'networkConnectionAction'), inbound ? 'source' : 'destination');
    remoteIp(bag, get(action, 'awsApiCallAction'), 'source');
    remoteIp(bag, get(action, 'kubernetesApiCallAction'), 'source');
    remoteIp(bag, get(action, 'rdsLoginAttemptAction'), 'source');
    for (const probe of arr(get(action, 'portProbeAction.portProbeDetails'))) remoteIp(bag, probe, 'source');
    for (const ni of arr(get(f, 'resource.instanceDetails.networkInterfaces'))) {
      bag.add('ipv4', get(ni, 'privateIpAddress'), 'affected').add('ipv4', get(ni, 'publicIp'), 'affected');
      bag.add('ipv6', get(ni, 'ipv6Addresses'), 'affected');
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
