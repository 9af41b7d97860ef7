import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toJsonSchema } from './connector-registry.js';
import { connectorConfig, defineAction, defineConnector, secret } from './define-connector.js';

const Config = connectorConfig({
  apiKey: secret(z.string()),
  token: secret(z.string()).optional(),
  region: z.string().default('eu'),
});
const read = defineAction({
  name: 'acme.lookup',
  description: 'd',
  risk: 'read',
  input: z.object({ value: z.string() }),
  output: z.object({ ok: z.boolean() }),
  example: { ok: true },
  idempotency: 'natural',
  run: async () => ({ ok: true }),
});
const test = async () => ({ ok: true, message: 'ok' });

describe('defineConnector', () => {
  it('finds the secret keys, also through optional()', () => {
    const c = defineConnector({
      name: 'acme',
      title: 'A',
      description: 'd',
      config: Config,
      actions: [read],
      test,
    });
    expect(c.secretKeys).toEqual(['apiKey', 'token']);
  });

  it('marks secrets write-only in the JSON Schema', () => {
    const schema = toJsonSchema(Config, 'input') as { properties: Record<string, Record<string, unknown>> };
    expect(schema.properties.apiKey?.writeOnly).toBe(true);
    expect(schema.properties.region?.writeOnly).toBeUndefined();
  });

  it('refuses a wrong prefix, a bad example, a missing undo, and containment without targets', () => {
    const base = { title: 'A', description: 'd', config: Config, test };
    expect(() => defineConnector({ ...base, name: 'other', actions: [read] })).toThrow(/other\.<verb_noun>/);
    const badExample = defineAction({ ...read, example: { ok: 'yes' } as never });
    expect(() => defineConnector({ ...base, name: 'acme', actions: [badExample] })).toThrow(/example output/);
    const noUndo = defineAction({
      ...read,
      name: 'acme.block',
      risk: 'contain',
      targets: () => [],
      undo: { action: 'acme.unblock', input: () => ({}) },
    });
    expect(() => defineConnector({ ...base, name: 'acme', actions: [noUndo] })).toThrow(/acme\.unblock/);
    const noTargets = defineAction({ ...read, name: 'acme.block', risk: 'contain' });
    expect(() => defineConnector({ ...base, name: 'acme', actions: [noTargets] })).toThrow(/targets/);
  });
});
