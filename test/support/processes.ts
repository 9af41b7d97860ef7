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

/** Starts Node with `nodeArgs` from the repo's root. */
function spawnNode(
  nodeArgs: string[],
  options: SpawnOptionsWithoutStdio = {},
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, nodeArgs, {
    cwd: ROOT,
    ...options,
    env: { ...process.env, ...options.env },
  });
}

/** Runs Node with `nodeArgs` to its end and collects its output. */
function runNode(nodeArgs: string[], env: NodeJS.ProcessEnv): Promise<ProcessOutput> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnNode(nodeArgs, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** Runs `riposte <args…>` (the built command) and collects its output. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ProcessOutput> {
  return runNode([CLI_ENTRY, ...args], env);
}

/** Starts `riposte <args…>` (the built command), for a test that talks to it while it runs. */
export function spawnCli(
  args: string[],
  options: SpawnOptionsWithoutStdio = {},
): ChildProcessWithoutNullStreams {
  return spawnNode([CLI_ENTRY, ...args], options);
}

/** Runs a TypeScript file of the repo's tests in its own Node process (through tsx) and collects its output. */
export function runTsProcess(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<ProcessOutput> {
  return runNode(['--import', 'tsx', file, ...args], env);
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
