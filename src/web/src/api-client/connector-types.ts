// Shapes of the connector and containment answers (src/api/connectors/connector.schemas.ts).

export interface ConnectorInstance {
  name: string;
  connector: string;
  isDefault: boolean;
  /** Settings without credentials. */
  config: Record<string, unknown>;
  /** Which credentials are set; values are never returned. */
  secrets: Record<string, 'set'>;
  createdAt: number;
  updatedAt: number;
}

export interface ConnectorAction {
  name: string;
  description: string;
  risk: 'read' | 'contain' | 'destructive';
  undo: string | null;
  openc2: string | null;
}

export interface ConnectorType {
  name: string;
  title: string;
  description: string;
  secretKeys: string[];
  actions: ConnectorAction[];
}

export interface ConnectionTest {
  ok: boolean;
  message: string;
  connector: string;
}

export const CONTAINMENT_STATUSES = ['active', 'undone', 'undo_failed'] as const;

export interface Containment {
  id: string;
  action: string;
  connector: string;
  instance: string;
  targets: Array<{ kind: string; value: string }>;
  undo: { action: string; input: Record<string, unknown> } | null;
  status: (typeof CONTAINMENT_STATUSES)[number];
  runId: string;
  stepId: string;
  playbookId: string;
  caseId: string | null;
  createdAt: number;
  expiresAt: number | null;
  undoneAt: number | null;
  undoneBy: string | null;
  lastError: string | null;
}

export interface ProtectedAsset {
  id: string;
  kind: 'ip' | 'host' | 'user' | 'domain';
  value: string;
  reason: string;
  createdAt: number;
}

export interface ContainmentBreaker {
  scope: string;
  openedAt: number;
  openUntil: number;
  reason: string;
}
