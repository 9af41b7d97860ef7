import { api, apiResponse, type Query } from './http.js';
import { jsonMemberText } from './json-text.js';
import type {
  Alert,
  AlertDetail,
  AlertPage,
  Case,
  CaseAlert,
  CaseAlertList,
  CaseDetail,
  CaseEvent,
  CaseObservable,
  Evidence,
  Me,
  Page,
  ResponseReport,
  SignedIn,
  Task,
  TaskState,
} from './types.js';

const enc = encodeURIComponent;

/** Sign-in and the caller's identity. */
export const authApi = {
  login: (username: string, password: string) =>
    api<SignedIn>('/auth/login', { method: 'POST', body: { username, password } }),
  logout: () => api<void>('/auth/logout', { method: 'POST' }),
  me: () => api<Me>('/auth/me'),
  changePassword: (currentPassword: string, newPassword: string) =>
    api<void>('/auth/password', { method: 'POST', body: { currentPassword, newPassword } }),
};

export const alertsApi = {
  list: (query: Query) => api<AlertPage>('/alerts', { query }),
  /** One alert; its raw event is taken from the answer's text, as JSON.parse would round its 64-bit ids. */
  get: async (id: string): Promise<AlertDetail> => {
    const { body, text } = await apiResponse<Alert & { raw?: unknown }>(`/alerts/${enc(id)}`);
    const { raw: _parsed, ...alert } = body;
    return { ...alert, rawText: jsonMemberText(text, 'raw') };
  },
};

export const casesApi = {
  list: (query: Query) => api<Page<Case>>('/cases', { query }),
  get: (id: string) => api<CaseDetail>(`/cases/${enc(id)}`),
  update: (id: string, patch: { assignee?: string | null }) =>
    api<Case>(`/cases/${enc(id)}`, { method: 'PATCH', body: patch }),
  transition: (id: string, body: { to: string; resolution?: string; reason?: string }) =>
    api<Case>(`/cases/${enc(id)}/transitions`, { method: 'POST', body }),
  timeline: (id: string, after?: string) =>
    api<{ items: CaseEvent[]; nextAfter: string | null }>(`/cases/${enc(id)}/timeline`, {
      query: { after, limit: 1000 },
    }),
  tasks: (id: string) => api<Task[]>(`/cases/${enc(id)}/tasks`),
  setTaskState: (id: string, taskId: string, state: TaskState) =>
    api<Task>(`/cases/${enc(id)}/tasks/${enc(taskId)}`, { method: 'PATCH', body: { state } }),
  comment: (id: string, body: string) =>
    api<CaseEvent>(`/cases/${enc(id)}/comments`, { method: 'POST', body: { body } }),
  observables: (id: string) => api<CaseObservable[]>(`/cases/${enc(id)}/observables`),
  setVerdict: (id: string, body: { type: string; value: string; verdict: string }) =>
    api<unknown>(`/cases/${enc(id)}/observables/verdicts`, { method: 'POST', body }),
  alerts: async (id: string): Promise<CaseAlertList> => {
    const { body, headers } = await apiResponse<CaseAlert[]>(`/cases/${enc(id)}/alerts`);
    const total = Number(headers.get('x-total-count') ?? NaN);
    return { items: body, total: Number.isFinite(total) ? total : body.length };
  },
  evidence: (id: string) => api<Evidence[]>(`/cases/${enc(id)}/evidence`),
  uploadEvidence: (id: string, file: File, description?: string) =>
    api<Evidence>(`/cases/${enc(id)}/evidence`, {
      method: 'POST',
      file,
      query: { filename: file.name, description },
    }),
  evidenceUrl: (id: string, evidenceId: string) =>
    `/api/v1/cases/${enc(id)}/evidence/${enc(evidenceId)}/content`,
};

export const metricsApi = {
  response: () => api<ResponseReport>('/metrics/response'),
};
