import { mapSeverity, severityText } from '../../domain/alerts/severity-mapping.js';
import type { AlertMapper } from './mapper.js';
import { arr, buildAlert, first, get, ObservableBag, parseTime, str, strings } from './mapper-support.js';

/** Adds what one `alertEvidence` item names; the evidence `@odata.type` says what it is. */
function addEvidence(bag: ObservableBag, e: unknown): void {
  const kind = String(get(e, '@odata.type') ?? '').replace('#microsoft.graph.security.', '');
  switch (kind) {
    case 'deviceEvidence':
      bag.add('hostname', get(e, 'deviceDnsName'), 'affected');
      for (const ip of arr(get(e, 'ipInterfaces'))) bag.add('ipv4', ip, 'affected');
      break;
    case 'userEvidence':
      bag.add('user', first(e, 'userAccount.userPrincipalName', 'userAccount.accountName'), 'affected');
      break;
    case 'ipEvidence':
      bag.add('ipv4', get(e, 'ipAddress'), 'related');
      break;
    case 'urlEvidence':
      bag.add('url', get(e, 'url'), 'related');
      break;
    case 'fileEvidence':
      bag
        .add('sha1', get(e, 'fileDetails.sha1'), 'affected')
        .add('sha256', get(e, 'fileDetails.sha256'), 'affected')
        .add(
          'file_path',
          joinPath(get(e, 'fileDetails.filePath'), get(e, 'fileDetails.fileName')),
          'affected',
        );
      break;
    case 'processEvidence':
      bag
        .add('process', first(e, 'imageFile.fileName'), 'affected')
        .add('sha256', get(e, 'imageFile.sha256'), 'affected')
        .add('sha1', get(e, 'imageFile.sha1'), 'affected');
      break;
    case 'mailboxEvidence':
      bag.add('email', get(e, 'primaryAddress'), 'affected');
      break;
    case 'analyzedMessageEvidence':
      bag
        .add('ipv4', get(e, 'senderIp'), 'source')
        .add('email', get(e, 'p1Sender.emailAddress'), 'source')
        .add('email', get(e, 'recipientEmailAddress'), 'affected');
      for (const u of arr(get(e, 'urls'))) bag.add('url', u, 'related');
      break;
    default:
      break;
  }
}

const joinPath = (dir: unknown, name: unknown): string | null => {
  const d = str(dir);
  const n = str(name);
  if (!n) return d;
  if (!d) return n;
  return `${d}${/[\\/]$/.test(d) ? '' : d.includes('\\') ? '\\' : '/'}${n}`;
};

/** Microsoft Graph security `alerts_v2` (Defender XDR: Endpoint, Office 365, Identity, Cloud Apps). */
export const msgraphMapper: AlertMapper = {
  name: 'msgraph',
  description: 'Microsoft Graph security alerts v2 (Defender XDR)',
  detect: (p) =>
    String(p['@odata.type'] ?? '') === '#microsoft.graph.security.alert' ||
    (typeof p.providerAlertId === 'string' && typeof p.serviceSource === 'string'),
  map(p, ctx) {
    const bag = new ObservableBag();
    for (const e of arr(p.evidence)) addEvidence(bag, e);
    const title = str(p.title) ?? 'Microsoft Defender alert';
    return buildAlert({
      time: parseTime(first(p, 'firstActivityDateTime', 'createdDateTime'), ctx.now),
      title,
      description: str(p.description),
      severity: mapSeverity(p.severity, undefined, 'medium'),
      severityOriginal: severityText(p.severity),
      category: str(p.category),
      origin: {
        product: str(p.serviceSource) ?? 'Microsoft Defender',
        vendor: 'Microsoft',
        ruleId: str(first(p, 'detectorId', 'alertPolicyId')) ?? title,
        ruleName: title,
      },
      sourceEventId: str(p.id),
      techniques: strings(p.mitreTechniques),
      observables: bag.toArray(),
      raw: p,
    });
  },
};
