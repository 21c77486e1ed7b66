/**
 * encodeBills writes bills and lines as COPY text bytes directly; the text must equal the rows of
 * BILL_COLS / LINE_COLS encoded field by field with copyField (the generic COPY path), including
 * free text that needs escaping (exception messages, warnings, names) and nulls.
 */
import { describe, expect, it } from 'vitest';
import { encodeBills, BILL_COLS, LINE_COLS } from './run.js';
import { copyField } from '../../db/database.js';
import { storedDeterminants } from '../../domain/billing/determinants.js';
import type { BillDraft } from '../../domain/billing/bill-account.js';

const line = (code: string, zh: string, segment?: number) => ({ code, name: { zh, en: `${code} en` }, quantity: '96.00', unit: 'kWh', unitPrice: '0.568000', amount: '54.53', rule: `rule \\ of ${code}`, ...(segment ? { segment } : {}) });

function draft(i: number, extra: Partial<BillDraft> = {}): BillDraft {
  return {
    accountId: i, status: 'calculated', exceptionCode: null, flags: [], kwh: 187, amount: '80.74',
    lines: [line('ENERGY_PEAK', '高峰电费'), line('ENERGY_VALLEY', '低谷\t电费', 2)],
    det: { periodStart: '2026-10-01', periodEnd: '2026-10-31', days: 31, kwh: 187, tou: { PEAK: 96, VALLEY: 91 }, readingIds: [1, 2], currentReadAt: new Date('2026-10-31T02:00:00Z'), householdSize: 4 } as never,
    tariffCodes: ['ZJ-RES-1H1B-LT1KV'], tariffRefs: [{ tariffCode: 'ZJ-RES-1H1B-LT1KV', version: '2012-07', from: '2026-10-01', to: '2026-10-31', days: 31, kwh: '187' }], warnings: [],
    ...extra,
  };
}

describe('encodeBills', () => {
  it('equals the generic field-by-field COPY text, with escaping and nulls', () => {
    const run = { id: 7, period: '2026-10', trial: true };
    const drafts = [
      { a: { id: 1, account_no: '3310000001', org_unit_id: 3, customer_class: 'residential' }, d: draft(1) },
      { a: { id: 2, account_no: '33\\1', org_unit_id: 3, customer_class: 'residential' }, d: draft(2, { status: 'review', exceptionCode: 'MISSING_READING', exceptionMessage: 'no "reading"\nfor\t2026-10 \\ 无读数', lines: [], det: {}, tariffCodes: [], tariffRefs: [], kwh: 0, amount: '0.00' } as never) },
      { a: { id: 3, account_no: '3310000003', org_unit_id: 4, customer_class: 'large_industrial' }, d: draft(3, { flags: ['AMOUNT_SPIKE', 'FIRST BILL'], warnings: ['tab\there', '中文 "q"'], amount: '-12.30', kwh: 12.5 }) },
    ];
    const ids = [{ id: 101 }, { id: 102 }, { id: 103 }];
    const enc = encodeBills(run, drafts, ids);
    const pgArray = (a: string[]) => (a.length ? `{${a.map((s) => (/^[A-Za-z0-9_.:-]+$/.test(s) ? s : `"${s}"`)).join(',')}}` : '{}');
    const billRows = drafts.map(({ a, d }, i) => [
      ids[i].id, a.id, run.id, run.period, run.trial ? 't' : 'f', d.status, a.org_unit_id, a.account_no, a.customer_class, pgArray(d.tariffCodes), JSON.stringify(d.tariffRefs),
      d.det.periodStart ?? null, d.det.periodEnd ?? null, d.det.days ?? null, d.kwh, d.amount, JSON.stringify(storedDeterminants(d.det, d.exceptionMessage)), pgArray(d.flags), d.exceptionCode,
      d.warnings.length ? JSON.stringify(d.warnings) : '[]',
    ]);
    const lineRows = drafts.flatMap(({ a, d }, i) => d.lines.map((l, n) => [a.id, ids[i].id, n + 1, l.code, l.name.zh, l.name.en, l.quantity, l.unit, l.unitPrice, l.amount, l.segment ?? null, l.rule]));
    expect(billRows[0]).toHaveLength(BILL_COLS.length);
    expect(lineRows[0]).toHaveLength(LINE_COLS.length);
    const text = (rows: unknown[][]) => rows.map((r) => r.map(copyField).join('\t') + '\n').join('');
    const got = (c: { text: Array<string | Uint8Array> }) => Buffer.concat(c.text.map((x) => (typeof x === 'string' ? Buffer.from(x) : x))).toString('utf8');
    expect(got(enc.bills)).toBe(text(billRows));
    expect(got(enc.lines)).toBe(text(lineRows));
    expect(enc.bills.rows).toBe(3);
    expect(enc.lines.rows).toBe(4);
    expect(enc.stats).toEqual({ exceptions: 1, flagged: 1, kwhCenti: 18700 + 1250, fen: 8074 - 1230 });
  });
});
