import { api } from './http.js';

/** The mappers an ingest source may use (MAPPER_NAMES in src/ingest/mappers/mapper-registry.ts). */
export const SOURCE_MAPPERS = [
  'auto',
  'generic',
  'syslog',
  'guardduty',
  'msgraph',
  'crowdstrike',
  'elastic',
  'splunk_es',
  'splunk',
  'wazuh',
  'suricata',
  'ocsf',
  'fallback',
] as const;

/** An ingest source as the API lists it: credentials are never shown here, only whether they are set. */
export interface IngestSource {
  name: string;
  description: string;
  mapper: string;
  mapperConfig?: unknown;
  enabled: boolean;
  hasToken: boolean;
  hasHmacSecret: boolean;
  requireTimestamp: boolean;
  /** Until when the rotated-away token still works; null: no grace running. */
  previousTokenExpiresAt: number | null;
  previousHmacSecretExpiresAt: number | null;
  /** When its newest alert came in (newer servers only); null before its first. */
  lastAlertAt?: number | null;
  createdAt: number;
  updatedAt: number;
}

/** A created or changed source, with any new credential: shown once, never again. */
export interface SourceWithCredentials {
  source: IngestSource;
  token?: string;
  hmacSecret?: string;
}

export interface CreateSource {
  name: string;
  description?: string;
  mapper?: string;
  enabled?: boolean;
  token?: boolean;
  hmac?: boolean;
  requireTimestamp?: boolean;
}

export interface UpdateSource {
  description?: string;
  mapper?: string;
  enabled?: boolean;
  rotateToken?: boolean;
  removeToken?: boolean;
  rotateHmacSecret?: boolean;
  removeHmacSecret?: boolean;
  requireTimestamp?: boolean;
  previousValidForMs?: number;
}

const enc = encodeURIComponent;

export const sourcesApi = {
  list: async () => (await api<{ sources: IngestSource[] }>('/sources')).sources,
  create: (input: CreateSource) => api<SourceWithCredentials>('/sources', { method: 'POST', body: input }),
  update: (name: string, input: UpdateSource) =>
    api<SourceWithCredentials>(`/sources/${enc(name)}`, { method: 'PATCH', body: input }),
  remove: (name: string) => api<void>(`/sources/${enc(name)}`, { method: 'DELETE' }),
};

/** Where a source's sender posts its alerts. */
export const webhookPathOf = (name: string): string => `/api/v1/sources/${enc(name)}/webhook`;
