// A worker process for the reliability test: works the run queue against the fake target until killed.
import { loadConfig } from '../../src/config/config.js';
import { ConnectorError, type ActionExecutor } from '../../src/connectors/action-executor.js';
import { createLogger } from '../../src/observability/logger.js';
import { appContextOver } from '../../src/app/create-app-context.js';
import { openStore } from '../../src/store/store.js';
import { createQueueWorker } from '../../src/worker/queue-worker.js';
import { createRecordingCaseOperations } from '../../src/worker/runs/case-operations.js';
import { createRunQueueBindings } from '../../src/worker/runs/run-queue.js';

const [storeJson, targetUrl] = process.argv.slice(2);
const store = await openStore(JSON.parse(storeJson ?? '{}'));
const ctx = appContextOver(store, {
  config: loadConfig({ env: {} }),
  log: createLogger({ level: 'silent' }),
});

/** Calls the fake target with the step's idempotency key, as a key-honouring connector would. */
const actions: ActionExecutor = {
  describe: () => undefined,
  async execute(request, signal) {
    const res = await fetch(`${targetUrl}/effect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': request.idempotencyKey },
      body: JSON.stringify({ action: request.action, input: request.input }),
      signal,
    });
    if (!res.ok)
      throw new ConnectorError('CONNECTOR_UNAVAILABLE', `target said ${res.status}`, { retryable: true });
    return { output: (await res.json()) as unknown };
  },
};

const bindings = createRunQueueBindings(
  ctx,
  { actions, cases: createRecordingCaseOperations() },
  { runLeaseMs: 1_000, actionTimeoutMs: 5_000 },
);
const runs = bindings.find((b) => b.queue === 'runs');
if (!runs) throw new Error('no run queue binding');
const worker = createQueueWorker(ctx, {
  binding: runs,
  owner: `reliability:${process.pid}`,
  concurrency: 4,
  leaseMs: 1_000,
  pollMs: 25,
});
await worker.start();
process.stdout.write('ready\n');
