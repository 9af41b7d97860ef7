#!/usr/bin/env node
import { reportCliError } from './cli-context.js';
import { buildProgram } from './program.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportCliError(err);
}
