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
  strings,
  type Json,
} from './mapper-support.js';

/** OCSF `observable.type_id` values this maps (OCSF 1.x dictionary). */
const OBSERVABLE_TYPES: Record<
  number,
  'hostname' | 'ip' | 'user' | 'email' | 'url' | 'file_path' | 'hash' | 'process'
> = {
  1: 'hostname',
  2: 'ip',
  4: 'user',
  5: 'email',
  6: 'url',
  7: 'file_path',
  8: 'hash',
  9: 'process',
  21: 'user',
  23: 'url',
};

function endpoint(bag: ObservableBag, e: unknown, role: ObservableRole): void {
  if (!isObject(e)) return;
  bag.add('ipv4', e.ip, role).add('hostname', e.hostname, role).add('domain', e.domain, role);
}

/** OCSF Detection Finding (2004) and Security Finding (2001), e.g. from Security Hub, Okta, Falco. */
export const ocsfMapper: AlertMapper = {
  name: 'ocsf',
  description: 'OCSF Detection Finding (2004) and Security Finding (2001)',
  detect: (p) => (p.class_uid === 2004 || p.class_uid === 2001) && isObject(p.metadata),
  map(p, ctx) {
    const bag = new ObservableBag();
    for (const o of arr(p.observables)) {
      if (!isObject(o)) continue;
      const kind = OBSERVABLE_TYPES[Number(o.type_id)];
      if (kind === 'ip') bag.add('ipv4', o.value);
      else if (kind === 'hash') bag.addHash(o.value);
      else if (kind) bag.add(kind, o.value);
    }
    endpoint(bag, p.src_endpoint, 'source');
    endpoint(bag, p.dst_endpoint, 'destination');
    endpoint(bag, p.device, 'affected');
    for (const ev of arr(p.evidences)) {
      if (!isObject(ev)) continue;
      endpoint(bag, ev.src_endpoint, 'source');
      endpoint(bag, ev.dst_endpoint, 'destination');
      bag.add('user', get(ev, 'actor.user.name'), 'source');
      bag.add('process', get(ev, 'process.name'), 'affected');
      bag.add('file_path', get(ev, 'file.path'), 'affected');
    }
    bag.add('user', get(p, 'actor.user.name'), 'source');
    bag.add('process', get(p, 'process.name'), 'affected');
    for (const r of arr(p.resources)) if (isObject(r)) bag.add('hostname', r.hostname, 'affected');
    const sevId = p.severity_id;
    // 0 is Unknown and 99 Other: fall back to the label, then to medium.
    const severity =
      typeof sevId === 'number' && sevId >= 1 && sevId <= 6
        ? mapSeverity(sevId, SeverityScales.ocsf)
        : mapSeverity(p.severity, undefined, 'medium');
    const finding = isObject(p.finding_info)
      ? p.finding_info
      : isObject(p.finding)
        ? (p.finding as Json)
        : {};
    // Security Finding (2001) has `analytic` and `attacks` at the top level; Detection Finding (2004) and
    // pre-1.0 drafts have them in the finding object.
    const analytic = (path: string): unknown =>
      first(finding, `analytic.${path}`) ?? first(p, `analytic.${path}`);
    const attacks = [...arr(finding.attacks), ...arr(p.attacks)];
    const title = str(first(finding, 'title')) ?? str(p.message) ?? str(p.type_name) ?? 'OCSF finding';
    return buildAlert({
      time: parseTime(first(p, 'time', 'time_dt', 'finding.created_time'), ctx.now),
      title,
      description: str(first(finding, 'desc')) ?? str(p.message),
      severity,
      severityOriginal: severityText(p.severity ?? sevId),
      category: str(first(p, 'category_name')) ?? str(first(finding, 'types.0')),
      origin: {
        product: str(get(p, 'metadata.product.name')),
        vendor: str(get(p, 'metadata.product.vendor_name')),
        ruleId: str(analytic('uid') ?? analytic('name')) ?? str(get(p, 'metadata.event_code')) ?? title,
        ruleName: str(analytic('name')) ?? title,
      },
      sourceEventId: str(first(finding, 'uid')) ?? str(get(p, 'metadata.uid')),
      techniques: strings(attacks.flatMap((a) => [get(a, 'technique.uid'), get(a, 'sub_technique.uid')])),
      observables: bag.toArray(),
      raw: p,
    });
  },
};
