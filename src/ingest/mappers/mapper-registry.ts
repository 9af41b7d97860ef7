import type { NormalizedAlert } from '../../domain/alerts/alert.js';
import { crowdstrikeMapper } from './crowdstrike.mapper.js';
import { elasticMapper } from './elastic.mapper.js';
import { createGenericMapper, fallbackMapper, GenericMapperConfig } from './generic.mapper.js';
import { guarddutyMapper } from './guardduty.mapper.js';
import { MappingError, type AlertMapper, type MapContext } from './mapper.js';
import { isObject } from './mapper-support.js';
import { msgraphMapper } from './msgraph.mapper.js';
import { ocsfMapper } from './ocsf.mapper.js';
import { splunkNotableMapper, splunkWebhookMapper } from './splunk.mapper.js';
import { suricataMapper } from './suricata.mapper.js';
import { wazuhMapper } from './wazuh.mapper.js';

/**
 * Every vendor mapper, in detection order: the most specific shapes first, so a payload that carries
 * several tools' fields (an ECS document of a Suricata alert) goes to the tool that produced the alert.
 */
export const MAPPERS: readonly AlertMapper[] = [
  guarddutyMapper,
  msgraphMapper,
  crowdstrikeMapper,
  elasticMapper,
  splunkNotableMapper,
  splunkWebhookMapper,
  wazuhMapper,
  suricataMapper,
  ocsfMapper,
];

/** Names a source may choose: a vendor mapper, `auto` (detect), or `generic` (with a field-path config). */
export const MAPPER_NAMES = [
  'auto',
  'generic',
  'syslog',
  ...MAPPERS.map((m) => m.name),
  fallbackMapper.name,
] as const;

export const findMapper = (name: string): AlertMapper | undefined =>
  MAPPERS.find((m) => m.name === name) ?? (name === fallbackMapper.name ? fallbackMapper : undefined);

/** The vendor mapper that recognises the payload, else the common-field fallback, else undefined. */
export function detectMapper(payload: Record<string, unknown>): AlertMapper | undefined {
  for (const m of MAPPERS) if (m.detect(payload)) return m;
  return fallbackMapper.detect(payload) ? fallbackMapper : undefined;
}

export interface MapOptions extends MapContext {
  /** A mapper name, or `auto`/undefined to detect from the payload. */
  mapper?: string;
  /** For `generic`: the field-path configuration (validated here). */
  mapperConfig?: unknown;
}

/** Maps one JSON payload; throws `MappingError` naming the field when it cannot. */
export function mapPayload(
  payload: unknown,
  options: MapOptions,
): { alert: NormalizedAlert; mapper: string } {
  if (!isObject(payload)) throw new MappingError('', 'an alert must be a JSON object');
  let mapper: AlertMapper | undefined;
  if (options.mapper === 'generic') {
    const parsed = GenericMapperConfig.safeParse(options.mapperConfig ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new MappingError(
        `mapperConfig.${issue?.path.join('.') ?? ''}`,
        `generic mapper config: ${issue?.message ?? 'invalid'}`,
      );
    }
    mapper = createGenericMapper(parsed.data);
    if (!mapper.detect(payload))
      throw new MappingError(String(parsed.data.title), 'the configured title field is missing');
  } else if (options.mapper && options.mapper !== 'auto') {
    mapper = findMapper(options.mapper);
    if (!mapper) throw new MappingError('', `no mapper named "${options.mapper}"`);
    // A named mapper still checks the shape it reads, so another tool's payload is refused with a reason
    // instead of half-mapped (or failing inside the mapper on a field that is not there).
    if (!mapper.detect(payload)) {
      throw new MappingError(
        '',
        `not a ${mapper.description} payload (the source's mapper is ${mapper.name})`,
      );
    }
  } else {
    mapper = detectMapper(payload);
    if (!mapper) {
      throw new MappingError(
        '',
        'no mapper recognises this payload (and it has no title, name or message field): name a mapper for the source',
      );
    }
  }
  return { alert: mapper.map(payload, { now: options.now }), mapper: mapper.name };
}
