/**
 * Bill documents (电费通知单 / 电费账单) as PDF with Chinese text: one bill (`billPdf`) and the
 * printable batch of a run (`openRunPrint`, 批量打印: a cover page, then one issued bill per page in
 * route and walking order, rendered chunk by chunk as the reader consumes the stream).
 *
 * Font: pdfkit with Noto Sans CJK found by `findCjkFont` (receipts use the same). Without a CJK
 * font the document is still produced with Helvetica and English labels (`font: 'fallback'`).
 * The whole document uses ONE font, so its text can be decoded with the font's ToUnicode CMap.
 *
 * Rules: customer name masked (张*丰) unless the user has `customer.pii` or the bill is the
 * customer's own; bills not issued carry a watermark 试算 (trial) / 未发行 (not issued);
 * customers (portal.self) see only their own issued bills. Reads only: no audit event.
 */
import fs from 'node:fs';
import { Readable } from 'node:stream';
import PDFDocument from 'pdfkit';
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import '../../db/schema-billing.js';
import { AppError } from '../../domain/errors.js';
import { chineseAmount } from '../../domain/money/chinese-amount.js';
import { formatScaled, parseScaled } from '../../domain/money/decimal.js';
import { maskName } from '../../domain/security/mask.js';
import { can, requirePermission, requireScope, type Actor, type Q } from '../context.js';
import { findCjkFont } from '../payments/receipt.js';
import { actorUnits } from './run.js';

type Doc = InstanceType<typeof PDFDocument>;

export interface BillDocReading {
  meterAssetNo: string;
  register: string;
  previous: string | null;
  current: string | null;
  multiplier: string;
  kwh: string | null;
  estimated: boolean;
}

export interface BillDocLine {
  nameZh: string;
  nameEn: string;
  quantity: string;
  unit: string;
  unitPrice: string;
  amount: string;
  segment: number | null;
}

/** Everything printed on one bill, loaded in bulk by {@link loadBillDocs}. */
export interface BillDoc {
  id: number;
  runId: number;
  accountId: number;
  accountNo: string;
  accountName: string;
  address: string;
  period: string;
  trial: boolean;
  status: string;
  customerClass: string;
  periodStart: string | null;
  periodEnd: string | null;
  days: number | null;
  energyKwh: string;
  amountTotal: string;
  dueDate: string | null;
  issuedOn: string | null;
  companyZh: string;
  companyEn: string;
  unitZh: string;
  unitEn: string;
  hallZh: string | null;
  routeCode: string | null;
  tariffs: Array<{ code: string; version: string; nameZh: string; nameEn: string; from?: string; to?: string }>;
  lines: BillDocLine[];
  readings: BillDocReading[];
  exceptionCode: string | null;
}

const REGISTER_ZH: Record<string, string> = {
  TOTAL: '有功总', SHARP: '尖', PEAK: '峰', FLAT: '平', VALLEY: '谷', REVERSE: '反向有功', REACTIVE: '无功', REACTIVE_REV: '反向无功', MAX_DEMAND: '最大需量',
};
const REGISTER_ORDER = ['TOTAL', 'SHARP', 'PEAK', 'FLAT', 'VALLEY', 'REVERSE', 'REACTIVE', 'REACTIVE_REV', 'MAX_DEMAND'];
const CLASS_ZH: Record<string, string> = {
  residential: '居民生活', commercial: '一般工商业', large_industrial: '大工业', agricultural: '农业生产',
};

const shanghaiDate = (d: Date | null) => (d ? new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(0, 10) : null);

/** Trim trailing zeros of a decimal string ("1234.5000" → "1234.5", "200.0000" → "200"). */
function trimDec(s: string | null): string | null {
  if (s === null) return null;
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/**
 * ISO 7064 MOD 97-10 check digits of a digit string (as in IBAN): the payment reference
 * printed on the bill can be checked by a bank or a counter clerk typing it.
 */
export function mod97Check(digits: string): string {
  let r = 0;
  for (const ch of digits + '00') r = (r * 10 + (ch.charCodeAt(0) - 48)) % 97;
  return String(98 - r).padStart(2, '0');
}

/** Payment reference (缴费识别码): 户号 + period + amount in 分 + 2 check digits, in groups of four. */
export function paymentReference(accountNo: string, period: string, amountTotal: string): string {
  const fen = amountTotal.replace('-', '').replace('.', '').replace(/^0+(?=\d)/, '');
  const digits = `${accountNo}${period.replace('-', '')}${fen.padStart(8, '0')}`;
  const full = digits + mod97Check(digits);
  return full.replace(/(\d{4})(?=\d)/g, '$1 ');
}

/**
 * Load bill documents for a list of bill ids (order kept; missing ids are left out) with a fixed
 * number of queries whatever the count: bills + accounts + org units, org ancestors and halls,
 * tariff names, lines, readings with the previous value of each register.
 */
export async function loadBillDocs(q: Q, billIds: number[], showName: (accountId: number) => boolean): Promise<BillDoc[]> {
  if (billIds.length === 0) return [];
  const bills = await q.selectFrom('bills as b').innerJoin('accounts as a', 'a.id', 'b.account_id').innerJoin('org_units as o', 'o.id', 'b.org_unit_id')
    .leftJoin('reading_routes as rr', 'rr.id', 'a.reading_route_id')
    .select(['b.id', 'b.run_id', 'b.account_id', 'b.account_no', 'b.period', 'b.trial', 'b.status', 'b.customer_class', 'b.tariff_refs', 'b.period_start', 'b.period_end', 'b.days',
      'b.energy_kwh', 'b.amount_total', 'b.determinants', 'b.due_date', 'b.issued_at', 'b.exception_code', 'b.org_unit_id',
      'a.name', 'a.address', 'o.name as unit_name', 'o.name_en as unit_name_en', 'o.path', 'rr.code as route_code'])
    .where('b.id', 'in', billIds).execute();
  const byId = new Map(bills.map((b) => [b.id, b]));
  const accountIds = [...new Set(bills.map((b) => b.account_id))];

  // org units: ancestors (the power supply company) and the counters (营业厅) under each unit
  const unitIds = new Set<number>();
  for (const b of bills) for (const p of b.path.split('/').filter(Boolean)) unitIds.add(Number(p));
  const units = await q.selectFrom('org_units').select(['id', 'parent_id', 'name', 'name_en', 'kind']).where((eb) => eb.or([eb('id', 'in', [...unitIds]), eb('parent_id', 'in', [...unitIds])])).execute();
  const unitById = new Map(units.map((u) => [u.id, u]));

  const refsOf = (b: (typeof bills)[number]) => (Array.isArray(b.tariff_refs) ? (b.tariff_refs as Array<{ code: string; version: string; from?: string; to?: string }>) : []);
  const tariffCodes = [...new Set(bills.flatMap((b) => refsOf(b).map((r) => r.code)))];
  const tariffs = tariffCodes.length ? await q.selectFrom('tariff_versions').select(['code', 'version', 'name_zh', 'name_en']).where('code', 'in', tariffCodes).execute() : [];
  const tariffName = new Map(tariffs.map((t) => [`${t.code}@${t.version}`, t]));

  const lines = await q.selectFrom('bill_lines').select(['bill_id', 'line_no', 'name_zh', 'name_en', 'quantity', 'unit', 'unit_price', 'amount', 'segment'])
    .where('account_id', 'in', accountIds).where('bill_id', 'in', billIds).orderBy('bill_id').orderBy('line_no').execute();
  const linesOf = new Map<number, typeof lines>();
  for (const l of lines) (linesOf.get(l.bill_id) ?? linesOf.set(l.bill_id, []).get(l.bill_id)!).push(l);

  const readingIds = [...new Set(bills.flatMap((b) => ((b.determinants ?? {}) as { readingIds?: number[] }).readingIds ?? []))];
  const readings = readingIds.length
    ? (await sql<{ id: number; account_id: number; meter_id: number; register: string; value: string | null; consumption: string | null; status: string; asset_no: string; multiplier: string; previous: string | null }>`
        select r.id, r.account_id, r.meter_id, r.register, r.value, r.consumption, r.status, m.asset_no, m.multiplier,
          (select p.value from register_readings p where p.account_id = r.account_id and p.meter_id = r.meter_id and p.register = r.register
             and p.read_at < r.read_at and p.status in ('accepted','estimated') and p.value is not null order by p.read_at desc limit 1) as previous
        from register_readings r join meters m on m.id = r.meter_id
        where r.account_id = any(${accountIds}::bigint[]) and r.id = any(${readingIds}::bigint[])
        order by r.account_id, r.meter_id, r.read_at`.execute(q)).rows
    : [];
  // a meter installed in the period: the previous value is the installation's initial reading
  const noPrev = [...new Set(readings.filter((r) => r.previous === null).map((r) => r.meter_id))];
  const initial = new Map<number, Record<string, string>>();
  if (noPrev.length) {
    const ins = await q.selectFrom('meter_installations').select(['meter_id', 'initial_readings']).where('meter_id', 'in', noPrev).orderBy('installed_on').execute();
    for (const i of ins) initial.set(i.meter_id, (i.initial_readings ?? {}) as Record<string, string>);
  }
  const readingsOf = new Map<number, BillDocReading[]>();
  const readingById = new Map(readings.map((r) => [r.id, r]));

  const out: BillDoc[] = [];
  for (const id of billIds) {
    const b = byId.get(id);
    if (!b) continue;
    const pathIds = b.path.split('/').filter(Boolean).map(Number);
    const company = pathIds.map((x) => unitById.get(x)).filter((u) => u && (u.kind === 'county' || u.kind === 'company')).pop();
    const hall = units.find((u) => u.parent_id === b.org_unit_id && u.kind === 'hall') ?? (unitById.get(b.org_unit_id)?.kind === 'hall' ? unitById.get(b.org_unit_id) : undefined);
    const det = (b.determinants ?? {}) as { readingIds?: number[] };
    const rs = (det.readingIds ?? []).map((rid) => readingById.get(rid)).filter((r): r is NonNullable<typeof r> => !!r);
    rs.sort((x, y) => x.meter_id - y.meter_id || REGISTER_ORDER.indexOf(x.register) - REGISTER_ORDER.indexOf(y.register));
    readingsOf.set(id, rs.map((r) => ({
      meterAssetNo: r.asset_no,
      register: r.register,
      previous: trimDec(r.register === 'MAX_DEMAND' ? null : r.previous ?? initial.get(r.meter_id)?.[r.register] ?? null),
      current: trimDec(r.value),
      multiplier: trimDec(r.multiplier) ?? '1',
      kwh: trimDec(r.register === 'MAX_DEMAND' ? (r.value === null ? null : formatScaled(BigInt(parseScaled(r.value, 4)) * BigInt(parseScaled(r.multiplier, 4)), 8)) : r.consumption),
      estimated: r.status === 'estimated',
    })));
    out.push({
      id: b.id,
      runId: b.run_id,
      accountId: b.account_id,
      accountNo: b.account_no,
      accountName: showName(b.account_id) ? b.name : maskName(b.name) ?? '',
      address: b.address,
      period: b.period,
      trial: b.trial,
      status: b.status,
      customerClass: b.customer_class,
      periodStart: b.period_start,
      periodEnd: b.period_end,
      days: b.days,
      energyKwh: trimDec(b.energy_kwh) ?? '0',
      amountTotal: b.amount_total,
      dueDate: b.due_date,
      issuedOn: shanghaiDate(b.issued_at),
      companyZh: company?.name ?? '',
      companyEn: company?.name_en ?? '',
      unitZh: b.unit_name,
      unitEn: b.unit_name_en ?? '',
      hallZh: hall?.name ?? null,
      routeCode: b.route_code,
      tariffs: refsOf(b).map((r) => ({ code: r.code, version: r.version, from: r.from, to: r.to, nameZh: tariffName.get(`${r.code}@${r.version}`)?.name_zh ?? r.code, nameEn: tariffName.get(`${r.code}@${r.version}`)?.name_en ?? r.code })),
      lines: (linesOf.get(b.id) ?? []).map((l) => ({ nameZh: l.name_zh, nameEn: l.name_en, quantity: trimDec(l.quantity) ?? '', unit: l.unit, unitPrice: trimDec(l.unit_price) ?? '', amount: l.amount, segment: l.segment })),
      readings: readingsOf.get(id) ?? [],
      exceptionCode: b.exception_code,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// rendering

export interface Pen {
  doc: Doc;
  cjk: boolean;
  /** Chinese label with the CJK font, English without it */
  t(zh: string, en: string): string;
}

const A4 = { w: 595.28, h: 841.89 };
const M = 40;
const W = A4.w - 2 * M;

let fontCache: { data: Buffer; family: string } | null | undefined;
/** The CJK font file, read once per process (≈20 MB; parsing it per document is the main cost of a bill PDF). */
function cjkFont(): { data: Buffer; family: string } | null {
  if (fontCache === undefined) {
    const f = findCjkFont();
    fontCache = f ? { data: fs.readFileSync(f.path), family: f.family } : null;
  }
  return fontCache;
}

/** A new A4 document with the CJK font (or the Helvetica fallback) and a pen to draw bills with. */
export function newBillDocument(title: string, subject: string): { doc: Doc; pen: Pen; font: 'cjk' | 'fallback' } {
  const f = cjkFont();
  const doc = new PDFDocument({ size: 'A4', margin: M, autoFirstPage: false, bufferPages: false, info: { Title: title, Subject: subject, Creator: 'Voltline', Producer: 'Voltline (pdfkit)' } });
  if (f) {
    doc.registerFont('cjk', f.data, f.family);
    doc.font('cjk');
  } else {
    doc.font('Helvetica');
  }
  const cjk = !!f;
  return { doc, font: cjk ? 'cjk' : 'fallback', pen: { doc, cjk, t: (zh, en) => (cjk ? zh : en) } };
}

/** Drop pdfkit's per-font word layout cache (it grows with every distinct name/address in a long batch). */
function trimFontCaches(doc: Doc) {
  const fams = (doc as unknown as { _fontFamilies?: Record<string, { layoutCache?: unknown }> })._fontFamilies ?? {};
  for (const f of Object.values(fams)) if (f && typeof f === 'object' && 'layoutCache' in f) f.layoutCache = Object.create(null);
}

function watermark(pen: Pen, text: string) {
  const { doc } = pen;
  doc.save();
  doc.rotate(-35, { origin: [A4.w / 2, A4.h / 2] });
  doc.fillColor('#d9363e').fillOpacity(0.13).fontSize(120);
  doc.text(text, 0, A4.h / 2 - 80, { width: A4.w, align: 'center', lineBreak: false });
  doc.restore();
  doc.fillColor('black').fillOpacity(1);
}

/** A simple table: header row, body rows, column widths and alignments; returns the y after it. */
function table(pen: Pen, y: number, cols: Array<{ w: number; align?: 'left' | 'right' | 'center' }>, header: string[], rows: string[][], size = 8.5): number {
  const { doc } = pen;
  const rowH = size + 7;
  doc.fontSize(size);
  const draw = (cells: string[], yy: number, head: boolean) => {
    if (head) doc.rect(M, yy, W, rowH).fillColor('#eef2f7').fill().fillColor('black');
    let x = M;
    cells.forEach((c, i) => {
      const col = cols[i];
      // one line per cell: longer text is cut with an ellipsis, never wrapped into the next row
      doc.text(c, x + 3, yy + 3.5, { width: col.w - 6, height: size * 1.2, align: col.align ?? 'left', ellipsis: true });
      x += col.w;
    });
    doc.moveTo(M, yy + rowH).lineTo(M + W, yy + rowH).lineWidth(0.4).strokeColor('#b8c2cc').stroke();
  };
  draw(header, y, true);
  let yy = y + rowH;
  for (const r of rows) {
    draw(r, yy, false);
    yy += rowH;
  }
  return yy;
}

/** Space on the page for the two tables (readings + charges) after the fixed parts of a bill. */
const TABLE_BUDGET = 360;

function money(s: string): string {
  const neg = s.startsWith('-');
  const [i, f = '00'] = s.replace('-', '').split('.');
  return `${neg ? '-' : ''}${i.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${f.padEnd(2, '0')}`;
}

/** Render one bill on the current (fresh) page. */
export function renderBillPage(pen: Pen, b: BillDoc) {
  const { doc, t } = pen;
  if (b.trial || b.status !== 'issued') watermark(pen, b.trial ? t('试算', 'TRIAL') : t('未发行', 'NOT ISSUED'));
  const issued = b.status === 'issued' && !b.trial;
  let y = M;
  doc.fillColor('black').fontSize(10).text(pen.cjk ? `${b.companyZh} ${b.unitZh}` : `${b.companyEn} ${b.unitEn}`, M, y, { width: W, align: 'center' });
  y += 16;
  doc.fontSize(20).text(issued ? t('电费通知单', 'Electricity bill') : t('电费账单（试算）', 'Electricity bill (draft)'), M, y, { width: W, align: 'center' });
  y += 28;
  doc.fontSize(8).fillColor('#555').text(`${t('账单编号', 'Bill no.')} ${b.id}   ${t('核算批次', 'Run')} ${b.runId}${b.routeCode ? `   ${t('抄表段', 'Route')} ${b.routeCode}` : ''}`, M, y, { width: W, align: 'right' });
  doc.fillColor('black');
  y += 14;

  // customer block: two columns of label / value
  const tariffText = b.tariffs.length
    ? b.tariffs.map((x) => `${pen.cjk ? x.nameZh : x.nameEn} (${x.code})${b.tariffs.length > 1 && x.from ? ` ${x.from}–${x.to ?? ''}` : ''}`).join('; ')
    : '';
  const left: Array<[string, string]> = [
    [t('户号', 'Account no.'), b.accountNo],
    [t('户名', 'Name'), pen.cjk ? b.accountName : '-'],
    [t('用电地址', 'Address'), pen.cjk ? b.address : '-'],
    [t('用电类别', 'Class'), pen.cjk ? CLASS_ZH[b.customerClass] ?? b.customerClass : b.customerClass],
    [t('电价', 'Tariff'), tariffText],
  ];
  const right: Array<[string, string]> = [
    [t('电费年月', 'Billing period'), b.period],
    [t('计费周期', 'Service period'), b.periodStart && b.periodEnd ? `${b.periodStart} ~ ${b.periodEnd} (${b.days ?? ''}${t('天', ' days')})` : '-'],
    [t('发行日期', 'Issued on'), b.issuedOn ?? '-'],
    [t('交费截止日', 'Due date'), b.dueDate ?? '-'],
    [t('本期电量', 'Energy'), `${b.energyKwh} kWh`],
  ];
  doc.rect(M, y, W, 5 * 15 + 8).lineWidth(0.6).strokeColor('#8c99a6').stroke();
  const colW = W / 2;
  for (let i = 0; i < 5; i++) {
    const yy = y + 5 + i * 15;
    const one = (w: number) => ({ width: w, height: 11, ellipsis: true });
    doc.fontSize(8.5).fillColor('#555').text(left[i][0], M + 6, yy, one(62));
    doc.fillColor('black').text(left[i][1], M + 68, yy, one(colW - 74));
    doc.fillColor('#555').text(right[i][0], M + colW + 6, yy, one(66));
    doc.fillColor('black').text(right[i][1], M + colW + 72, yy, one(colW - 78));
  }
  y += 5 * 15 + 18;

  // the two tables share TABLE_BUDGET: smaller rows for a long bill, then a "more lines" row
  const segs = new Set(b.lines.map((l) => l.segment ?? 0));
  const bodyRows = Math.max(1, b.readings.length) + Math.max(1, b.lines.length);
  const size = (bodyRows + 2) * 15.5 <= TABLE_BUDGET ? 8.5 : 7;
  const maxBody = Math.floor(TABLE_BUDGET / (size + 7)) - 2;
  const maxReadings = Math.min(Math.max(1, b.readings.length), 10);
  const maxLines = maxBody - maxReadings;

  // meter readings
  doc.fontSize(11).text(t('抄表信息', 'Meter readings'), M, y);
  y += 16;
  const rcols = [{ w: 110 }, { w: 75 }, { w: 90, align: 'right' as const }, { w: 90, align: 'right' as const }, { w: 60, align: 'right' as const }, { w: W - 425, align: 'right' as const }];
  const readingRows = b.readings.length
    ? b.readings.map((r) => [r.meterAssetNo, (pen.cjk ? REGISTER_ZH[r.register] ?? r.register : r.register) + (r.estimated ? t('(估)', ' (est.)') : ''), r.previous ?? '-', r.current ?? '-', r.multiplier, r.kwh === null ? '-' : `${r.kwh}${r.register === 'MAX_DEMAND' ? ' kW' : r.register.startsWith('REACTIVE') ? ' kvarh' : ''}`])
    : [[t('无抄表数据', 'no readings'), '', '', '', '', '']];
  y = table(pen, y, rcols, [t('电能表', 'Meter'), t('示数类型', 'Register'), t('上次示数', 'Previous'), t('本次示数', 'Current'), t('倍率', 'Multiplier'), t('电量(kWh)', 'Energy (kWh)')], readingRows.slice(0, maxReadings), size);
  y += 12;

  // bill lines
  doc.fontSize(11).text(t('电费明细', 'Charges'), M, y);
  y += 16;
  const lcols = [{ w: 205 }, { w: 85, align: 'right' as const }, { w: 50, align: 'center' as const }, { w: 85, align: 'right' as const }, { w: W - 425, align: 'right' as const }];
  const lineRows = b.lines.map((l) => [
    (pen.cjk ? l.nameZh : l.nameEn) + (segs.size > 1 && l.segment !== null ? ` [${l.segment + 1}]` : ''),
    l.quantity, l.unit, l.unitPrice, money(l.amount),
  ]);
  if (lineRows.length === 0) lineRows.push([b.exceptionCode ? `${t('未能计费', 'not rated')}: ${b.exceptionCode}` : t('无', 'none'), '', '', '', '0.00']);
  const shown = lineRows.length > maxLines ? [...lineRows.slice(0, maxLines - 1), [t(`其余 ${lineRows.length - maxLines + 1} 项见明细`, `${lineRows.length - maxLines + 1} more lines`), '', '', '', '']] : lineRows;
  y = table(pen, y, lcols, [t('项目', 'Item'), t('数量', 'Quantity'), t('单位', 'Unit'), t('单价(元)', 'Price'), t('金额(元)', 'Amount')], shown, size);
  if (segs.size > 1 && b.tariffs.length > 1) {
    y += 3;
    doc.fontSize(7.5).fillColor('#555').text(b.tariffs.map((x, i) => `[${i + 1}] ${x.from ?? ''} ~ ${x.to ?? ''} ${x.code} ${x.version}`).join('   '), M, y, { width: W });
    doc.fillColor('black');
    y += 10;
  }
  y += 10;

  // total
  doc.rect(M, y, W, 44).lineWidth(0.8).strokeColor('#1f4e79').stroke();
  doc.fontSize(12).fillColor('black').text(`${t('本期应交电费', 'Amount due')}  ¥ ${money(b.amountTotal)}`, M + 10, y + 7, { width: W - 20 });
  doc.fontSize(10).text(pen.cjk ? `${t('大写金额', 'In words')}：${chineseAmount(b.amountTotal, 'amountTotal')}` : '', M + 10, y + 26, { width: W - 20 });
  y += 56;

  // payment
  doc.fontSize(11).text(t('交费方式', 'How to pay'), M, y);
  y += 16;
  doc.fontSize(8.5);
  const counter = pen.cjk ? `${b.hallZh ?? b.unitZh}（${b.companyZh}各营业厅）` : `${b.unitEn} service halls`;
  const channels = [
    `1. ${t('柜台交费', 'Counter')}: ${counter}${t('，现金、银行卡、扫码', ': cash, card, QR')}`,
    `2. ${t('银行代收/代扣', 'Bank')}: ${t('合作银行网点柜台或签约代扣，凭户号交费', 'partner bank branches or direct debit with the account number')}`,
    `3. ${t('网上交费', 'Online')}: ${t('客户自助门户、手机银行生活缴费，输入户号或下方缴费识别码', 'customer portal or mobile banking with the account number or the payment reference below')}`,
  ];
  for (const c of channels) {
    doc.text(c, M, y, { width: W });
    y += 13;
  }
  y += 4;
  const ref = paymentReference(b.accountNo, b.period, b.amountTotal);
  doc.rect(M, y, W, 30).lineWidth(0.5).dash(3, { space: 2 }).strokeColor('#555').stroke().undash();
  doc.fontSize(8).fillColor('#555').text(t('缴费识别码', 'Payment reference'), M + 8, y + 4);
  doc.fontSize(12).fillColor('black').text(ref, M + 8, y + 14, { width: W - 16, characterSpacing: 1 });
  y += 40;

  doc.fontSize(7.5).fillColor('#555').text(
    t(`请于交费截止日（${b.dueDate ?? '—'}）前交清电费，逾期将按规定自逾期之日起计收电费违约金。如对电量电费有疑问，请联系${b.unitZh}或拨打 95598。本通知单由 Voltline 电力营销业务系统生成。`,
      `Please pay by the due date (${b.dueDate ?? '-'}); a late-payment penalty accrues from the day after. Questions: ${b.unitEn} or 95598. Generated by Voltline.`),
    M, A4.h - M - 24, { width: W, height: 22, ellipsis: true },
  );
  doc.fillColor('black');
}

// ---------------------------------------------------------------------------------------------
// use cases

function isCustomerOnly(actor: Actor): boolean {
  return can(actor, 'portal.self') && !can(actor, 'account.read') && !can(actor, 'billing.review');
}

/**
 * One bill as PDF. Permission: billing.review or account.read with the bill's org unit in scope;
 * a customer (portal.self) gets the issued bills of their own accounts (actor.accountIds).
 */
export async function billPdf(db: Db, actor: Actor, billId: number): Promise<{ pdf: Buffer; font: 'cjk' | 'fallback'; filename: string; status: string; trial: boolean }> {
  const b = await db.kysely.selectFrom('bills as b').innerJoin('org_units as o', 'o.id', 'b.org_unit_id').select(['b.id', 'b.account_id', 'b.account_no', 'b.period', 'b.status', 'b.trial', 'o.path']).where('b.id', '=', billId).executeTakeFirst();
  if (isCustomerOnly(actor)) {
    if (!b) throw new AppError('NOT_FOUND', `bill ${billId} not found`);
    if (!actor.accountIds?.includes(b.account_id)) throw new AppError('OUT_OF_SCOPE', 'this bill is not on your account');
    if (b.trial || b.status !== 'issued') throw new AppError('NOT_FOUND', `bill ${billId} not found`);
  } else {
    if (!can(actor, 'billing.review')) requirePermission(actor, 'account.read');
    if (!b) throw new AppError('NOT_FOUND', `bill ${billId} not found`);
    requireScope(actor, b.path, 'bill');
  }
  const pii = can(actor, 'customer.pii');
  const [d] = await loadBillDocs(db.kysely, [billId], (accountId) => pii || (actor.accountIds?.includes(accountId) ?? false));
  const { doc, pen, font } = newBillDocument(`Bill ${d.accountNo} ${d.period}`, `account ${d.accountNo} period ${d.period} amount ${d.amountTotal} due ${d.dueDate ?? '-'} status ${d.trial ? 'trial' : d.status}`);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((res, rej) => {
    doc.on('end', () => res(Buffer.concat(chunks)));
    doc.on('error', rej);
  });
  doc.addPage();
  renderBillPage(pen, d);
  doc.end();
  return { pdf: await done, font, filename: `bill-${d.accountNo}-${d.period}${d.trial ? '-trial' : ''}.pdf`, status: d.status, trial: d.trial };
}

export interface RunPrint {
  runId: number;
  period: string;
  route: { id: number; code: string; name: string } | null;
  count: number;
  amountTotal: string;
  energyKwh: string;
  font: 'cjk' | 'fallback';
  filename: string;
  /** the PDF; pages are rendered while it is read (chunks of `chunkSize` bills) */
  stream: Readable;
}

/**
 * 批量打印: the issued bills of a run (optionally one reading route) in the actor's data scope, in
 * route code and walking order (抄表顺序 of the period's reading tasks, then 户号), after a cover
 * page (run, period, route, count, totals). Rendering is pulled by the reader: the next chunk of
 * bills is loaded and drawn only when the stream's buffer has room, so memory stays flat for
 * thousands of bills. Permission billing.run (or billing.review).
 */
export async function openRunPrint(db: Db, actor: Actor, runId: number, opts: { route?: string; chunkSize?: number } = {}): Promise<RunPrint> {
  if (!can(actor, 'billing.review')) requirePermission(actor, 'billing.run');
  const k = db.kysely;
  const run = await k.selectFrom('billing_runs').select(['id', 'period', 'trial', 'status']).where('id', '=', runId).executeTakeFirst();
  if (!run) throw new AppError('NOT_FOUND', `billing run ${runId} not found`);
  if (run.trial) throw new AppError('CONFLICT', `run ${runId} is a trial run (试算): nothing is issued, nothing to print`);
  let route: RunPrint['route'] = null;
  if (opts.route !== undefined) {
    const r = opts.route.trim();
    if (!r || r.length > 40) throw new AppError('VALIDATION_FAILED', 'route: a reading route code or id', { field: 'route' });
    const found = await k.selectFrom('reading_routes as r').innerJoin('org_units as o', 'o.id', 'r.org_unit_id').select(['r.id', 'r.code', 'r.name', 'o.path'])
      .where((eb) => (/^\d{1,15}$/.test(r) ? eb.or([eb('r.code', '=', r), eb('r.id', '=', Number(r))]) : eb('r.code', '=', r))).orderBy(sql`r.code = ${r}`, 'desc').executeTakeFirst();
    if (!found) throw new AppError('VALIDATION_FAILED', `route: no reading route ${r}`, { field: 'route' });
    requireScope(actor, found.path, 'route');
    route = { id: found.id, code: found.code, name: found.name };
  }
  const units = await actorUnits(db, actor);
  // ids only, in print order (a few bytes per bill); the documents are loaded chunk by chunk
  const { rows } = await sql<{ id: number; amount_total: string; energy_kwh: string }>`
    select b.id, b.amount_total, b.energy_kwh
    from bills b join accounts a on a.id = b.account_id left join reading_routes rr on rr.id = a.reading_route_id
    left join lateral (select min(t.sequence) as seq from reading_tasks t where t.account_id = b.account_id and t.billing_period = b.period) t on true
    where b.run_id = ${runId} and b.status = 'issued' and not b.trial
      ${route ? sql`and a.reading_route_id = ${route.id}` : sql``}
      ${units ? sql`and b.org_unit_id = any(${[...units]}::bigint[])` : sql``}
    order by rr.code nulls last, t.seq nulls last, b.account_no, b.id`.execute(k);
  let fen = 0n;
  let wh = 0n;
  for (const r of rows) {
    fen += BigInt(r.amount_total.replace('.', ''));
    const [i, f = ''] = r.energy_kwh.split('.');
    wh += BigInt(i + f.padEnd(2, '0').slice(0, 2));
  }
  const fmt = (v: bigint) => {
    const neg = v < 0n;
    const s = (neg ? -v : v).toString().padStart(3, '0');
    return `${neg ? '-' : ''}${s.slice(0, -2)}.${s.slice(-2)}`;
  };
  const amountTotal = fmt(fen);
  const energyKwh = fmt(wh).replace(/\.00$/, '');
  const ids = rows.map((r) => r.id);
  const pii = can(actor, 'customer.pii');
  const { doc, pen, font } = newBillDocument(`Bills run ${runId} ${run.period}${route ? ` route ${route.code}` : ''}`, `run ${runId} period ${run.period} bills ${ids.length} total ${amountTotal}`);

  // cover page
  doc.addPage();
  const t = pen.t;
  doc.fontSize(22).text(t('电费通知单 批量打印', 'Electricity bills — print batch'), M, 120, { width: W, align: 'center' });
  const printedAt = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
  const cover: Array<[string, string]> = [
    [t('核算批次', 'Billing run'), String(runId)],
    [t('电费年月', 'Billing period'), run.period],
    [t('抄表段', 'Reading route'), route ? (pen.cjk ? `${route.code} ${route.name}` : route.code) : t('全部', 'all')],
    [t('账单份数', 'Bills'), String(ids.length)],
    [t('电量合计', 'Energy total'), `${energyKwh} kWh`],
    [t('电费合计', 'Amount total'), `¥ ${money(amountTotal)}`],
    ...(pen.cjk ? [[t('大写金额', 'In words'), chineseAmount(amountTotal, 'amountTotal')] as [string, string]] : []),
    [t('排序', 'Order'), t('抄表段、抄表顺序、户号', 'route, walking order, account no.')],
    [t('打印时间', 'Printed at'), `${printedAt} (UTC+8)`],
    [t('打印人', 'Printed by'), pen.cjk ? actor.displayName || actor.username : actor.username],
  ];
  let y = 200;
  for (const [label, value] of cover) {
    doc.fontSize(12).fillColor('#555').text(label, M + 60, y, { width: 120 });
    doc.fillColor('black').text(value, M + 180, y, { width: W - 240 });
    y += 26;
  }
  if (ids.length === 0) doc.fontSize(12).fillColor('#d9363e').text(t('没有已发行的账单', 'No issued bills'), M + 60, y + 10).fillColor('black');

  const chunkSize = Math.max(1, Math.min(opts.chunkSize ?? 100, 1000));
  let next = 0;
  let busy = false;
  let ended = false;
  const out = new Readable({
    highWaterMark: 1 << 20,
    read() {
      if (!busy && !ended) void step();
    },
    destroy(err, cb) {
      ended = true;
      cb(err);
    },
  });
  doc.on('data', (c: Buffer) => {
    if (!out.destroyed) out.push(c);
  });
  doc.on('end', () => {
    if (!out.destroyed) out.push(null);
  });
  doc.on('error', (e: Error) => out.destroy(e));
  const showName = (accountId: number) => pii || (actor.accountIds?.includes(accountId) ?? false);
  async function step(): Promise<void> {
    busy = true;
    try {
      if (next >= ids.length) {
        ended = true;
        doc.end();
        return;
      }
      const slice = ids.slice(next, next + chunkSize);
      next += slice.length;
      const docs = await loadBillDocs(k, slice, showName);
      if (ended) return;
      for (const d of docs) {
        doc.addPage();
        renderBillPage(pen, d);
      }
      trimFontCaches(doc);
    } catch (e) {
      ended = true;
      out.destroy(e as Error);
      return;
    } finally {
      busy = false;
    }
    if (!ended && out.readableLength < out.readableHighWaterMark) void step();
  }
  return {
    runId, period: run.period, route, count: ids.length, amountTotal, energyKwh, font,
    filename: `bills-run${runId}-${run.period}${route ? `-${route.code}` : ''}.pdf`.replace(/[^A-Za-z0-9._-]/g, '_'),
    stream: out,
  };
}
