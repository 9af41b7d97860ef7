/**
 * The single-POST load of the ingest bench from a process of its own, over loopback HTTP/1.1 with keep-alive
 * sockets, as separate senders would post: `fork`ed by ingest.bench.ts with
 * `[port, count, clients, run, authorization]`. It warms the server up (1,000 posts), says `warm`, waits for
 * `go`, posts `count` alerts from `clients` concurrent connections (one request in flight on each), and
 * answers with the latencies' summary.
 *
 * A load generator, as wrk and autocannon are: requests are written out whole before timing and answers are
 * cut by their Content-Length, on raw sockets. Node's own HTTP client topped out at 4,000–5,700 requests a
 * second against a route that does nothing (this one: 8,300–10,200), about 200 µs of CPU a request on the
 * core the server's other threads share, and added its own tail: its p99 there was 13–24 ms where this
 * client's is 4–13 ms (the machine's floor, see `httpFloor` in ingest.bench.ts).
 */
import net from 'node:net';
import { percentiles } from './harness.js';
import { suricataAlertLine } from './suricata-lines.js';

const [port, count, clients, run, authorization] = [
  Number(process.argv[2]),
  Number(process.argv[3]),
  Number(process.argv[4]),
  process.argv[5] ?? 'http',
  process.argv[6] ?? '',
];

const HEAD_END = Buffer.from('\r\n\r\n');

function request(n: number): Buffer {
  const body = suricataAlertLine(n, { run });
  return Buffer.from(
    'POST /api/v1/alerts?source=http-posts HTTP/1.1\r\n' +
      'Host: 127.0.0.1\r\n' +
      'Content-Type: application/json\r\n' +
      `Authorization: ${authorization}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * One keep-alive connection's answers: each complete answer in `received` settles the oldest request. Throws
 * on an answer that is not a 2xx or that has no Content-Length (ours never chunk a JSON answer).
 */
function answerReader(onAnswer: () => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    for (;;) {
      const headEnd = pending.indexOf(HEAD_END);
      if (headEnd < 0) return;
      const head = pending.subarray(0, headEnd).toString('latin1');
      const status = head.slice(0, head.indexOf('\r\n'));
      const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
      if (length === undefined) throw new Error(`an answer without Content-Length: ${status}`);
      const end = headEnd + HEAD_END.length + Number(length);
      if (pending.length < end) return;
      if (!/^HTTP\/1\.1 2\d\d /.test(status)) throw new Error(`${status}: ${pending.subarray(0, end)}`);
      pending = pending.subarray(end);
      onAnswer();
    }
  };
}

/** Posts alerts `from`…`from + total - 1` over `clients` connections; each request's latency in ms. */
async function closedLoop(from: number, total: number): Promise<number[]> {
  const requests = Array.from({ length: total }, (_, i) => request(from + i));
  const latencies: number[] = [];
  let next = 0;
  const connection = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.setNoDelay(true);
      let started = 0;
      let finished = false;
      const send = (): void => {
        const i = next++;
        if (i >= total) {
          finished = true;
          socket.end();
          resolve();
          return;
        }
        started = performance.now();
        socket.write(requests[i] as Buffer);
      };
      const read = answerReader(() => {
        latencies.push(performance.now() - started);
        send();
      });
      socket.on('connect', send);
      socket.on('data', (chunk: Buffer) => {
        try {
          read(chunk);
        } catch (err) {
          socket.destroy();
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
      socket.on('error', reject);
      socket.on('close', () => {
        if (!finished) reject(new Error('the server closed a connection before answering'));
      });
    });
  await Promise.all(Array.from({ length: clients }, connection));
  return latencies;
}

const send = (message: unknown): void => {
  process.send?.(message);
};
try {
  await closedLoop(3_000_000, 1_000);
  send('warm');
  await new Promise((resolve) => process.once('message', resolve));
  const started = performance.now();
  const latencies = await closedLoop(4_000_000, count);
  send({ ms: performance.now() - started, ...percentiles(latencies) });
} catch (err) {
  send({ error: err instanceof Error ? err.message : String(err) });
}
