import { z } from 'zod';
import { ConnectorError } from '../../action-executor.js';
import { ConnectorErrorCode } from '../../framework/connector-errors.js';
import { defineAction } from '../../framework/define-connector.js';
import { assetRef } from '../../safety/asset-ref.js';
import { odataString } from '../entra/microsoft-identity.js';
import {
  defender,
  MachineAction,
  ODataList,
  STANDING_STATUSES,
  type DefenderContext,
} from './defender-api.js';

const Machine = z.looseObject({ id: z.string(), computerDnsName: z.string().nullable().optional() });

const MachineRef = z.object({
  /** The machine id: a 40-character SHA-1 hex. */
  machineId: z
    .string()
    .regex(/^[0-9a-f]{40}$/i, 'a Defender machine id is 40 hex characters')
    .optional(),
  /** The device's DNS name as Defender knows it (computerDnsName). */
  hostname: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,253}$/, 'a hostname (letters, digits, dot, dash)')
    .optional(),
  comment: z.string().min(1).max(1000).default('Riposte automated response'),
});
type MachineRef = z.infer<typeof MachineRef>;

const ActionOutput = z.object({
  machineId: z.string(),
  hostname: z.string().nullable(),
  actionId: z.string(),
  type: z.string(),
  status: z.string(),
});
type ActionOutput = z.infer<typeof ActionOutput>;

const requireRef = <T extends MachineRef>(schema: z.ZodType<T>) =>
  schema.refine((i) => i.machineId ?? i.hostname, 'give machineId or hostname');

async function findMachine(ctx: DefenderContext, ref: MachineRef): Promise<z.infer<typeof Machine>> {
  if (ref.machineId) {
    return (await defender(ctx, { path: `/api/machines/${ref.machineId}` }, Machine)).body;
  }
  const { body } = await defender(
    ctx,
    { path: '/api/machines', query: { $filter: `computerDnsName eq ${odataString(ref.hostname ?? '')}` } },
    ODataList(Machine),
  );
  if (body.value.length !== 1) {
    throw new ConnectorError(
      body.value.length ? ConnectorErrorCode.rejected : ConnectorErrorCode.notFound,
      body.value.length
        ? `Defender has several machines named ${ref.hostname}: give the machineId`
        : `Defender has no machine named ${ref.hostname}`,
      { retryable: false },
    );
  }
  return body.value[0] as z.infer<typeof Machine>;
}

/** The machine's most recent standing action among `types`, newest first by creation time. */
async function latestAction(
  ctx: DefenderContext,
  machineId: string,
  types: readonly string[],
): Promise<MachineAction | undefined> {
  const { body } = await defender(
    ctx,
    { path: '/api/machineactions', query: { $filter: `machineId eq ${odataString(machineId)}`, $top: 100 } },
    ODataList(MachineAction),
  );
  return body.value
    .filter(
      (a) =>
        types.includes(a.type) && a.status !== 'Failed' && a.status !== 'Cancelled' && a.status !== 'TimeOut',
    )
    .sort((a, b) => (b.creationDateTimeUtc ?? '').localeCompare(a.creationDateTimeUtc ?? ''))[0];
}

const toOutput = (machine: z.infer<typeof Machine>, action: MachineAction): ActionOutput => ({
  machineId: machine.id,
  hostname: machine.computerDnsName ?? null,
  actionId: action.id,
  type: action.type,
  status: action.status,
});

/**
 * Isolation state is the latest isolate/unisolate action that still stands: query-first, so a retried
 * step does not queue a second request (Defender refuses one with ActiveRequestAlreadyExists anyway).
 */
async function setIsolation(
  ctx: DefenderContext,
  input: MachineRef & { isolationType?: string },
  want: 'Isolate' | 'Unisolate',
) {
  const machine = await findMachine(ctx, input);
  const latest = await latestAction(ctx, machine.id, ['Isolate', 'Unisolate']);
  const isolated = latest?.type === 'Isolate' && STANDING_STATUSES.has(latest.status);
  if (latest && (want === 'Isolate') === isolated) {
    ctx.markAlreadyApplied();
    return toOutput(machine, latest);
  }
  if (!latest && want === 'Unisolate') {
    ctx.markAlreadyApplied();
    return {
      machineId: machine.id,
      hostname: machine.computerDnsName ?? null,
      actionId: '',
      type: 'Unisolate',
      status: 'Succeeded',
    };
  }
  const body =
    want === 'Isolate'
      ? { Comment: input.comment, IsolationType: input.isolationType }
      : { Comment: input.comment };
  const { body: action } = await defender(
    ctx,
    { method: 'POST', path: `/api/machines/${machine.id}/${want.toLowerCase()}`, json: body },
    MachineAction,
  );
  return toOutput(machine, action);
}

/** An OpenC2 `device` target as this connector's machine reference. */
const deviceOf = (t: Record<string, unknown>) => ({
  machineId: typeof t.device_id === 'string' ? t.device_id : undefined,
  hostname: typeof t.hostname === 'string' ? t.hostname : undefined,
});

const example = (type: string, status: string): ActionOutput => ({
  machineId: '1e5bc9d7e413ddd7902c2932e418702b84d0cc07',
  hostname: 'ws-fin-042.contoso.com',
  actionId: '5382f7ea-7557-4ab7-9782-d50480024a4e',
  type,
  status,
});

export const isolateMachine = defineAction({
  name: 'defender.isolate_machine',
  description: 'Isolate a device from the network (Full, or Selective keeping Outlook/Teams)',
  risk: 'contain',
  input: requireRef(MachineRef.extend({ isolationType: z.enum(['Full', 'Selective']).default('Full') })),
  output: ActionOutput,
  example: example('Isolate', 'Pending'),
  idempotency: 'query-first',
  undo: {
    action: 'defender.unisolate_machine',
    input: (_input, output) => ({ machineId: output.machineId }),
  },
  targets: (input) => [assetRef('host', input.hostname ?? input.machineId ?? '')],
  openc2: {
    action: 'contain',
    target: 'device',
    input: (t) => ({ ...deviceOf(t), comment: 'OpenC2 contain device', isolationType: 'Full' as const }),
  },
  run: (ctx: DefenderContext, input) => setIsolation(ctx, input, 'Isolate'),
});

export const unisolateMachine = defineAction({
  name: 'defender.unisolate_machine',
  description: 'Release a device from isolation',
  risk: 'contain',
  reverses: true,
  input: requireRef(MachineRef),
  output: ActionOutput,
  example: example('Unisolate', 'Pending'),
  idempotency: 'query-first',
  openc2: {
    action: 'allow',
    target: 'device',
    input: (t) => ({ ...deviceOf(t), comment: 'OpenC2 allow device' }),
  },
  run: (ctx: DefenderContext, input) => setIsolation(ctx, input, 'Unisolate'),
});

export const runAvScan = defineAction({
  name: 'defender.run_av_scan',
  description: 'Run a Microsoft Defender Antivirus scan (Quick or Full) on a device',
  // A scan changes nothing on the device's reachability or data.
  risk: 'read',
  input: requireRef(MachineRef.extend({ scanType: z.enum(['Quick', 'Full']).default('Quick') })),
  output: ActionOutput,
  example: example('RunAntiVirusScan', 'Pending'),
  idempotency: 'query-first',
  async run(ctx: DefenderContext, input) {
    const machine = await findMachine(ctx, input);
    const running = await latestAction(ctx, machine.id, ['RunAntiVirusScan']);
    if (running && (running.status === 'Pending' || running.status === 'InProgress')) {
      ctx.markAlreadyApplied();
      return toOutput(machine, running);
    }
    const { body } = await defender(
      ctx,
      {
        method: 'POST',
        path: `/api/machines/${machine.id}/runAntiVirusScan`,
        json: { Comment: input.comment, ScanType: input.scanType },
      },
      MachineAction,
    );
    return toOutput(machine, body);
  },
});
