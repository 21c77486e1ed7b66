/**
 * `npm run bench -- headend [--meters 10000] [--concentrators 20] [--concurrency 512]
 *   [--timeout-ms 800] [--retries 3] [--backoff-ms 50] [--faults no-reply=0.005,...] [--in-process]`
 *
 * The head-end against the meter simulator on 127.0.0.1: N meters × 4 registers
 * (正向有功 total+tariffs block, 反向有功, 组合无功1, 最大需量), goal ≤ 30 s, with 2 % injected
 * request faults by default. The simulator runs as a separate process (`voltline
 * simulate-meters`, so it gets its own core) unless --in-process. Prints JSON.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { meterAddress } from '../src/domain/protocols/dlt645/simulator.js';
import { pollMetersWithStats, type PollTarget } from '../src/jobs/headend/index.js';
import { startMeterSimulator } from '../src/jobs/meter-simulator.js';
import { parseFaults } from '../src/domain/protocols/dlt645/simulator.js';

const DIS = ['0001FF00', '00020000', '00030000', '01010000'];
const DEFAULT_FAULTS = 'no-reply=0.005,late=0.005,bad-checksum=0.005,error=0.005';

function arg(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
}

interface Endpoint {
  host: string;
  port: number;
  firstIndex: number;
  lastIndex: number;
}

async function spawnSimulator(count: number, concentrators: number, faults: string, seed: number, lateMs: number) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const child = spawn(
    process.execPath,
    [path.join(root, 'bin/voltline.mjs'), 'simulate-meters', '--count', String(count), '--port', '0', '--concentrators', String(concentrators), '--faults', faults, '--seed', String(seed), '--late-ms', String(lateMs)],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  const lines: string[] = [];
  const listening = await new Promise<{ concentrators: Endpoint[] }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('simulator did not start within 60 s')), 60_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        lines.push(line);
        if (line.includes('"listening"')) {
          clearTimeout(timer);
          resolve(JSON.parse(line));
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`simulator exited with ${code}`));
    });
  });
  const stop = async (): Promise<unknown> => {
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    await exited;
    const stopped = [...lines, out].find((l) => l.includes('"stopped"'));
    return stopped ? JSON.parse(stopped).stats : null;
  };
  return { endpoints: listening.concentrators, stop };
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;
}

export async function run(args: string[]): Promise<void> {
  const meters = Number(arg(args, 'meters', '10000'));
  const concentrators = Number(arg(args, 'concentrators', '20'));
  const concurrency = Number(arg(args, 'concurrency', '512'));
  const timeoutMs = Number(arg(args, 'timeout-ms', '800'));
  const retries = Number(arg(args, 'retries', '3'));
  const backoffMs = Number(arg(args, 'backoff-ms', '50'));
  const lateMs = Number(arg(args, 'late-ms', '2000'));
  const faultsText = arg(args, 'faults', DEFAULT_FAULTS);
  const seed = Number(arg(args, 'seed', '1'));
  const inProcess = args.includes('--in-process');

  let endpoints: Endpoint[];
  let stop: () => Promise<unknown>;
  if (inProcess) {
    const sim = await startMeterSimulator({ count: meters, port: 0, concentrators, faults: parseFaults(faultsText), seed, lateMs });
    endpoints = sim.concentrators;
    stop = async () => {
      await sim.close();
      return sim.stats;
    };
  } else ({ endpoints, stop } = await spawnSimulator(meters, concentrators, faultsText, seed, lateMs));

  const targets: PollTarget[] = [];
  for (const c of endpoints) for (let i = c.firstIndex; i <= c.lastIndex; i++) targets.push({ address: meterAddress(i), host: c.host, port: c.port, dis: DIS });

  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  let polled: Awaited<ReturnType<typeof pollMetersWithStats>>;
  let simStats: unknown;
  try {
    polled = await pollMetersWithStats({ targets, concurrency, timeoutMs, retries, backoffMs });
  } finally {
    simStats = await stop();
  }
  const { summary, results } = polled;
  const seconds = (performance.now() - t0) / 1000;
  const ms = results.map((r) => r.ms).sort((a, b) => a - b);
  console.log(
    JSON.stringify(
      {
        bench: 'headend',
        machine: { cpus: os.cpus().length, node: process.version },
        simulator: inProcess ? 'in-process' : 'separate process (voltline simulate-meters)',
        meters,
        registersPerMeter: DIS.length,
        dis: DIS,
        concentrators,
        concurrency,
        timeoutMs,
        retries,
        backoffMs,
        faults: faultsText,
        seconds: Math.round(seconds * 100) / 100,
        goalSeconds: 30,
        metGoal: seconds <= 30,
        successRate: Math.round(summary.successRate * 100000) / 1000,
        registerSuccessRate: Math.round((summary.registersOk / summary.registers) * 100000) / 1000,
        metersOk: summary.ok,
        metersFailed: summary.failed,
        failureReasons: summary.reasons,
        requests: summary.requests,
        requestsPerSecond: Math.round(summary.requests / seconds),
        registersPerSecond: Math.round(summary.registersOk / seconds),
        perMeterMs: { p50: pct(ms, 50), p99: pct(ms, 99), max: ms[ms.length - 1] ?? 0 },
        rssMiB: Math.round(process.memoryUsage().rss / 1048576),
        rssGrowthMiB: Math.round((process.memoryUsage().rss - rssBefore) / 1048576),
        simulatorStats: simStats,
      },
      null,
      2,
    ),
  );
}
