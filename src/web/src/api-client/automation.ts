import type {
  Approval,
  ApprovalDecided,
  PlaybookDetail,
  PlaybookSummary,
  PlaybookVersion,
  Run,
  RunDetail,
} from './automation-types.js';
import { api, type Query } from './http.js';

const enc = encodeURIComponent;

export const playbooksApi = {
  list: () => api<{ items: PlaybookSummary[] }>('/playbooks'),
  get: (id: string) => api<PlaybookDetail>(`/playbooks/${enc(id)}`),
  version: (id: string, version: number) => api<PlaybookVersion>(`/playbooks/${enc(id)}/versions/${version}`),
  activate: (id: string, version: number) =>
    api<PlaybookSummary>(`/playbooks/${enc(id)}/versions/${version}/activate`, { method: 'POST' }),
};

export type RunAction = 'cancel' | 'pause' | 'resume';

export const runsApi = {
  list: (query: Query) => api<{ items: Run[] }>('/runs', { query }),
  get: (id: string) => api<RunDetail>(`/runs/${enc(id)}`),
  control: (id: string, action: RunAction, reason?: string) =>
    api<{ runId: string; requested: string }>(`/runs/${enc(id)}/${action}`, {
      method: 'POST',
      body: reason ? { reason } : {},
    }),
};

export const approvalsApi = {
  list: (query: Query) => api<{ items: Approval[] }>('/approvals', { query }),
  decide: (id: string, decision: 'approved' | 'rejected', comment?: string) =>
    api<ApprovalDecided>(`/approvals/${enc(id)}/decision`, {
      method: 'POST',
      body: { decision, ...(comment ? { comment } : {}) },
    }),
};
