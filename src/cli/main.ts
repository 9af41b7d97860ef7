#!/usr/bin/env -S node --max-semi-space-size=64
// The young generation's semi-spaces at 64 MiB rather than V8's 16: an ingest step's batch outlives the
// scavenges that land in it and is copied at each, so fewer scavenges cost less. Bulk NDJSON ingest took
// 87-94 µs of CPU per alert against 100-108 (6 runs of 20,000 alerts, alternated); the ingest bench's RSS
// went 340 -> 451 MiB (see the README).
// A flag cannot be set once V8's heap exists, so it is here: `npm start`, `npm run riposte` and the CLI tests
// run this file itself (the build makes it executable); only the bench, run through tsx, repeats the flag.
import { reportCliError } from './cli-context.js';
import { buildProgram } from './program.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportCliError(err);
}
