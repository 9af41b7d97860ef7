import { mapSeverity, SeverityScales, severityText } from '../../domain/alerts/severity-mapping.js';
import type { AlertMapper } from './mapper.js';
import {
  arr,
  buildAlert,
  get,
  isObject,
  ObservableBag,
  parseTime,
  required,
  str,
  type Json,
} from './mapper-support.js';

/**
 * The queried names: Suricata 8 (EVE DNS v3) writes `dns.queries[]`, 7.x `dns.query[]` in alerts and
 * `dns.rrname` in its DNS v2 records.
 */
const dnsNames = (p: Json): unknown[] => [
  ...arr(get(p, 'dns.queries')).map((q) => get(q, 'rrname')),
  ...arr(get(p, 'dns.query')).map((q) => get(q, 'rrname')),
  get(p, 'dns.rrname'),
];

/**
 * The request's URL. `http.url` is the request target as sent: origin-form (`/x`) is completed with the host
 * and a non-default port, absolute-form (a proxy request) is the URL already, and CONNECT's authority-form
 * (`host:443`) and `*` name no resource, so the host's domain observable is all there is.
 */
function httpUrl(p: Json): string | null {
  const target = str(get(p, 'http.url'));
  if (!target) return null;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return target;
  const host = str(get(p, 'http.hostname'));
  if (!host || !target.startsWith('/')) return null;
  const port = Number(get(p, 'http.http_port'));
  const authority = host.includes(':') ? `[${host}]` : host;
  return `http://${authority}${Number.isInteger(port) && port > 0 && port !== 80 ? `:${port}` : ''}${target}`;
}

/** Suricata EVE JSON `alert` records (eve.json, or shipped by Filebeat / Vector as-is). */
export const suricataMapper: AlertMapper = {
  name: 'suricata',
  description: 'Suricata EVE JSON alert events',
  detect: (p) => p.event_type === 'alert' && isObject(p.alert) && 'signature_id' in p.alert,
  map(p, ctx) {
    const title = required(p, 'alert.signature', 'the alert signature');
    const priority = get(p, 'alert.severity');
    // `host` is not read: it is the sensor's name (EVE schema: "the sensor-name, if configured"), not a
    // party to the alert, and as an observable it would group every alert that sensor raises.
    // A rule with the `target` keyword names attacker and victim (alert.source, alert.target): a reply from
    // the victim has them as dest_ip and src_ip, and reading the flow's direction would make the victim the
    // source, the address a playbook blocks. Without it, the flow's direction is all there is.
    const attacker = get(p, 'alert.source.ip');
    const victim = get(p, 'alert.target.ip');
    const named = attacker !== undefined || victim !== undefined;
    const bag = new ObservableBag()
      .add('ipv4', named ? attacker : p.src_ip, 'source')
      .add('ipv4', named ? victim : p.dest_ip, named ? 'affected' : 'destination')
      .add('domain', get(p, 'http.hostname'), 'destination')
      .add('domain', get(p, 'tls.sni'), 'destination')
      .add('domain', dnsNames(p), 'destination')
      .add('md5', get(p, 'fileinfo.md5'), 'affected')
      .add('sha1', get(p, 'fileinfo.sha1'), 'affected')
      .add('sha256', get(p, 'fileinfo.sha256'), 'affected')
      .add('url', httpUrl(p), 'destination');
    // EVE has no event id; flow, signature and time together identify one alert record.
    const flow = str(p.flow_id);
    const ts = str(p.timestamp);
    return buildAlert({
      time: parseTime(p.timestamp, ctx.now),
      title,
      description: null,
      // Suricata priority 1 is the most severe, so the scale is read negated.
      severity: typeof priority === 'number' ? mapSeverity(-priority, SeverityScales.suricata) : 'medium',
      severityOriginal: severityText(priority),
      category: str(get(p, 'alert.category')),
      origin: {
        product: 'Suricata',
        vendor: 'OISF',
        ruleId: `${str(get(p, 'alert.gid')) ?? '1'}:${str(get(p, 'alert.signature_id'))}`,
        ruleName: title,
      },
      sourceEventId: flow && ts ? `${flow}:${str(get(p, 'alert.signature_id'))}:${ts}` : null,
      techniques: [],
      observables: bag.toArray(),
      raw: p,
    });
  },
};
