import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs a TypeScript file of the repo in its own Node process (through tsx) and collects its output. */
export function runTsProcess(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
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
