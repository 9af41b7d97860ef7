import {
  spawn,
  type ChildProcessWithoutNullStreams,
  type SpawnOptionsWithoutStdio,
} from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository's root: where processes start, and what the build compiles. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The built `riposte` command (package.json's bin), which the CLI tests run as users do. Global setup builds it
 * first when a source file is newer (cli-build.ts); through tsx the same command cost twice the CPU per start.
 */
export const CLI_ENTRY = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export interface ProcessOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `command` from the repo's root, with this process's environment and `options.env` over it. */
function spawnFromRoot(
  command: string,
  args: string[],
  options: SpawnOptionsWithoutStdio = {},
): ChildProcessWithoutNullStreams {
  return spawn(command, args, {
    cwd: ROOT,
    ...options,
    env: { ...process.env, ...options.env },
  });
}

/** Waits for `child` to end and collects its output. */
function collect(child: ChildProcessWithoutNullStreams): Promise<ProcessOutput> {
  return new Promise((resolvePromise, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/**
 * Runs `riposte <args…>` (the built command, executed itself as npm's bin link runs it: its `#!` line picks
 * Node and its flags) and collects its output.
 */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ProcessOutput> {
  return collect(spawnCli(args, { env }));
}

/** Starts `riposte <args…>` (the built command, as `runCli` runs it), for a test that talks to it while it runs. */
export function spawnCli(
  args: string[],
  options: SpawnOptionsWithoutStdio = {},
): ChildProcessWithoutNullStreams {
  return spawnFromRoot(CLI_ENTRY, args, options);
}

/** Runs a TypeScript file of the repo's tests in its own Node process (through tsx) and collects its output. */
export function runTsProcess(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<ProcessOutput> {
  return collect(spawnFromRoot(process.execPath, ['--import', 'tsx', file, ...args], { env }));
}

/** A worker process that claims jobs from `queue` until none is left; resolves with the ids it completed. */
export async function runClaimerProcess(queue: string, options: object, peers = 1): Promise<string[]> {
  const { code, stdout, stderr } = await runTsProcess('test/support/claimer-process.ts', [
    queue,
    JSON.stringify(options),
    String(peers),
  ]);
  if (code !== 0) throw new Error(`claimer process exited ${code}: ${stderr}`);
  return stdout.split('\n').filter(Boolean);
}
