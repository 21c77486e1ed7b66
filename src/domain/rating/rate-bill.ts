/**
 * `rateBill(input)`: the pure rating entry point. Tariff version(s) + usage → explained bill lines.
 * Parses and validates input, splits the period at tariff changes (§1.6), derives TOU energy
 * from registers or interval data (§2.3), prorates ladders (§1.5, §1.7), then runs the numeric
 * core (engine.ts) per segment and formats money as decimal strings.
 */
import { ValidationError } from '../errors.js';
import { divRoundHalfUp, formatMoney, formatPrice, formatQty, parsePrice, parseScaled } from '../money/decimal.js';
import { PERIOD_INDEX } from '../tariffs/prices.js';
import { TOU_PERIODS, type TariffVersion, type TouPeriod } from '../tariffs/schema.js';
import { assertNoOverlaps, parseTariffVersion } from '../tariffs/validate.js';
import { dateOf, dayNumber, daysInMonth } from './calendar.js';
import { compileTariff, METHOD_CODE, type CompiledTariff } from './compile.js';
import { LineSink, SegmentInput, pfAdjustmentHundredths, powerFactorHundredths, rateSegment, type LineTemplate } from './engine.js';
import type { BillLine, Qty, RateInput, RateResult, Usage } from './types.js';

const parsedCache = new WeakMap<object, TariffVersion>();

/** Parse (once per object) a tariff version given as raw JSON or already parsed. */
export function asTariffVersion(t: unknown): TariffVersion {
  if (t && typeof t === 'object') {
    const hit = parsedCache.get(t);
    if (hit) return hit;
    const v = parseTariffVersion(t);
    parsedCache.set(t, v);
    parsedCache.set(v, v);
    return v;
  }
  return parseTariffVersion(t);
}

function qty(v: Qty | undefined, field: string, allowNegative = false): number {
  if (v === undefined || v === null) return -1;
  const n = parseScaled(v as Qty, 2, field);
  if (n < 0 && !allowNegative) throw new ValidationError(field, `must not be negative (got ${v})`);
  return n;
}

interface Seg {
  v: TariffVersion;
  ct: CompiledTariff;
  from: number;
  to: number;
  days: number;
  e: number[];
  total: number;
}

/** Split `total` over weights cumulatively with one rounding per boundary: parts sum exactly to total. */
function splitCumulative(total: number, weights: number[], unit: number): number[] {
  const W = weights.reduce((a, b) => a + b, 0);
  const out: number[] = [];
  let acc = 0;
  let prev = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += weights[i];
    const upto = i === weights.length - 1 ? total : divRoundHalfUp(total * acc, W * unit) * unit;
    out.push(upto - prev);
    prev = upto;
  }
  return out;
}

const P_NAMES = TOU_PERIODS;

/**
 * Rate a bill. Pure: no I/O, no clock.
 *
 * Example (domain-cn §1.4 R-2):
 * ```ts
 * rateBill({ tariff: zjResident, usage: { periodStart: '2024-07-01', periodEnd: '2024-07-31',
 *   tou: { PEAK: 200, VALLEY: 150 }, ladderPrevCum: 2600 } }).total // "166.30"
 * ```
 * Throws `ValidationError(field, …)` for bad usage (negative kWh, registers not summing to the total
 * beyond tolerance, missing determinants) and bad tariffs.
 */
export function rateBill(input: RateInput): RateResult {
  if (!input || typeof input !== 'object') throw new ValidationError('(root)', 'expected { tariff, usage }');
  const u = input.usage as Usage;
  if (!u || typeof u !== 'object') throw new ValidationError('usage', 'required');
  const list = (Array.isArray(input.tariff) ? input.tariff : [input.tariff]).map(asTariffVersion);
  if (list.length === 0) throw new ValidationError('tariff', 'required');
  assertNoOverlaps(list);
  const start = dayNumber(u.periodStart, 'usage.periodStart');
  const end = dayNumber(u.periodEnd, 'usage.periodEnd');
  if (end < start) throw new ValidationError('usage.periodEnd', 'must not be before periodStart');
  const D = end - start + 1;
  const warnings: string[] = [];
  const overrides = u.componentPrices
    ? Object.fromEntries(Object.entries(u.componentPrices).map(([k, p]) => [k, parsePrice(p, `usage.componentPrices.${k}`)]))
    : undefined;

  // --- segments: versions in force inside [start, end] (§1.6)
  const inForce = list
    .filter((v) => dayNumber(v.effectiveFrom) <= end && (v.effectiveTo == null || dayNumber(v.effectiveTo) > start))
    .sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? -1 : 1));
  if (inForce.length === 0) throw new ValidationError('tariff', `no tariff version in force between ${u.periodStart} and ${u.periodEnd}`);
  const segs: Seg[] = [];
  for (let i = 0; i < inForce.length; i++) {
    const v = inForce[i];
    const from = Math.max(start, dayNumber(v.effectiveFrom));
    const to = Math.min(end, v.effectiveTo == null ? end : dayNumber(v.effectiveTo) - 1);
    if (i === 0 && from > start) throw new ValidationError('tariff', `no tariff version in force on ${u.periodStart}`);
    if (i > 0 && from !== segs[i - 1].to + 1) throw new ValidationError('tariff', `gap between tariff versions before ${dateOf(from)}`);
    segs.push({ v, ct: compileTariff(v, overrides), from, to, days: to - from + 1, e: [0, 0, 0, 0, 0], total: 0 });
  }
  if (segs[segs.length - 1].to < end) throw new ValidationError('tariff', `no tariff version in force on ${u.periodEnd}`);
  const anyTou = segs.some((s) => s.ct.hasTou);
  const month = Number(u.periodStart.slice(5, 7));

  // --- energy determinants
  let total = qty(u.kwh, 'usage.kwh');
  const regs = [0, 0, 0, 0, 0];
  let haveRegs = false;
  if (u.interval) {
    classifyInterval(u, segs, start, end);
    haveRegs = true;
    for (const s of segs) for (let p = 0; p < 5; p++) regs[p] += s.e[p];
  } else if (u.tou) {
    for (const [k, val] of Object.entries(u.tou)) {
      const p = PERIOD_INDEX[k as TouPeriod];
      if (p === undefined) throw new ValidationError(`usage.tou.${k}`, `unknown TOU period (use ${P_NAMES.join('/')})`);
      regs[p] = qty(val, `usage.tou.${k}`);
      if (regs[p] < 0) regs[p] = 0;
    }
    haveRegs = true;
  }
  if (haveRegs) {
    const sum = regs[0] + regs[1] + regs[2] + regs[3] + regs[4];
    if (total < 0) total = sum;
    else if (sum !== total) {
      const diff = total - sum;
      const tol = segs[0].ct.tolCenti;
      if (!u.interval && (diff > tol || -diff > tol)) {
        throw new ValidationError('usage.tou', `TOU registers sum to ${formatQty(sum)} kWh but the total is ${formatQty(total)} kWh (tolerance ${formatQty(tol)} kWh)`);
      }
      if (anyTou) {
        reconcile(regs, diff, segs[0].ct.rules.touReconcile, segs[0].ct.monthMask[month]);
        warnings.push(`TOU energy ${formatQty(sum)} kWh reconciled to the total ${formatQty(total)} kWh (${segs[0].ct.rules.touReconcile}, domain-cn §2.3)`);
        if (u.interval) {
          // keep segment split proportional; put the whole difference on the last segment
          const last = segs[segs.length - 1];
          reconcile(last.e, diff, segs[0].ct.rules.touReconcile, last.ct.monthMask[month]);
        }
      }
    }
  } else {
    if (total < 0) throw new ValidationError('usage.kwh', 'required (or give usage.tou / usage.interval)');
    if (anyTou) throw new ValidationError('usage.tou', 'the tariff is time-of-use: give kWh per period (usage.tou) or interval data');
    regs[PERIOD_INDEX.FLAT] = total;
  }

  // --- split energy between segments (frozen readings or by days, integer kWh, §1.6)
  if (segs.length === 1) {
    segs[0].e = regs;
    segs[0].total = total;
  } else if (u.interval) {
    for (const s of segs) s.total = s.e.reduce((a, b) => a + b, 0);
  } else {
    const weights = segs.map((s) => s.days);
    const frozen = u.frozenReadings ?? [];
    if (frozen.length > 0) {
      if (segs.length !== 2) throw new ValidationError('usage.frozenReadings', 'supported for one tariff change per period');
      const fr = frozen.find((f) => dayNumber(f.date, 'usage.frozenReadings.date') === segs[1].from);
      if (!fr) throw new ValidationError('usage.frozenReadings', `no frozen reading on the change date ${dateOf(segs[1].from)}`);
      const before = qty(fr.kwhBefore, 'usage.frozenReadings.kwhBefore');
      if (before > total) throw new ValidationError('usage.frozenReadings.kwhBefore', 'exceeds the period total');
      const beforeRegs = [0, 0, 0, 0, 0];
      if (fr.tou) for (const [k, val] of Object.entries(fr.tou)) beforeRegs[PERIOD_INDEX[k as TouPeriod]] = qty(val, `usage.frozenReadings.tou.${k}`);
      else {
        const parts = splitByShare(regs, before);
        for (let p = 0; p < 5; p++) beforeRegs[p] = parts[p];
      }
      segs[0].e = beforeRegs;
      segs[0].total = before;
      segs[1].e = regs.map((r, p) => r - beforeRegs[p]);
      segs[1].total = total - before;
    } else {
      // §1.6: the TOTAL is split by days in integer kWh; registers follow the total by their shares
      const totals = splitCumulative(total, weights, 100);
      const unit = regs.every((r) => r % 100 === 0) ? 100 : 1;
      let rest = regs.slice();
      segs.forEach((s, i) => {
        const part = i === segs.length - 1 ? rest : splitByShare(rest, totals[i], unit);
        s.e = part;
        s.total = totals[i];
        rest = rest.map((r, p) => r - part[p]);
      });
      if (!anyTou) {
        // non-TOU: split the total itself (registers may be absent)
        const parts = splitCumulative(total, weights, 100);
        segs.forEach((s, i) => {
          s.total = parts[i];
          s.e = [0, 0, parts[i], 0, 0];
        });
      }
    }
  }

  // --- PF (§4.2): whole-bill P and Q
  let pf100 = -1;
  const needPf = segs.some((s) => s.ct.pf);
  if (needPf) {
    const r = u.reactiveKvarh;
    if (!r || (r.forward === undefined && r.reverse === undefined)) throw new ValidationError('usage.reactiveKvarh', 'required for power-factor adjustment');
    const fwd = r.forward === undefined ? 0 : Math.abs(parseScaled(r.forward, 2, 'usage.reactiveKvarh.forward'));
    const rev = r.reverse === undefined ? 0 : Math.abs(parseScaled(r.reverse, 2, 'usage.reactiveKvarh.reverse'));
    // FORWARD_ONLY (1983 text) or ABS_SUM |正向| + |反向| (§4.2, VERIFY §12.6)
    const Q = segs.find((s) => s.ct.pf)!.ct.pf!.absSum ? fwd + rev : fwd;
    if (total === 0) {
      if (Q > 0) warnings.push('P = 0 with Q > 0: power-factor adjustment needs manual review (domain-cn §4.2)');
    } else pf100 = powerFactorHundredths(total, Q);
  }
  if (u.pfStandard !== undefined && !['0.90', '0.85', '0.80'].includes(u.pfStandard)) {
    throw new ValidationError('usage.pfStandard', 'PF standard must be one of 0.80, 0.85, 0.90');
  }

  // --- ladder setup
  const prevCum0 = u.ladderPrevCum === undefined ? 0 : qty(u.ladderPrevCum, 'usage.ladderPrevCum');
  if (prevCum0 > 0 && segs.every((s) => s.ct.ladder && !s.ct.ladder.annual)) warnings.push('usage.ladderPrevCum ignored: monthly ladder (domain-cn §1.3)');
  const hh = u.householdSize;
  if (hh !== undefined && (!Number.isInteger(hh) || hh < 1)) throw new ValidationError('usage.householdSize', 'must be a positive integer');

  // --- basic-charge common
  const method = u.basicChargeMethod === undefined ? -1 : METHOD_CODE[u.basicChargeMethod];
  if (method === undefined) throw new ValidationError('usage.basicChargeMethod', 'must be CAPACITY, CONTRACT_DEMAND or ACTUAL_DEMAND');
  const capacity = qty(u.capacityKva, 'usage.capacityKva');
  const contract = qty(u.contractDemandKw, 'usage.contractDemandKw');
  const maxDemand = qty(u.maxDemandKw, 'usage.maxDemandKw');
  let daysUsed = -1;
  let calDays = -1;
  if (u.daysUsed !== undefined) {
    if (!Number.isInteger(u.daysUsed) || u.daysUsed < 0) throw new ValidationError('usage.daysUsed', 'must be a non-negative integer');
    daysUsed = u.daysUsed;
    calDays = u.calendarDays ?? daysInMonth(Number(u.periodStart.slice(0, 4)), month);
    if (daysUsed > calDays) throw new ValidationError('usage.daysUsed', `exceeds the ${calDays} calendar days of the month`);
  }

  const sink = new LineSink();
  const si = new SegmentInput();
  let prevCum = prevCum0;
  const tierSum: number[] = [];
  let ptfPct = Number.NaN;
  for (let k = 0; k < segs.length; k++) {
    const s = segs[k];
    const ct = s.ct;
    si.month = month;
    si.e = s.e;
    si.total = s.total;
    // §1.3: a monthly ladder starts every bill at 0; only annual ladders carry the cumulative
    si.prevCum = ct.ladder?.annual ? prevCum : 0;
    if (ct.ladder) si.thresholds = ladderThresholds(ct, u, s, segs, D, k, warnings);
    si.method = method;
    si.capacity = capacity;
    si.contract = contract;
    si.maxDemand = maxDemand;
    si.billKwh = total;
    const basis = ct.rules.partialMonthBasis === 'DAYS_30' ? 30 : calDays;
    if (daysUsed >= 0) {
      si.prorNum = daysUsed * s.days;
      si.prorDen = basis * D;
    } else {
      si.prorNum = s.days;
      si.prorDen = D;
    }
    si.pfPctH = Number.NaN;
    if (ct.pf && pf100 >= 0) {
      const std = u.pfStandard ?? ct.pf.standard;
      si.pfPctH = pfAdjustmentHundredths(ct, std, pf100);
      ptfPct = si.pfPctH;
    }
    sink.seg = segs.length > 1 ? k + 1 : 0;
    rateSegment(ct, si, sink);
    for (let i = 0; i < sink.nTiers; i++) tierSum[i] = (tierSum[i] ?? 0) + sink.tiers[i];
    sink.nTiers = 0;
    if (ct.ladder?.annual) prevCum += s.total;
  }
  for (const w of sink.warnings) warnings.push(w);

  // --- fixed and minimum charges (version in force at the end of the period)
  const lastCt = segs[segs.length - 1].ct;
  sink.seg = 0;
  for (const f of lastCt.fixed) {
    sink.push({ code: `FIXED_${f.code}`, name: f.name, unit: '月', rule: 'tariff fixed monthly charge', kind: 'QTY' }, 100, f.amount * 10_000, f.amount);
  }
  if (lastCt.minimum >= 0 && sink.total < lastCt.minimum) {
    const top = lastCt.minimum - sink.total;
    sink.push(
      { code: 'MINIMUM_TOPUP', name: { zh: '最低电费补足', en: 'Minimum charge top-up' }, unit: '元', rule: 'tariff minimum monthly charge', kind: 'MONEY' },
      top,
      1_000_000,
      top,
    );
  }

  const lines: BillLine[] = [];
  for (let i = 0; i < sink.n; i++) lines.push(formatLine(sink.tpl[i], sink.qty[i], sink.price[i], sink.amount[i], sink.segment[i]));
  const details: RateResult['details'] = {
    segments: segs.map((s) => ({
      tariffCode: s.v.code,
      version: s.v.version,
      from: dateOf(s.from),
      to: dateOf(s.to),
      days: s.days,
      kwh: formatQty(s.total),
    })),
  };
  if (tierSum.length) details.tiers = tierSum.map(formatQty);
  if (pf100 >= 0) {
    details.powerFactor = (pf100 / 100).toFixed(2);
    if (ptfPct === ptfPct) details.pfAdjustmentPercent = (ptfPct / 100).toFixed(2);
  }
  if (needPf) details.ptfBase = formatMoney(sink.ptfBase);
  if (sink.funds) details.governmentFunds = formatMoney(sink.funds);
  if (anyTou) {
    details.touKwh = {};
    for (let p = 0; p < 5; p++) {
      const e = segs.reduce((a, s) => a + s.e[p], 0);
      if (e) details.touKwh[TOU_PERIODS[p]] = formatQty(e);
    }
  }
  return { lines, total: formatMoney(sink.total), warnings, details };
}

/** Format one numeric line. */
export function formatLine(t: LineTemplate, q: number, price: number, amount: number, segment: number): BillLine {
  const line: BillLine = {
    code: t.code,
    name: t.name,
    quantity: t.kind === 'QTY' ? formatQty(q) : formatMoney(q),
    unit: t.unit,
    unitPrice: formatPrice(price),
    amount: formatMoney(amount),
    rule: t.rule,
  };
  if (segment) line.segment = segment;
  return line;
}

/** Split `part` over registers by their shares (rounded at `unit`, last register absorbs the remainder). */
function splitByShare(regs: number[], part: number, unit = 1): number[] {
  const sum = regs.reduce((a, b) => a + b, 0);
  const out = [0, 0, 0, 0, 0];
  if (sum === 0) return out;
  let acc = 0;
  let last = -1;
  for (let p = 0; p < 5; p++) {
    if (!regs[p]) continue;
    out[p] = Math.min(regs[p], divRoundHalfUp(part * regs[p], sum * unit) * unit);
    acc += out[p];
    last = p;
  }
  out[last] += part - acc;
  return out;
}

function reconcile(regs: number[], diff: number, mode: 'PRO_RATA' | 'FLAT', mask: number): void {
  if (mode === 'FLAT' && (mask >> PERIOD_INDEX.FLAT) & 1) {
    regs[PERIOD_INDEX.FLAT] += diff;
    return;
  }
  const sum = regs.reduce((a, b) => a + b, 0);
  if (sum === 0) {
    regs[PERIOD_INDEX.FLAT] += diff;
    return;
  }
  let acc = 0;
  let last = -1;
  for (let p = 0; p < 5; p++) {
    if (!regs[p]) continue;
    const d = divRoundHalfUp(diff * regs[p], sum);
    regs[p] += d;
    acc += d;
    last = p;
  }
  regs[last] += diff - acc;
}

/** Effective ladder thresholds (centi-kWh) of one segment: household (§1.7), proration (§1.5), split (§1.6). */
function ladderThresholds(ct: CompiledTariff, u: Usage, s: Seg, segs: Seg[], D: number, k: number, warnings: string[]): number[] {
  const L = ct.ladder!;
  const R = ct.rules;
  const out: number[] = [];
  const addPerMonth = u.householdSize !== undefined && u.householdSize >= R.household.minSize ? R.household.addKwhPerMonth : 0;
  for (let i = 0; i < L.thresholds.length; i++) {
    let t = L.thresholds[i];
    if (addPerMonth && (R.household.scope === 'ALL_THRESHOLDS' || i === 0)) t += addPerMonth * (L.annual ? 12 : 1);
    if (L.annual) {
      if (u.ladderOpenedMonth !== undefined) {
        const m = u.ladderOpenedMonth;
        if (!Number.isInteger(m) || m < 1 || m > 12) throw new ValidationError('usage.ladderOpenedMonth', 'must be 1..12');
        t = divRoundHalfUp(t * (13 - m), 12);
      }
    } else {
      if (R.ladderProration === 'MONTHS') t *= u.ladderMonths ?? 1;
      else if (D < R.standardPeriodDays[0] || D > R.standardPeriodDays[1]) t = divRoundHalfUp(t * D, 30);
      if (segs.length > 1) {
        // split thresholds like energy: cumulative by days, integer kWh
        const upto = segs.slice(0, k + 1).reduce((a, x) => a + x.days, 0);
        const before = upto - s.days;
        t = (k === segs.length - 1 ? t : divRoundHalfUp(t * upto, D)) - divRoundHalfUp(t * before, D);
      }
    }
    out.push(t * 100);
  }
  if (addPerMonth && k === 0) warnings.push(`household of ${u.householdSize}: ladder thresholds +${addPerMonth} kWh/month (${R.household.scope}, domain-cn §1.7)`);
  return out;
}

/** Classify interval data into TOU periods per segment (§0.7, §2.3); values in kWh per interval. */
function classifyInterval(u: Usage, segs: Seg[], start: number, end: number): void {
  const iv = u.interval!;
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})$/.exec(iv.start);
  if (!m) throw new ValidationError('usage.interval.start', "must be 'YYYY-MM-DDTHH:mm'");
  const step = iv.intervalMinutes;
  if (!Number.isInteger(step) || step <= 0 || 1440 % step !== 0) throw new ValidationError('usage.interval.intervalMinutes', 'must divide 1440');
  if (!Array.isArray(iv.values)) throw new ValidationError('usage.interval.values', 'must be an array');
  const hol = new Map<number, { code: string; day: number }>();
  for (const h of u.holidays ?? []) hol.set(dayNumber(h.date, 'usage.holidays.date'), { code: h.holidayCode, day: h.dayOfHoliday ?? 1 });
  let t = dayNumber(m[1], 'usage.interval.start') * 1440 + Number(m[2]) * 60 + Number(m[3]);
  const acc = segs.map(() => [0, 0, 0, 0, 0]); // µ-kWh (scale 6)
  let curDay = -1;
  let seg = 0;
  let map: Uint8Array | undefined;
  let over: Int8Array | null = null;
  for (let i = 0; i < iv.values.length; i++, t += step) {
    const day = Math.floor(t / 1440);
    if (day !== curDay) {
      if (day < start || day > end) throw new ValidationError(`usage.interval.values.${i}`, `interval at ${dateOf(day)} is outside the billing period`);
      curDay = day;
      while (segs[seg].to < day) seg++;
      const ct = segs[seg].ct;
      const month = Number(dateOf(day).slice(5, 7));
      map = ct.minuteMap[month];
      over = null;
      const h = hol.get(day);
      if (h) {
        const o = ct.holidayMaps.find((x) => x.code === h.code && (!x.first3 || h.day <= 3));
        if (o) over = o.map;
      }
    }
    const val = parseScaled(iv.values[i], 6, `usage.interval.values.${i}`);
    if (val < 0) throw new ValidationError(`usage.interval.values.${i}`, 'must not be negative');
    const minute = t - day * 1440;
    let p = PERIOD_INDEX.FLAT;
    if (map) {
      p = map[minute];
      if (over && over[minute] >= 0) p = over[minute];
    }
    acc[seg][p] += val;
  }
  segs.forEach((s, k) => {
    for (let p = 0; p < 5; p++) s.e[p] = divRoundHalfUp(acc[k][p], 10_000);
  });
}
