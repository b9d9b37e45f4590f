#!/usr/bin/env node
// Benchmark of the local CapSolver server (`npm run bench:serve`, after `npx tsup`): solves/s and p50/p99
// latency at client concurrency 1, 4, 16 and 64, over HTTP on loopback to a server in a child process, next to
// the same images through LocalSolver in-process (the ceiling). Also: how long GET /health takes while the
// server is loaded (the event loop's responsiveness), and whether any request was lost or answered twice
// (every request must get exactly one answer, and every taskId must be new). Prints numbers, asserts nothing.
//
// Usage: node bench/serve.mjs [--set captcha_images_v2] [--n 1040] [--rounds 3] [--concurrency 1,4,16,64]
//          [--workers 0,2 (or W:maxRunning, or W:maxRunning:batch)] [--model models/captcha-ocr.onnx] [--dist dist]
// Images: ../shared/data/dev/<set> (labels.tsv beside the PNGs); without it, svg-captcha images rendered by sharp.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const N = Number(args.n ?? 1040);
const LEVELS = String(args.concurrency ?? '1,4,16,64').split(',').map(Number);
const SET_DIR = resolve(root, '..', 'shared', 'data', 'dev', String(args.set ?? 'captcha_images_v2'));
// each entry: W (worker threads; 0 = on the server thread) or W:M (M = maxRunning; default the server's)
const WORKERS = String(args.workers ?? `0,${Math.min(4, availableParallelism())}`).split(',').map((e) => e.split(':').map(Number));
const MODEL = resolve(args.model ?? join(root, 'models/captcha-ocr.onnx'));

const DIST = resolve(args.dist ?? join(root, 'dist'));
const distServer = join(DIST, 'server.js');
const distIndex = join(DIST, 'index.js');
if (!existsSync(distServer) || !existsSync(distIndex)) {
  console.error('bench/serve.mjs: dist/ is missing: run `npx tsup` first');
  process.exit(1);
}
if (!existsSync(MODEL)) {
  console.error(`bench/serve.mjs: no model at ${MODEL} (pass --model path/to/model.onnx)`);
  process.exit(1);
}

const { LocalSolver } = await import(pathToFileURL(distIndex).href);
const { Agent, request } = require('undici');
const sharp = require('sharp');
const svgCaptcha = require('svg-captcha');

// --- images --------------------------------------------------------------------------------------------
let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const ri = (a, b) => a + Math.floor(rnd() * (b - a + 1));
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const PRESET = LOWER + LOWER.toUpperCase() + '0123456789';
const images = [];
if (existsSync(join(SET_DIR, 'labels.tsv'))) {
  const rows = readFileSync(join(SET_DIR, 'labels.tsv'), 'utf8').split(/\r?\n/).slice(1).filter(Boolean).slice(0, N);
  for (const row of rows) {
    const [file, label] = row.split('\t');
    images.push({ label, body: readFileSync(join(SET_DIR, file)).toString('base64') });
  }
}
for (let i = images.length ? N : 0; i < N; i++) {
  const c = svgCaptcha.create({ size: ri(4, 6), noise: ri(0, 4), color: rnd() < 0.5, charPreset: PRESET, width: ri(100, 160), height: ri(40, 60), fontSize: ri(40, 60) });
  images.push({ label: c.text, body: (await sharp(Buffer.from(c.data)).png().toBuffer()).toString('base64') });
}

// --- helpers -------------------------------------------------------------------------------------------
const pct = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');

/**
 * CPU time (user + system, all threads) a process has used, in ms, from /proc (Linux): what a solve costs,
 * whatever else the machine runs. The machine's cores divided by it is the rate the load leaves room for.
 */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** Runs `fn(image)` over all images with `c` callers; returns solves/s, latency percentiles, correct answers. */
async function drive(c, fn) {
  const lat = [];
  let next = 0;
  let correct = 0;
  let ok = 0;
  const other = {};
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next < images.length) {
        const img = images[next++];
        const t = performance.now();
        const r = await fn(img);
        lat.push(performance.now() - t);
        if (r.text !== undefined) {
          ok++;
          if (r.text.toLowerCase() === img.label.toLowerCase()) correct++;
        } else other[r.code] = (other[r.code] ?? 0) + 1;
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { rate: ok / secs, p50: pct(lat, 0.5), p99: pct(lat, 0.99), ok, correct, other, answers: lat.length };
}

function row(label, c, r, ceiling) {
  const extra = Object.keys(r.other).length ? ` other=${JSON.stringify(r.other)}` : '';
  const ratio = ceiling ? `${((r.rate / ceiling) * 100).toFixed(0)}%` : '';
  console.log(
    `${label.padEnd(28)} c=${String(c).padEnd(3)} ${f1(r.rate).padStart(7)} solves/s  p50 ${f1(r.p50).padStart(7)} ms  p99 ${f1(r.p99).padStart(7)} ms  ` +
      `exact ${r.correct}/${images.length}  answered ${r.answers}/${images.length}  ${ratio.padStart(5)}${extra}`,
  );
}

console.log(`bench/serve.mjs: ${images.length} images (${existsSync(join(SET_DIR, 'labels.tsv')) ? SET_DIR : 'svg-captcha'}), model ${MODEL}`);
console.log(`node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);

// --- ceiling: LocalSolver in this process --------------------------------------------------------------
const local = new LocalSolver({ model: MODEL });
await local.load();
for (const img of images.slice(0, 20)) await local.recognize(img.body);
const inProcess = async (img) => ({ text: (await local.recognize(img.body)).text });
// every taskId the server gave, to find one given twice
const taskIds = new Set();
let duplicateIds = 0;

// --- the server in a child process, driven over loopback ------------------------------------------------
async function startServer([workers, maxRunning, batch]) {
  const code = `
    const { createCapSolverServer } = await import(${JSON.stringify(pathToFileURL(distServer).href)});
    const s = await createCapSolverServer({ port: 0, workers: ${workers}, ${maxRunning ? `maxRunning: ${maxRunning}, ` : ''}${batch !== undefined ? `batch: ${batch}, ` : ''}model: ${JSON.stringify(MODEL)}, queueSize: 4096, concurrency: 1024 });
    process.stdout.write(JSON.stringify({ url: s.url }) + '\\n');
    process.on('SIGTERM', async () => { process.stdout.write(JSON.stringify({ stats: s.stats() }) + '\\n'); await s.close(); process.exit(0); });
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let buffer = '';
  const lines = [];
  let wake;
  child.stdout.on('data', (d) => {
    buffer += d;
    let i;
    while ((i = buffer.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buffer.slice(0, i)));
      buffer = buffer.slice(i + 1);
      wake?.();
    }
  });
  const nextLine = () => new Promise((res, rej) => {
    if (lines.length) return res(lines.shift());
    const timer = setTimeout(() => rej(new Error('server did not answer within 60 s')), 60_000);
    wake = () => { clearTimeout(timer); wake = undefined; res(lines.shift()); };
    child.once('exit', (c) => rej(new Error(`server exited with ${c}`)));
  });
  const { url } = await nextLine();
  return {
    url,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      const { stats } = await nextLine();
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      return stats;
    },
  };
}

const agent = new Agent({ connections: 128, keepAliveTimeout: 30_000 });
async function solveOverHttp(url, img) {
  const res = await request(`${url}/createTask`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientKey: 'bench', task: { type: 'ImageToTextTask', body: img.body } }),
    dispatcher: agent,
  });
  const json = await res.body.json();
  if (json.taskId !== undefined) {
    if (taskIds.has(json.taskId)) duplicateIds++;
    taskIds.add(json.taskId);
  }
  return json.errorId === 0 ? { text: json.solution.text } : { code: json.errorCode };
}

// Each concurrency level runs ROUNDS rounds; a round measures the in-process ceiling and every server once,
// back to back, so a change in the machine's load hits all of them alike. Reported: the median round.
const ROUNDS = Number(args.rounds ?? 3);
const servers = [];
for (const workers of WORKERS) {
  const server = await startServer(workers);
  for (const img of images.slice(0, 20)) await solveOverHttp(server.url, img);
  servers.push({ label: `server, workers=${workers[0]}${workers[1] ? ` max=${workers[1]}` : ''}${workers[2] !== undefined ? ` batch=${workers[2]}` : ''}`, server, run: (img) => solveOverHttp(server.url, img) });
}
const configs = [{ label: 'LocalSolver in-process', run: inProcess }, ...servers];
const median = (xs) => [...xs].sort((a, b) => a.rate - b.rate)[Math.floor(xs.length / 2)];
for (const c of LEVELS) {
  const results = new Map(configs.map((k) => [k.label, []]));
  const health = new Map(servers.map((k) => [k.label, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const k of configs) {
      let probing = Boolean(k.server);
      const probes = health.get(k.label);
      // probe GET /health every 25 ms while a server is loaded
      const prober = (async () => {
        while (probing) {
          const t = performance.now();
          const res = await request(`${k.server.url}/health`, { dispatcher: agent });
          await res.body.text();
          probes.push(performance.now() - t);
          await new Promise((r) => setTimeout(r, 25));
        }
      })();
      const cpu0 = k.server ? cpuMs(k.server.pid) : cpuMs('self');
      const r = await drive(c, k.run);
      r.cpuPerSolve = ((k.server ? cpuMs(k.server.pid) : cpuMs('self')) - cpu0) / Math.max(1, r.ok);
      results.get(k.label).push(r);
      probing = false;
      await prober;
    }
  }
  const ceilingRate = median(results.get(configs[0].label)).rate;
  for (const k of configs) {
    const rs = results.get(k.label);
    const m = median(rs);
    row(k.label, c, m, k.server ? ceilingRate : undefined);
    const cpu = `CPU ${f1(m.cpuPerSolve)} ms/solve${k.server ? ' (server process)' : ' (this process)'} = ${f1((availableParallelism() * 1000) / m.cpuPerSolve)} solves/s on ${availableParallelism()} free cores`;
    const range = `${cpu}; rounds: ${rs.map((r) => f1(r.rate)).join(', ')} solves/s`;
    const h = health.get(k.label);
    if (h) {
      h.sort((a, b) => a - b);
      console.log(`${''.padEnd(36)}${range}; GET /health under load p50 ${f1(pct(h, 0.5))} ms, p95 ${f1(pct(h, 0.95))} ms`);
    } else console.log(`${''.padEnd(36)}${range}`);
  }
  console.log('');
}
for (const k of servers) {
  const stats = await k.server.stop();
  console.log(`${k.label}: ${JSON.stringify({ tasks: stats.tasks, peakQueued: stats.peakQueued, errors: stats.errors })}`);
}
await local.close();
await agent.close();
console.log(`taskIds: ${taskIds.size} distinct, ${duplicateIds} given twice`);
console.log('\n% = server solves/s relative to LocalSolver in-process at the same concurrency (the ceiling), median rounds.');
