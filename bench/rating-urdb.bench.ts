/**
 * `npm run bench -- rating-urdb [--iterations 2000] [--peer-iterations 10]`
 * Annual bill of an 8760-hour load against a TOU + tiered-demand URDB rate (SAM's
 * Test_Commercial_Demand_Charges rate × load_commercial.csv), side by side in one run with the npm
 * package @bellawatt/electric-rate-engine on an equivalent rate (converted here from the same URDB
 * item: EnergyTimeOfUse components per period × day type × month group, one Demand component per
 * period × tier with min/max, hoursOfYear where a period is not one AND-filter, FixedPerMonth).
 * Peer settings per docs/peers.md: TZ=UTC, year 2018 (Jan 1 is a Monday), element types as strings.
 * Prints JSON: both totals, ms per bill and the time ratio.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { billUrdb, cents, compileUrdbCalendar, parseLoadCsv } from '../src/domain/urdb/bill.js';
import { importUrdbRate, type UrdbRate } from '../src/domain/urdb/import.js';

process.env.TZ = 'UTC';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** Convert an imported URDB rate (no energy tiers) into a bellawatt rate definition. */
function toBellawatt(rate: UrdbRate, year: number) {
  const cal = compileUrdbCalendar(rate, 8760, year === 2018 ? undefined : year);
  const energyComponents: unknown[] = [];
  rate.energyTiers.forEach((tiers, p) => {
    if (tiers.length !== 1) throw new Error('peer cannot pool energy tiers across TOU periods (docs/peers.md)');
    for (const [days, sched] of [[[1, 2, 3, 4, 5], rate.energyWeekday], [[0, 6], rate.energyWeekend]] as const) {
      const groups = new Map<string, number[]>();
      for (let m = 0; m < 12; m++) {
        const hours = sched[m].map((x, h) => (x === p ? h : -1)).filter((h) => h >= 0);
        if (hours.length === 0) continue;
        const key = hours.join(',');
        groups.set(key, [...(groups.get(key) ?? []), m]);
      }
      for (const [key, months] of groups) {
        energyComponents.push({ name: `energy p${p} ${days.join('')} ${months.join('/')}`, charge: tiers[0].rate, months, daysOfWeek: [...days], hourStarts: key.split(',').map(Number) });
      }
    }
  });
  const demandComponents: unknown[] = [];
  rate.demandTiers.forEach((tiers, d) => {
    // a single AND filter if the weekday/weekend hour sets are the same every month and weekends are all-in or all-out
    const wd = rate.demandWeekday!.map((r) => r.map((x, h) => (x === d ? h : -1)).filter((h) => h >= 0).join(','));
    const we = rate.demandWeekend!.map((r) => r.map((x, h) => (x === d ? h : -1)).filter((h) => h >= 0).join(','));
    let filter: Record<string, unknown>;
    if (new Set(wd).size === 1 && we.every((x) => x === '')) filter = { daysOfWeek: [1, 2, 3, 4, 5], hourStarts: wd[0].split(',').map(Number) };
    else {
      const hoursOfYear: number[] = [];
      for (let i = 0; i < 8760; i++) if (cal.demandPeriod[i] === d) hoursOfYear.push(i);
      filter = { hoursOfYear };
    }
    let lo = 0;
    for (const t of tiers) {
      demandComponents.push({ name: `demand p${d} ${lo}-${t.max}`, charge: t.rate, demandPeriod: 'monthly', min: lo, max: t.max === Infinity ? 'Infinity' : t.max, ...filter });
      lo = t.max;
    }
  });
  const elements: unknown[] = [{ rateElementType: 'EnergyTimeOfUse', name: 'Energy', rateComponents: energyComponents }];
  if (demandComponents.length) elements.push({ rateElementType: 'Demand', name: 'Demand', rateComponents: demandComponents });
  if (rate.fixedMonthly) elements.push({ rateElementType: 'FixedPerMonth', name: 'Fixed', rateComponents: [{ name: 'Fixed', charge: rate.fixedMonthly }] });
  return elements;
}

function ms(fn: () => void, n: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e6 / n;
}

export async function run(args: string[]): Promise<void> {
  const arg = (k: string, d: number) => (args.includes(k) ? Number(args[args.indexOf(k) + 1]) : d);
  const iterations = arg('--iterations', 2000);
  const peerIterations = arg('--peer-iterations', 10);
  const cases = [
    { rate: 'sam_commercial_demand_tou.json', load: 'load_commercial.csv', sam: '104614.5' },
    { rate: 'sam_residential_tou4.json', load: 'pvsamv1_residential_load.csv', sam: '771.8' },
  ];
  const results = [];
  for (const c of cases) results.push(runCase(c, iterations, peerIterations));
  console.log(JSON.stringify({ bench: 'rating-urdb', node: process.version, tz: process.env.TZ, cases: results }, null, 2));
}

function runCase(c: { rate: string; load: string; sam: string }, iterations: number, peerIterations: number) {
  const rateJson = JSON.parse(fs.readFileSync(path.join(root, 'test/fixtures/urdb', c.rate), 'utf8'));
  const load = parseLoadCsv(fs.readFileSync(path.join(root, 'test/fixtures/loads', c.load), 'utf8'));
  const kw = Array.from(load);

  // ours
  const rate = importUrdbRate(rateJson);
  const cal = compileUrdbCalendar(rate, load.length);
  let ours = 0;
  const oursWarm = () => {
    ours = billUrdb(rate, load, cal).annual;
  };
  const oursCold = () => {
    const r = importUrdbRate(rateJson);
    ours = billUrdb(r, load, compileUrdbCalendar(r, load.length)).annual;
  };
  for (let i = 0; i < 50; i++) oursCold();
  const oursWarmMs = ms(oursWarm, iterations);
  const oursColdMs = ms(oursCold, Math.max(1, Math.floor(iterations / 4)));

  // peer (same process, same load array)
  const { RateCalculator, LoadProfile } = require('@bellawatt/electric-rate-engine');
  const rateElements = toBellawatt(rate, 2018);
  let peer = 0;
  const peerBill = () => {
    const loadProfile = new LoadProfile(kw, { year: 2018 });
    peer = new RateCalculator({ name: rate.name, rateElements, loadProfile }).annualCost();
  };
  peerBill();
  const peerMs = ms(peerBill, peerIterations);
  return {
    rate: rate.name,
    load: `${c.load} (${load.length} h)`,
    ours: { annual: cents(ours), annualExact: ours.toFixed(6), msPerBill: +oursColdMs.toFixed(4), msPerBillPrecompiledCalendar: +oursWarmMs.toFixed(4), iterations },
    peer: { package: '@bellawatt/electric-rate-engine@3.0.1', annual: cents(peer), annualExact: peer.toFixed(6), msPerBill: +peerMs.toFixed(3), iterations: peerIterations },
    sameToTheCent: cents(ours) === cents(peer),
    speedup: +(peerMs / oursColdMs).toFixed(1),
    speedupPrecompiledCalendar: +(peerMs / oursWarmMs).toFixed(1),
    samPublished: c.sam,
  };
}
