import { mapSeverity, severityText } from '../../domain/alerts/severity-mapping.js';
import type { ObservableRole } from '../../domain/observables/observable.js';
import type { AlertMapper } from './mapper.js';
import { arr, buildAlert, first, get, ObservableBag, parseTime, str, strings } from './mapper-support.js';

/**
 * The part the evidence plays, from its documented `roles` (alertEvidence: attacker, source, compromised,
 * attacked, destination, commandAndControl, contextual, …); `fallback` when none of those says.
 */
function roleOf(e: unknown, fallback: ObservableRole): ObservableRole {
  const roles = new Set(strings(get(e, 'roles')));
  if (roles.has('attacker') || roles.has('source')) return 'source';
  if (roles.has('compromised') || roles.has('attacked')) return 'affected';
  if (roles.has('destination') || roles.has('commandAndControl')) return 'destination';
  return fallback;
}

/** A fileDetails object's hashes and full path. */
function addFile(bag: ObservableBag, file: unknown, role: ObservableRole): void {
  bag
    .add('md5', get(file, 'md5'), role)
    .add('sha1', get(file, 'sha1'), role)
    .add('sha256', get(file, 'sha256'), role)
    .add('file_path', joinPath(get(file, 'filePath'), get(file, 'fileName')), role);
}

const userOf = (account: unknown): unknown => first(account, 'userPrincipalName', 'accountName');

/** Adds what one `alertEvidence` item names; the evidence `@odata.type` says what it is. */
function addEvidence(bag: ObservableBag, e: unknown): void {
  const kind = String(get(e, '@odata.type') ?? '').replace('#microsoft.graph.security.', '');
  switch (kind) {
    case 'deviceEvidence': {
      const role = roleOf(e, 'affected');
      bag.add('hostname', get(e, 'deviceDnsName'), role);
      for (const ip of arr(get(e, 'ipInterfaces'))) bag.add('ipv4', ip, role);
      break;
    }
    case 'userEvidence':
      bag.add('user', userOf(get(e, 'userAccount')), roleOf(e, 'affected'));
      break;
    case 'ipEvidence':
      bag.add('ipv4', get(e, 'ipAddress'), roleOf(e, 'related'));
      break;
    case 'urlEvidence':
      bag.add('url', get(e, 'url'), roleOf(e, 'related'));
      break;
    case 'fileEvidence':
      addFile(bag, get(e, 'fileDetails'), roleOf(e, 'affected'));
      break;
    case 'processEvidence': {
      const role = roleOf(e, 'affected');
      bag.add('process', get(e, 'imageFile.fileName'), role);
      addFile(bag, get(e, 'imageFile'), role);
      bag.add('user', userOf(get(e, 'userAccount')), role);
      // The command line is free text: what it names (URLs, IPs, paths) is related, not typed.
      bag.addFromText(get(e, 'processCommandLine'));
      break;
    }
    case 'mailboxEvidence':
      bag.add('email', get(e, 'primaryAddress'), roleOf(e, 'affected'));
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
