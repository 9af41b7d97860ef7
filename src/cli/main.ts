#!/usr/bin/env -S GLIBC_TUNABLES=glibc.malloc.trim_threshold=33554432 node --max-semi-space-size=64
// The young generation's semi-spaces at 64 MiB rather than V8's 16: an ingest step's batch outlives the
// scavenges that land in it and is copied at each, so fewer scavenges cost less. Bulk NDJSON ingest took
// 87-94 µs of CPU per alert against 100-108 (6 runs of 20,000 alerts, alternated); the ingest bench's RSS
// went 340 -> 451 MiB (see the README).
// glibc's malloc keeps up to 32 MiB free at the top of its heaps instead of handing it back to the kernel:
// a bulk ingest step frees megabytes that the next one allocates again, and by default each step's memory
// came back as fresh pages, a page fault each (warm NDJSON ingest of 50,000 alerts, 2 alternated pairs: page
// faults 131,000-136,000 -> 94,000-96,000, the main thread's CPU 80-82 -> 68 µs per alert; see the README).
// glibc raises the threshold itself once the process frees a large block it had mapped; this makes it so from
// the start. Other C libraries ignore the variable.
// A flag cannot be set once V8's heap exists, and glibc reads its tunables as the process starts, so both are here:
// `npm start`, `npm run riposte` and the CLI tests run this file itself (the build makes it executable); only
// the bench, run through tsx, repeats them.
import { reportCliError } from './cli-context.js';
import { buildProgram } from './program.js';

// A reader that stops early (`riposte ingest … | head`) closes the pipe: quit quietly, as a command killed by
// SIGPIPE would (Node ignores that signal, and the write fails instead), with the exit code already set.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit();
  throw err;
});

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportCliError(err);
}
