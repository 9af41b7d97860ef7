import { z } from 'zod';
import { mapSeverity, SeverityScales, severityText } from '../../domain/alerts/severity-mapping.js';
import { ObservableRole, ObservableType } from '../../domain/observables/observable.js';
import { Severity } from '../../domain/shared/severity.js';
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

const Paths = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/**
 * A mapper for any JSON source, configured by field paths (dotted, flattened keys allowed; a list means the
 * first present). Saved with an ingest source, so a new tool needs configuration, not code.
 *
 * @example { "title": ["rule.name", "message"], "severity": "level", "severityScale": "wazuh",
 *            "observables": [{ "path": "src.addr", "type": "ipv4", "role": "source" }] }
 */
export const GenericMapperConfig = z.object({
  title: Paths,
  description: Paths.optional(),
  severity: Paths.optional(),
  severityScale: z.enum(Object.keys(SeverityScales) as [keyof typeof SeverityScales]).optional(),
  severityDefault: z.enum(Severity).default('medium'),
  time: Paths.optional(),
  category: Paths.optional(),
  ruleId: Paths.optional(),
  ruleName: Paths.optional(),
  sourceEventId: Paths.optional(),
  techniques: Paths.optional(),
  product: z.string().optional(),
  vendor: z.string().optional(),
  observables: z
    .array(
      z.object({
        path: z.string().min(1),
        type: z.enum(ObservableType),
        role: z.enum(ObservableRole).default('related'),
      }),
    )
    .default([]),
  /** Fields whose text is searched for indicators (IPs, domains, hashes…). */
  extractFrom: z.array(z.string().min(1)).default([]),
});
export type GenericMapperConfig = z.infer<typeof GenericMapperConfig>;

const at = (p: Json, paths: string | string[] | undefined): unknown =>
  paths === undefined ? undefined : first(p, ...(Array.isArray(paths) ? paths : [paths]));

/** Builds a mapper from a field-path configuration (already validated by `GenericMapperConfig`). */
export function createGenericMapper(config: GenericMapperConfig, name = 'generic'): AlertMapper {
  return {
    name,
    description: 'configured by field paths',
    detect: (p) => str(at(p, config.title)) !== null,
    map(p, ctx) {
      const bag = new ObservableBag();
      for (const o of config.observables) {
        if (o.type === 'md5' || o.type === 'sha1' || o.type === 'sha256')
          bag.add(o.type, get(p, o.path), o.role);
        else if (o.type === 'hostname') bag.addHost(get(p, o.path), o.role);
        else bag.add(o.type, get(p, o.path), o.role);
      }
      for (const path of config.extractFrom) bag.addFromText(get(p, path));
      const sev = at(p, config.severity);
      const title = str(at(p, config.title)) ?? 'untitled alert';
      return buildAlert({
        time: parseTime(at(p, config.time), ctx.now),
        title,
        description: str(at(p, config.description)),
        severity: mapSeverity(
          sev,
          config.severityScale ? SeverityScales[config.severityScale] : undefined,
          config.severityDefault,
        ),
        severityOriginal: severityText(sev),
        category: str(at(p, config.category)),
        origin: {
          product: config.product ?? null,
          vendor: config.vendor ?? null,
          ruleId: str(at(p, config.ruleId)) ?? title,
          ruleName: str(at(p, config.ruleName)) ?? title,
        },
        sourceEventId: str(at(p, config.sourceEventId)),
        techniques: strings(at(p, config.techniques)),
        observables: bag.toArray(),
        raw: p,
      });
    },
  };
}

/** Common field names of home-grown alert JSON, for payloads no vendor mapper recognises. */
export const fallbackMapper: AlertMapper = {
  ...createGenericMapper(
    GenericMapperConfig.parse({
      title: ['title', 'name', 'rule.name', 'alert.name', 'summary', 'message', 'msg', 'event.name'],
      description: ['description', 'details', 'message'],
      severity: ['severity', 'level', 'priority', 'urgency', 'risk'],
      time: ['time', 'timestamp', '@timestamp', 'created_at', 'createdAt', 'date', 'event_time'],
      category: ['category', 'type'],
      ruleId: ['rule_id', 'rule.id', 'ruleId', 'signature_id'],
      ruleName: ['rule_name', 'rule.name', 'ruleName', 'signature'],
      sourceEventId: ['id', 'event_id', 'eventId', 'alert_id', 'uuid'],
      techniques: ['mitre', 'techniques', 'technique_id'],
      observables: [
        ['src_ip', 'ipv4', 'source'],
        ['source_ip', 'ipv4', 'source'],
        ['source.ip', 'ipv4', 'source'],
        ['src', 'hostname', 'source'],
        ['dst_ip', 'ipv4', 'destination'],
        ['dest_ip', 'ipv4', 'destination'],
        ['destination_ip', 'ipv4', 'destination'],
        ['destination.ip', 'ipv4', 'destination'],
        ['dst', 'hostname', 'destination'],
        ['host', 'hostname', 'affected'],
        ['hostname', 'hostname', 'affected'],
        ['host.name', 'hostname', 'affected'],
        ['user', 'user', 'affected'],
        ['username', 'user', 'affected'],
        ['user.name', 'user', 'affected'],
        ['url', 'url', 'related'],
        ['domain', 'domain', 'related'],
        ['md5', 'md5', 'related'],
        ['sha1', 'sha1', 'related'],
        ['sha256', 'sha256', 'related'],
        ['file_path', 'file_path', 'affected'],
        ['process', 'process', 'affected'],
        ['email', 'email', 'related'],
      ].map(([path, type, role]) => ({ path, type, role })),
      extractFrom: ['message', 'description', 'msg', 'details'],
    }),
    'fallback',
  ),
  description: 'common field names (title/name/message, severity/level, src_ip/dest_ip, …)',
  detect: (p) =>
    isObject(p) &&
    str(first(p, 'title', 'name', 'rule.name', 'alert.name', 'summary', 'message', 'msg', 'event.name')) !==
      null,
};
