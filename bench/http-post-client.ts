/**
 * The single-POST load of the ingest bench from a process of its own, over loopback HTTP with keep-alive
 * sockets, as separate senders would post: `fork`ed by ingest.bench.ts with
 * `[port, count, clients, run, authorization]`. It warms the server up (1,000 posts), says `warm`, waits for
 * `go`, posts `count` alerts from `clients` concurrent connections, and answers with the latencies' summary.
 */
import http from 'node:http';
import { closedLoop, percentiles } from './harness.js';
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

const send = (message: unknown): void => {
  process.send?.(message);
};
try {
  await closedLoop(1_000, clients, (i) => post(3_000_000 + i));
  send('warm');
  await new Promise((resolve) => process.once('message', resolve));
  const started = performance.now();
  const latencies = await closedLoop(count, clients, (i) => post(4_000_000 + i));
  send({ ms: performance.now() - started, ...percentiles(latencies) });
} catch (err) {
  send({ error: err instanceof Error ? err.message : String(err) });
} finally {
  agent.destroy();
}
