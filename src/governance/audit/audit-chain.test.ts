import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../domain/shared/canonical-json.js';
import { GENESIS_HASH, hashAuditEntry } from './audit-chain.js';

describe('hashAuditEntry', () => {
  it('is SHA-256 over the previous hash, a newline and the canonical body, as stored chains were hashed', () => {
    const entry = {
      seq: 7,
      at: 1_764_529_000_000,
      actor: { type: 'system' as const, id: 'riposte', name: 'Riposte' },
      action: 'run.action',
      target: { type: 'run', id: 'r1' },
      outcome: 'success' as const,
      details: { input: { ip: '10.0.0.1', note: 'é ✓' }, attempt: 1 },
      prevHash: GENESIS_HASH,
    };
    const { prevHash, ...rest } = entry;
    const body = canonicalJson({ ...rest });
    const expected = createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
    expect(hashAuditEntry(entry)).toBe(expected);
  });
});
