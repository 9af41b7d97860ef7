import { z } from 'zod';
import { ConnectorError } from '../../action-executor.js';
import { ConnectorErrorCode } from '../../framework/connector-errors.js';
import { defineAction } from '../../framework/define-connector.js';
import { assetRef } from '../../safety/asset-ref.js';
import { DeviceId, Envelope, falcon, fql, Hostname, type CrowdStrikeContext } from './crowdstrike-api.js';

const ContainmentStatus = z.enum(['normal', 'containment_pending', 'contained', 'lift_containment_pending']);

const Device = z.looseObject({
  device_id: z.string(),
  hostname: z.string().optional(),
  status: ContainmentStatus,
  platform_name: z.string().optional(),
});

const HostInput = z
  .object({
    deviceId: DeviceId.optional(),
    hostname: Hostname.optional(),
  })
  .refine((i) => i.deviceId ?? i.hostname, 'give deviceId or hostname');
type HostInput = z.infer<typeof HostInput>;

const HostOutput = z.object({
  deviceId: z.string(),
  hostname: z.string().nullable(),
  /** The host's containment state after the request (`*_pending` until the sensor confirms). */
  status: ContainmentStatus,
});
type HostOutput = z.infer<typeof HostOutput>;

/** The device by AID, or by exact hostname (which must name exactly one device). */
async function findDevice(ctx: CrowdStrikeContext, input: HostInput): Promise<z.infer<typeof Device>> {
  let id = input.deviceId;
  if (!id) {
    const { body } = await falcon(
      ctx,
      {
        path: '/devices/queries/devices/v1',
        query: { filter: `hostname:${fql(input.hostname ?? '')}`, limit: 2 },
      },
      Envelope(z.string()),
    );
    const ids = body.resources ?? [];
    if (ids.length !== 1) {
      throw new ConnectorError(
        ids.length ? ConnectorErrorCode.rejected : ConnectorErrorCode.notFound,
        ids.length
          ? `CrowdStrike has several devices named ${input.hostname}: give the deviceId`
          : `CrowdStrike has no device named ${input.hostname}`,
        { retryable: false },
      );
    }
    id = ids[0];
  }
  const { body } = await falcon(
    ctx,
    { path: '/devices/entities/devices/v2', query: { ids: id } },
    Envelope(Device),
  );
  const device = body.resources?.[0];
  if (!device) {
    throw new ConnectorError(ConnectorErrorCode.notFound, `CrowdStrike has no device ${id}`, {
      retryable: false,
    });
  }
  return device;
}

/** Asks for `contain` or `lift_containment` unless the host is already (or about to be) in that state. */
async function setContainment(
  ctx: CrowdStrikeContext,
  input: HostInput,
  actionName: 'contain' | 'lift_containment',
): Promise<HostOutput> {
  const device = await findDevice(ctx, input);
  const done =
    actionName === 'contain'
      ? ['contained', 'containment_pending'].includes(device.status)
      : ['normal', 'lift_containment_pending'].includes(device.status);
  const out = { deviceId: device.device_id, hostname: device.hostname ?? null };
  if (done) {
    ctx.markAlreadyApplied();
    return { ...out, status: device.status };
  }
  await falcon(
    ctx,
    {
      method: 'POST',
      path: '/devices/entities/devices-actions/v2',
      query: { action_name: actionName },
      json: { ids: [device.device_id] },
    },
    Envelope(z.looseObject({ id: z.string() })),
  );
  return { ...out, status: actionName === 'contain' ? 'containment_pending' : 'lift_containment_pending' };
}

/** An OpenC2 `device` target as this connector's host reference. */
const deviceOf = (t: Record<string, unknown>): HostInput => ({
  deviceId: typeof t.device_id === 'string' ? t.device_id : undefined,
  hostname: typeof t.hostname === 'string' ? t.hostname : undefined,
});

export const containHost = defineAction({
  name: 'crowdstrike.contain_host',
  description: 'Network-contain a host: it talks only to the Falcon cloud until containment is lifted',
  risk: 'contain',
  input: HostInput,
  output: HostOutput,
  example: {
    deviceId: '0d5a6c6f1d2e4b5c8a9b0c1d2e3f4a5b',
    hostname: 'WS-FIN-042',
    status: 'containment_pending',
  },
  idempotency: 'query-first',
  undo: {
    action: 'crowdstrike.lift_containment',
    input: (_input, output) => ({ deviceId: output.deviceId }),
  },
  targets: (input) => [assetRef('host', input.hostname ?? input.deviceId ?? '')],
  openc2: {
    action: 'contain',
    target: 'device',
    input: deviceOf,
  },
  run: (ctx: CrowdStrikeContext, input) => setContainment(ctx, input, 'contain'),
});

export const liftContainment = defineAction({
  name: 'crowdstrike.lift_containment',
  description: 'Lift network containment of a host',
  risk: 'contain',
  reverses: true,
  input: HostInput,
  output: HostOutput,
  example: {
    deviceId: '0d5a6c6f1d2e4b5c8a9b0c1d2e3f4a5b',
    hostname: 'WS-FIN-042',
    status: 'lift_containment_pending',
  },
  idempotency: 'query-first',
  openc2: {
    action: 'allow',
    target: 'device',
    input: deviceOf,
  },
  run: (ctx: CrowdStrikeContext, input) => setContainment(ctx, input, 'lift_containment'),
});
