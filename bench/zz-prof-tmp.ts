import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { createHttpClient } from '../src/connectors/http/http-client.js';
const server = createServer((_q, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"pong":true}'); });
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const agent = new Agent({});
const client = createHttpClient({ label: 'x', baseUrl: base, dispatcher: agent });
const sig = new AbortController().signal;
async function lat(n: number, f: () => Promise<unknown>) { const s: number[] = []; for (let i = 0; i < n; i++) { const t = process.hrtime.bigint(); await f(); s.push(Number(process.hrtime.bigint() - t) / 1e6); } s.sort((a, b) => a - b); return s[Math.floor(n / 2)]; }
const bare = async () => (await request(`${base}/ping`, { dispatcher: agent })).body.json();
const cl = () => client.json({ path: '/ping' }, sig);
const tm = async () => { const t = AbortSignal.timeout(15000); const c = AbortSignal.any([sig, t]); return (await request(`${base}/ping`, { dispatcher: agent, signal: c })).body.json(); };
for (let r = 0; r < 2; r++) console.log({ bare: await lat(3000, bare), client: await lat(3000, cl), timeoutAny: await lat(3000, tm) });
server.close(); await agent.close();
