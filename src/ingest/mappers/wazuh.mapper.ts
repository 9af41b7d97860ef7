import { mapSeverity, SeverityScales, severityText } from '../../domain/alerts/severity-mapping.js';
import type { AlertMapper } from './mapper.js';
import {
  buildAlert,
  first,
  get,
  isObject,
  ObservableBag,
  parseTime,
  required,
  str,
  strings,
} from './mapper-support.js';

/** Wazuh manager alerts (alerts.json, the integrator, or the indexer's `wazuh-alerts-*` documents). */
export const wazuhMapper: AlertMapper = {
  name: 'wazuh',
  description: 'Wazuh alerts (alerts.json / integrator webhook)',
  detect: (p) =>
    isObject(p.rule) && 'level' in p.rule && 'id' in p.rule && (isObject(p.agent) || isObject(p.manager)),
  map(p, ctx) {
    const title = required(p, 'rule.description', 'the rule description');
    const level = get(p, 'rule.level');
    // Agent 000 is the manager itself: the host is the one named in the log, not the manager.
    const manager = str(get(p, 'agent.id')) === '000';
    const logHost = manager ? str(get(p, 'predecoder.hostname')) : null;
    const bag = new ObservableBag()
      .add('ipv4', get(p, 'data.srcip'), 'source')
      .add('ipv4', get(p, 'data.dstip'), 'destination')
      .add('user', get(p, 'data.srcuser'), 'source')
      .add('user', get(p, 'data.dstuser'), 'affected')
      .add('user', get(p, 'data.win.eventdata.targetUserName'), 'affected')
      // The manager's own address is no party to a log it collected from another host.
      .add('ipv4', logHost ? undefined : get(p, 'agent.ip'), 'affected')
      .add('file_path', get(p, 'syscheck.path'), 'affected')
      .add('md5', get(p, 'syscheck.md5_after'), 'affected')
      .add('sha1', get(p, 'syscheck.sha1_after'), 'affected')
      .add('sha256', get(p, 'syscheck.sha256_after'), 'affected')
      .add('url', get(p, 'data.url'), 'destination')
      .addFromText(p.full_log);
    bag.add('hostname', logHost ?? first(p, 'agent.name', 'predecoder.hostname'), 'affected');
    return buildAlert({
      time: parseTime(p.timestamp, ctx.now),
      title,
      description: str(p.full_log),
      severity: mapSeverity(level, SeverityScales.wazuh),
      severityOriginal: severityText(level),
      category: strings(get(p, 'rule.groups')).join(',') || null,
      origin: { product: 'Wazuh', vendor: 'Wazuh', ruleId: str(get(p, 'rule.id')), ruleName: title },
      sourceEventId: str(p.id),
      techniques: strings(get(p, 'rule.mitre.id')),
      observables: bag.toArray(),
      raw: p,
    });
  },
};
