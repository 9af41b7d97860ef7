import type {
  ConnectionTest,
  ConnectorInstance,
  ConnectorType,
  Containment,
  ContainmentBreaker,
  ProtectedAsset,
} from './connector-types.js';
import { api } from './http.js';

const enc = encodeURIComponent;

export const connectorsApi = {
  types: () => api<ConnectorType[]>('/connector-types'),
  instances: () => api<ConnectorInstance[]>('/connectors'),
  test: (name: string) => api<ConnectionTest>(`/connectors/${enc(name)}/test`, { method: 'POST' }),
};

export const containmentApi = {
  list: (status: string) => api<Containment[]>('/containments', { query: { status, limit: 200 } }),
  undo: (id: string) => api<Containment>(`/containments/${enc(id)}/undo`, { method: 'POST' }),
  protectedAssets: () => api<ProtectedAsset[]>('/protected-assets'),
  breakers: () => api<ContainmentBreaker[]>('/containment-breakers'),
  resetBreaker: (scope: string) => api<void>(`/containment-breakers/${enc(scope)}`, { method: 'DELETE' }),
};
