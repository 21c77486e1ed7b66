/**
 * `npm run bench -- rating [--n 2000000]` — single-core throughput of the pure rating engine.
 * - residential: Zhejiang annual ladder + TOU (R-2 style), random usage per bill;
 * - industrial: Zhejiang 大工业 two-part TOU + contract demand (105 % rule) + PF adjustment (I-1 style).
 * Two figures each: the numeric core (`rateSegment` on a precompiled tariff, amounts in 分, no
 * strings — what a billing run aggregates) and the full `rateBill` API (parsing, validation and
 * decimal-string lines). Prints JSON.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileTariff } from '../src/domain/rating/compile.js';
import { LineSink, SegmentInput, pfAdjustmentHundredths, powerFactorHundredths, rateSegment } from '../src/domain/rating/engine.js';
import { rateBill } from '../src/domain/rating/rate-bill.js';
import { parseTariffVersion } from '../src/domain/tariffs/validate.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const load = (f: string) => parseTariffVersion(JSON.parse(fs.readFileSync(path.join(root, 'tariffs', f), 'utf8')));

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function time(fn: () => number): { ms: number; check: number } {
  const t0 = process.hrtime.bigint();
  const check = fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, check };
}

export async function run(args: string[]): Promise<void> {
  const nArg = args.indexOf('--n');
  const N = nArg >= 0 ? Number(args[nArg + 1]) : 2_000_000;
  const NI = Math.floor(N / 2);
  const NF = Math.min(200_000, N / 10);
  const r = rng(42);
  const K = 4096; // usage samples reused cyclically (kept in cache like a billing batch)

  // ---- residential ladder + TOU
  const zj = load('zj-resident-annual-ladder-tou.json');
  const ctR = compileTariff(zj);
  const peak = new Float64Array(K);
  const valley = new Float64Array(K);
  const prev = new Float64Array(K);
  for (let i = 0; i < K; i++) {
    peak[i] = Math.floor(r() * 600) * 100;
    valley[i] = Math.floor(r() * 400) * 100;
    prev[i] = Math.floor(r() * 6000) * 100;
  }
  const sink = new LineSink();
  const si = new SegmentInput();
  si.month = 7;
  si.thresholds = ctR.ladder!.thresholds.map((t) => t * 100);
  const resCore = () => {
    let sum = 0;
    for (let i = 0; i < N; i++) {
      const k = i & (K - 1);
      sink.reset();
      si.e[1] = peak[k];
      si.e[3] = valley[k];
      si.total = peak[k] + valley[k];
      si.prevCum = prev[k];
      rateSegment(ctR, si, sink);
      sum += sink.total;
    }
    return sum;
  };
  resCore(); // warm-up
  const res = time(resCore);

  const usagesR = Array.from({ length: 256 }, (_, k) => ({
    periodStart: '2024-07-01',
    periodEnd: '2024-07-31',
    tou: { PEAK: peak[k] / 100, VALLEY: valley[k] / 100 },
    ladderPrevCum: prev[k] / 100,
  }));
  const resFull = () => {
    let n = 0;
    for (let i = 0; i < NF; i++) n += rateBill({ tariff: zj, usage: usagesR[i & 255] }).lines.length;
    return n;
  };
  resFull();
  const resF = time(resFull);

  // ---- large industrial two-part + PF
  const ind = load('zj-large-industrial-tou-a.json');
  const ctI = compileTariff(ind);
  const tou = new Float64Array(K * 3);
  const dem = new Float64Array(K);
  const q = new Float64Array(K);
  for (let i = 0; i < K; i++) {
    tou[3 * i] = Math.floor(r() * 40000) * 100;
    tou[3 * i + 1] = Math.floor(r() * 100000) * 100;
    tou[3 * i + 2] = Math.floor(r() * 200000) * 100;
    dem[i] = Math.floor(300 + r() * 500) * 100;
    q[i] = Math.floor(r() * 200000) * 100;
  }
  const si2 = new SegmentInput();
  si2.month = 7;
  si2.capacity = 1000_00;
  si2.contract = 600_00;
  const indCore = () => {
    let sum = 0;
    for (let i = 0; i < NI; i++) {
      const k = i & (K - 1);
      sink.reset();
      si2.e[0] = tou[3 * k];
      si2.e[1] = tou[3 * k + 1];
      si2.e[3] = tou[3 * k + 2];
      const total = si2.e[0] + si2.e[1] + si2.e[3];
      si2.total = total;
      si2.billKwh = total;
      si2.maxDemand = dem[k];
      si2.pfPctH = total > 0 ? pfAdjustmentHundredths(ctI, '0.90', powerFactorHundredths(total, q[k])) : Number.NaN;
      rateSegment(ctI, si2, sink);
      sum += sink.total;
    }
    return sum;
  };
  indCore();
  const indR = time(indCore);

  const usagesI = Array.from({ length: 256 }, (_, k) => ({
    periodStart: '2024-07-01',
    periodEnd: '2024-07-31',
    tou: { SHARP: tou[3 * k] / 100, PEAK: tou[3 * k + 1] / 100, VALLEY: tou[3 * k + 2] / 100 },
    capacityKva: 1000,
    contractDemandKw: 600,
    maxDemandKw: dem[k] / 100,
    reactiveKvarh: { forward: q[k] / 100 },
  }));
  const NF2 = Math.floor(NF / 2);
  const indFull = () => {
    let n = 0;
    for (let i = 0; i < NF2; i++) n += rateBill({ tariff: ind, usage: usagesI[i & 255] }).lines.length;
    return n;
  };
  indFull();
  const indF = time(indFull);

  const out = {
    bench: 'rating',
    node: process.version,
    cores: 1,
    residentialLadderTou: {
      core: { bills: N, ms: +res.ms.toFixed(1), billsPerSec: Math.round((N / res.ms) * 1000), checksumFen: res.check },
      rateBillApi: { bills: NF, ms: +resF.ms.toFixed(1), billsPerSec: Math.round((NF / resF.ms) * 1000) },
      goalBillsPerSec: 1_000_000,
    },
    largeIndustrialTwoPartPf: {
      core: { bills: NI, ms: +indR.ms.toFixed(1), billsPerSec: Math.round((NI / indR.ms) * 1000), checksumFen: indR.check },
      rateBillApi: { bills: NF2, ms: +indF.ms.toFixed(1), billsPerSec: Math.round((NF2 / indF.ms) * 1000) },
      goalBillsPerSec: 200_000,
    },
    memoryMiB: +(process.memoryUsage().rss / 1048576).toFixed(1),
  };
  console.log(JSON.stringify(out, null, 2));
}
