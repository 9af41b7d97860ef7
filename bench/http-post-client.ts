/**
 * The single-POST load of the ingest bench from a process of its own, over loopback HTTP/1.1 with keep-alive
 * sockets, as separate senders would post: `fork`ed by ingest.bench.ts with
 * `[port, count, clients, run, authorization]`. It warms the server up (1,000 posts), says `warm`, waits for
 * `go`, posts `count` alerts from `clients` concurrent connections (one request in flight on each), and
 * answers with the latencies' summary.
 *
 * A load generator, as wrk and autocannon are: requests are written out whole before timing and answers are
 * cut by their Content-Length, on raw sockets. Within the same minutes against a route that does nothing,
 * Node's own HTTP client topped out at 4,000–5,700 requests a second and this one at 8,300–10,200 (Node's
 * took about 200 µs of CPU a request on the core the server's other threads share), with p99s of 13–24 ms
 * and 7–10 ms. What is left is the machine's floor, and it moves (see `httpFloor` in ingest.bench.ts).
 */
import net from 'node:net';
import { closedLoop, percentiles } from './harness.js';
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
 * A keep-alive connection with one request in flight at a time, as a sender waiting for each ack posts.
 * Answers are cut by their Content-Length (ours never chunk a JSON answer); one that is not a 2xx, or has no
 * length, fails the request, as does the server closing the connection.
 */
class Connection {
  private readonly socket: net.Socket;
  private pending: Buffer = Buffer.alloc(0);
  private waiting: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private failure: Error | undefined;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('the server closed a connection')));
  }

  static open(): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(new Connection(socket)));
      socket.once('error', reject);
    });
  }

  post(request: Buffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(request);
    });
  }

  close(): void {
    this.failure ??= new Error('closed');
    this.socket.end();
  }

  private read(chunk: Buffer): void {
    this.pending = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const headEnd = this.pending.indexOf(HEAD_END);
    if (headEnd < 0) return;
    const head = this.pending.subarray(0, headEnd).toString('latin1');
    const status = head.slice(0, head.indexOf('\r\n'));
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
    if (length === undefined) return this.fail(new Error(`an answer without Content-Length: ${status}`));
    const end = headEnd + HEAD_END.length + Number(length);
    if (this.pending.length < end) return;
    const answer = this.pending.subarray(0, end);
    this.pending = this.pending.subarray(end);
    const waiting = this.waiting;
    this.waiting = undefined;
    if (/^HTTP\/1\.1 2\d\d /.test(status)) waiting?.resolve();
    else waiting?.reject(new Error(`${status}: ${answer}`));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.waiting?.reject(this.failure);
    this.waiting = undefined;
  }
}

/**
 * Posts alerts `from`…`from + total - 1` from `clients` senders (the bench's closed loop), each on a
 * connection of its own; each request's latency in ms.
 */
async function postAlerts(from: number, total: number): Promise<number[]> {
  const requests = Array.from({ length: total }, (_, i) => request(from + i));
  const idle = await Promise.all(Array.from({ length: clients }, () => Connection.open()));
  const all = [...idle];
  try {
    return await closedLoop(total, clients, async (i) => {
      const connection = idle.pop();
      if (!connection) throw new Error('more senders than connections');
      try {
        await connection.post(requests[i] as Buffer);
      } finally {
        idle.push(connection);
      }
    });
  } finally {
    for (const connection of all) connection.close();
  }
}

const send = (message: unknown): void => {
  process.send?.(message);
};
try {
  await postAlerts(3_000_000, 1_000);
  send('warm');
  await new Promise((resolve) => process.once('message', resolve));
  const started = performance.now();
  const latencies = await postAlerts(4_000_000, count);
  send({ ms: performance.now() - started, ...percentiles(latencies) });
} catch (err) {
  send({ error: err instanceof Error ? err.message : String(err) });
}
