import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

/** A profile of part of a run (not start-up nor warm-up), written to a file that Chrome's DevTools opens. */
export interface Profiling {
  stop(path: string): Promise<void>;
}

function connect(): { post: <T>(method: string, params?: object) => Promise<T>; session: Session } {
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params?: object): Promise<T> =>
    new Promise((resolve, reject) =>
      session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result as T))),
    );
  return { post, session };
}

/** CPU time by function: a `.cpuprofile` file. */
export async function startCpuProfile(): Promise<Profiling> {
  const { post, session } = connect();
  await post('Profiler.enable');
  await post('Profiler.start');
  return {
    async stop(path) {
      const { profile } = await post<{ profile: unknown }>('Profiler.stop');
      writeFileSync(path, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/**
 * Bytes allocated by function, garbage included (what the young generation's collections pay for): a
 * `.heapprofile` file, sampled every 32 KiB.
 */
export async function startAllocationProfile(): Promise<Profiling> {
  const { post, session } = connect();
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', {
    samplingInterval: 32_768,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return {
    async stop(path) {
      const { profile } = await post<{ profile: unknown }>('HeapProfiler.stopSampling');
      writeFileSync(path, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
