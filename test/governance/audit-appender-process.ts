// A separate process that appends audit entries, each in its own transaction, for the concurrency tests.
import { recordAudit } from '../../src/store/audit/audit.repository.js';
import { openStore } from '../../src/store/store.js';

const [countArg, optionsJson, label] = process.argv.slice(2);
const store = await openStore(JSON.parse(optionsJson ?? '{}'));
const count = Number(countArg ?? '0');
for (let i = 0; i < count; i += 1) {
  await recordAudit(
    store.db,
    store,
    {
      actor: { type: 'system', id: `writer-${label}`, name: 'appender' },
      action: 'test.appended',
      target: { type: 'test', id: `${label}-${i}` },
    },
    Date.now(),
  );
}
await store.close();
