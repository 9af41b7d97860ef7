import { mapSeverity, severityText } from '../../domain/alerts/severity-mapping.js';
import type { AlertMapper } from './mapper.js';
import {
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

/** CIM field names Splunk searches and ES notables use for the parties of an event. */
function cimObservables(r: Json, bag: ObservableBag): ObservableBag {
  return bag
    .addHost(first(r, 'src_ip', 'src'), 'source')
    .addHost(first(r, 'dest_ip', 'dest'), 'destination')
    .addHost(first(r, 'dvc', 'orig_host', 'host'), 'affected')
    .add('user', first(r, 'src_user'), 'source')
    .add('user', first(r, 'user', 'dest_user'), 'affected')
    .add('url', first(r, 'url'), 'destination')
    .add('domain', first(r, 'query', 'dest_dns'), 'destination')
    .add('file_path', first(r, 'file_path'), 'affected')
    .add('process', first(r, 'process_name', 'process'), 'affected')
    .addHash(first(r, 'file_hash'), 'affected')
    .add('email', first(r, 'recipient'), 'affected')
    .add('email', first(r, 'sender'), 'source');
}

/** The payload of Splunk's webhook alert action: `{ sid, search_name, results_link, result: {...} }`. */
export const splunkWebhookMapper: AlertMapper = {
  name: 'splunk',
  description: 'Splunk webhook alert action',
  detect: (p) =>
    typeof p.sid === 'string' && isObject(p.result) && ('results_link' in p || 'search_name' in p),
  map(p, ctx) {
    const r = p.result as Json;
    const search = str(p.search_name);
    const sev = first(r, 'urgency', 'severity');
    return buildAlert({
      time: parseTime(first(r, '_time'), ctx.now),
      title: search ?? `Splunk alert ${String(p.sid)}`,
      description: str(first(r, 'description', '_raw')),
      severity: mapSeverity(sev, undefined, 'medium'),
      severityOriginal: severityText(sev),
      category: str(first(r, 'sourcetype')),
      origin: { product: 'Splunk', vendor: 'Splunk', ruleId: search ?? str(p.sid), ruleName: search },
      // The search id names one run of the search, which posts once: a retry of that post is the same alert.
      sourceEventId: str(p.sid),
      techniques: [],
      observables: cimObservables(r, new ObservableBag()).addFromText(r._raw).toArray(),
      raw: p,
    });
  },
};

/** Splunk Enterprise Security notable events (`notable` index or the ES API), CIM field names. */
export const splunkNotableMapper: AlertMapper = {
  name: 'splunk_es',
  description: 'Splunk Enterprise Security notable events',
  detect: (p) =>
    ('event_id' in p || 'rule_id' in p) &&
    ('rule_name' in p || 'rule_title' in p || 'search_name' in p) &&
    ('urgency' in p || 'security_domain' in p),
  map(p, ctx) {
    const ruleName = str(first(p, 'rule_name', 'search_name'));
    const sev = first(p, 'urgency', 'severity');
    return buildAlert({
      time: parseTime(first(p, '_time', 'orig_time'), ctx.now),
      title: str(first(p, 'rule_title', 'rule_name', 'search_name')) ?? 'Splunk ES notable',
      description: str(first(p, 'rule_description', 'description')),
      severity: mapSeverity(sev),
      severityOriginal: severityText(sev),
      category: str(get(p, 'security_domain')),
      origin: {
        product: 'Splunk Enterprise Security',
        vendor: 'Splunk',
        // ES sets rule_id per notable; the correlation search is the rule.
        ruleId: str(first(p, 'search_name', 'source', 'rule_name')),
        ruleName,
      },
      sourceEventId: str(first(p, 'event_id', 'rule_id')),
      techniques: strings(first(p, 'annotations.mitre_attack', 'mitre_technique_id')),
      observables: cimObservables(p, new ObservableBag()).toArray(),
      raw: p,
    });
  },
};
