import { mapSeverity, severityText } from '../../domain/alerts/severity-mapping.js';
import type { AlertMapper } from './mapper.js';
import { arr, buildAlert, first, get, ObservableBag, parseTime, str, strings } from './mapper-support.js';

/**
 * Elastic Security detection alerts (`.alerts-security.alerts-*`, ECS; flattened `kibana.alert.*` keys or
 * nested objects, and the legacy `signal.*` shape of 7.x `.siem-signals-*` indices, whose fields Elastic's alert
 * schema page cross-references: `signal.original_time`, `signal.rule.risk_score`, `signal.rule.id`, …).
 */
export const elasticMapper: AlertMapper = {
  name: 'elastic',
  description: 'Elastic Security detection alerts (ECS)',
  detect: (p) => get(p, 'kibana.alert.rule.name') !== undefined || get(p, 'signal.rule.name') !== undefined,
  map(p, ctx) {
    const ruleName = str(first(p, 'kibana.alert.rule.name', 'signal.rule.name')) ?? 'Elastic alert';
    const sev = first(p, 'kibana.alert.severity', 'signal.rule.severity', 'event.severity');
    const riskScore = first(p, 'kibana.alert.risk_score', 'signal.rule.risk_score');
    const bag = new ObservableBag()
      .add('ipv4', get(p, 'source.ip'), 'source')
      .add('domain', get(p, 'source.domain'), 'source')
      .add('ipv4', get(p, 'destination.ip'), 'destination')
      .add('domain', get(p, 'destination.domain'), 'destination')
      .add('hostname', get(p, 'host.name'), 'affected')
      .add('ipv4', get(p, 'host.ip'), 'affected')
      .add('user', get(p, 'user.name'), 'affected')
      .add('process', first(p, 'process.executable', 'process.name'), 'affected')
      .add('file_path', get(p, 'file.path'), 'affected')
      .add('md5', first(p, 'file.hash.md5', 'process.hash.md5'), 'affected')
      .add('sha1', first(p, 'file.hash.sha1', 'process.hash.sha1'), 'affected')
      .add('sha256', first(p, 'file.hash.sha256', 'process.hash.sha256'), 'affected')
      .add('url', get(p, 'url.full'), 'destination')
      .add('domain', first(p, 'dns.question.name', 'url.domain'), 'destination')
      .add('email', get(p, 'email.from.address'), 'source')
      .add('email', get(p, 'email.to.address'), 'affected');
    const threats = arr(first(p, 'kibana.alert.rule.threat', 'signal.rule.threat'));
    const techniques = threats.flatMap((t) =>
      arr(get(t, 'technique')).flatMap((tech) => [
        ...strings(get(tech, 'id')),
        ...arr(get(tech, 'subtechnique')).flatMap((s) => strings(get(s, 'id'))),
      ]),
    );
    return buildAlert({
      time: parseTime(first(p, 'kibana.alert.original_time', 'signal.original_time', '@timestamp'), ctx.now),
      title: ruleName,
      description: str(
        first(
          p,
          'kibana.alert.reason',
          'signal.reason',
          'kibana.alert.rule.description',
          'signal.rule.description',
        ),
      ),
      severity: mapSeverity(sev ?? riskScore),
      severityOriginal: severityText(sev ?? riskScore),
      category: str(first(p, 'kibana.alert.rule.category', 'event.category.0', 'event.category')),
      origin: {
        product: 'Elastic Security',
        vendor: 'Elastic',
        ruleId: str(
          first(
            p,
            'kibana.alert.rule.rule_id',
            'signal.rule.rule_id',
            'kibana.alert.rule.uuid',
            'signal.rule.id',
          ),
        ),
        ruleName,
      },
      sourceEventId: str(first(p, 'kibana.alert.uuid', '_id', 'signal.id')),
      techniques,
      observables: bag.toArray(),
      raw: p,
    });
  },
};
