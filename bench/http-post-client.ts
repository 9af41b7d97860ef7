/**
 * The single-POST load of the ingest bench from a process of its own, over loopback HTTP with keep-alive
 * sockets, as separate senders would post: `fork`ed by ingest.bench.ts with
 * `[port, count, clients, run, authorization]`. It warms the server up (1,000 posts), says `warm`, waits for
 * `go`, posts `count` alerts from `clients` concurrent connections, and answers with the latencies' summary.
 */
import http from 'node:http';
import { percentiles } from './harness.js';
import { suricataAlertLine } from './suricata-lines.js';

const [port, count, clients, run, authorization] = [
  Number(process.argv[2]),
  Number(process.argv[3]),
  Number(process.argv[4]),
  process.argv[5] ?? 'http',
  process.argv[6] ?? '',
];
const agent = new http.Agent({ keepAlive: true, maxSockets: clients });

const post = (n: number): Promise<void> =>
  new Promise((resolve, reject) => {
    const body = suricataAlertLine(n, { run });
    const request = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/v1/alerts?source=http-posts',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization,
        },
      },
      (response) => {
        response.resume();
        response.on('end', () =>
          (response.statusCode ?? 500) < 300 ? resolve() : reject(new Error(`HTTP ${response.statusCode}`)),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });

/** `total` posts from `clients` connections, numbered from `from`; each one's latency in ms. */
async function load(from: number, total: number): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < total; i = next++) {
        const started = performance.now();
        await post(from + i);
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies;
}

const send = (message: unknown): void => {
  process.send?.(message);
};
try {
  await load(3_000_000, 1_000);
  send('warm');
  await new Promise((resolve) => process.once('message', resolve));
  const started = performance.now();
  const latencies = await load(4_000_000, count);
  send({ ms: performance.now() - started, ...percentiles(latencies) });
} catch (err) {
  send({ error: err instanceof Error ? err.message : String(err) });
} finally {
  agent.destroy();
}
