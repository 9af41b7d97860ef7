import { mapSeverity, SeverityScales, severityText } from '../../domain/alerts/severity-mapping.js';
import type { AlertMapper } from './mapper.js';
import { buildAlert, get, isObject, ObservableBag, parseTime, required, str } from './mapper-support.js';

/** Suricata EVE JSON `alert` records (eve.json, or shipped by Filebeat / Vector as-is). */
export const suricataMapper: AlertMapper = {
  name: 'suricata',
  description: 'Suricata EVE JSON alert events',
  detect: (p) => p.event_type === 'alert' && isObject(p.alert) && 'signature_id' in p.alert,
  map(p, ctx) {
    const title = required(p, 'alert.signature', 'the alert signature');
    const priority = get(p, 'alert.severity');
    const bag = new ObservableBag()
      .add('ipv4', p.src_ip, 'source')
      .add('ipv4', p.dest_ip, 'destination')
      .add('domain', get(p, 'http.hostname'), 'destination')
      .add('domain', get(p, 'tls.sni'), 'destination')
      .add('domain', get(p, 'dns.query.0.rrname') ?? get(p, 'dns.rrname'), 'destination')
      .add('md5', get(p, 'fileinfo.md5'), 'affected')
      .add('sha1', get(p, 'fileinfo.sha1'), 'affected')
      .add('sha256', get(p, 'fileinfo.sha256'), 'affected')
      .add('hostname', p.host, 'affected');
    const host = str(get(p, 'http.hostname'));
    const path = str(get(p, 'http.url'));
    if (host && path)
      bag.add('url', `http://${host}${path.startsWith('/') ? '' : '/'}${path}`, 'destination');
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
