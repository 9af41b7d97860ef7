// A separate worker process for queue tests: claims and completes jobs until none is left, printing each id.
import { randomUUID } from 'node:crypto';
import { claimJobs, completeJob, enqueueJob, queueStats } from '../../src/store/queue/queue.repository.js';
import { openStore } from '../../src/store/store.js';

const [queue, optionsJson, peersArg] = process.argv.slice(2);
const store = await openStore(JSON.parse(optionsJson ?? '{}'));
const deps = { dialect: store.dialect, newId: randomUUID };

// A start barrier through the store: each process says it is ready, then waits for its peers, so a process
// that happens to start seconds earlier on a loaded machine does not drain the queue alone.
const peers = Number(peersArg ?? '1');
const barrier = `${queue ?? 'q'}:ready`;
await store.db
  .transaction()
  .execute((trx) => enqueueJob(trx, deps, { queue: barrier, kind: 'ready', payload: process.pid }, 0));
const deadline = Date.now() + 120_000;
while ((await queueStats(store.db, barrier, Date.now())).ready < peers && Date.now() < deadline)
  await new Promise((r) => setTimeout(r, 10));
let idle = 0;
while (idle < 3) {
  const jobs = await claimJobs(store.db, deps, {
    queue: queue ?? 'q',
    owner: String(process.pid),
    leaseMs: 60_000,
    limit: 5,
    now: Date.now(),
    newToken: randomUUID,
  });
  if (jobs.length === 0) {
    idle += 1;
    await new Promise((r) => setTimeout(r, 20));
    continue;
  }
  idle = 0;
  for (const job of jobs) {
    if (await completeJob(store.db, job)) process.stdout.write(`${job.id}\n`);
  }
}
await store.close();
