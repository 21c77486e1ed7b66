/**
 * CSV import of readings (抄表数据导入): per-row report, good rows stored with one bulk COPY,
 * one audit event per import. Re-importing the same file stores nothing new (every row is then
 * reported as a duplicate).
 */
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { requirePermission, type Actor } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { writeXlsx, xlsxToCsvText } from '../../domain/formats/xlsx.js';
import { copyRows, insertRows, prepareRows, summarise, updateTasks, type RowInput, type RowOutcome } from './readings.js';

export const MAX_IMPORT_ROWS = 50_000;
export const CSV_COLUMNS = ['accountNo', 'meterAssetNo', 'register', 'readAt', 'value', 'exceptionCode'] as const;

export const IMPORT_TEMPLATE =
  '\uFEFF' +
  CSV_COLUMNS.join(',') + '\n' +
  '3310000001,,TOTAL,2026-11-25 09:30,5234.56,\n' +
  '3310000001,,PEAK,2026-11-25 09:30,1234.50,\n' +
  ',ZJ0000000002,TOTAL,2026-11-25T09:35:00+08:00,,DOOR_LOCKED\n';

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF. Returns rows of fields with their line numbers. */
export function parseCsv(text: string): Array<{ line: number; fields: string[]; error?: string }> {
  const out: Array<{ line: number; fields: string[]; error?: string }> = [];
  let i = 0, line = 1;
  const s = text.replace(/^\uFEFF/, '');
  while (i < s.length) {
    const start = line;
    const fields: string[] = [];
    let field = '', quoted = false, error: string | undefined;
    for (;;) {
      if (i >= s.length) { fields.push(field); break; }
      const c = s[i];
      if (quoted) {
        if (c === '"') {
          if (s[i + 1] === '"') { field += '"'; i += 2; continue; }
          quoted = false; i++;
          if (i < s.length && s[i] !== ',' && s[i] !== '\n' && s[i] !== '\r') error = 'text after a closing quote';
          continue;
        }
        if (c === '\n') line++;
        field += c; i++;
        continue;
      }
      if (c === '"' && field === '') { quoted = true; i++; continue; }
      if (c === ',') { fields.push(field); field = ''; i++; continue; }
      if (c === '\r' || c === '\n') {
        fields.push(field);
        i += c === '\r' && s[i + 1] === '\n' ? 2 : 1;
        line++;
        break;
      }
      field += c; i++;
    }
    if (quoted) error = 'unterminated quote';
    if (fields.length === 1 && fields[0].trim() === '') continue; // blank line
    out.push({ line: start, fields, ...(error ? { error } : {}) });
  }
  return out;
}

/** The import template as an Excel workbook (户号 and asset numbers as text so Excel keeps the digits). */
export function importTemplateXlsx(): Buffer {
  const rows = parseCsv(IMPORT_TEMPLATE).map((r) => r.fields);
  return writeXlsx([{ name: 'readings', rows, header: true, textColumns: [0, 1], widths: [16, 16, 10, 22, 12, 16] }]);
}

/**
 * Import readings from CSV text or an Excel workbook (`xlsx`: base64 of a .xlsx file; its first
 * sheet is read like the CSV, row n of the sheet is reported as row n).
 */
export async function importReadings(db: Db, actor: Actor, input: { csv?: string; xlsx?: string; fileName?: string }, now = new Date()) {
  requirePermission(actor, 'reading.write');
  if ((input.csv === undefined) === (input.xlsx === undefined)) throw new ValidationError(input.csv === undefined ? 'csv' : 'xlsx', 'send exactly one of csv (text) or xlsx (base64)');
  let csv: string;
  if (input.xlsx !== undefined) {
    if (typeof input.xlsx !== 'string' || !/^[A-Za-z0-9+/\r\n]+={0,2}\s*$/.test(input.xlsx)) throw new ValidationError('xlsx', 'must be the base64 of an .xlsx file');
    csv = xlsxToCsvText(Buffer.from(input.xlsx, 'base64'), { field: 'xlsx', dateColumns: ['readAt'], maxRows: MAX_IMPORT_ROWS + 1 });
  } else {
    csv = input.csv as string;
  }
  const field = input.xlsx !== undefined ? 'xlsx' : 'csv';
  if (typeof csv !== 'string' || !csv.trim()) throw new ValidationError(field, 'empty file');
  const parsed = parseCsv(csv);
  if (parsed.length < 2) throw new ValidationError(field, 'needs a header line and at least one row');
  if (parsed.length - 1 > MAX_IMPORT_ROWS) throw new AppError('PAYLOAD_TOO_LARGE', `at most ${MAX_IMPORT_ROWS} rows per import`, { field });
  const header = parsed[0].fields.map((h) => h.trim());
  const col = (name: string) => header.findIndex((h) => h.toLowerCase() === name.toLowerCase());
  const idx = Object.fromEntries(CSV_COLUMNS.map((c) => [c, col(c)])) as Record<(typeof CSV_COLUMNS)[number], number>;
  for (const c of ['register', 'readAt', 'value'] as const) if (idx[c] < 0) throw new ValidationError(field, `header must have the column ${c} (columns: ${CSV_COLUMNS.join(',')})`);
  if (idx.accountNo < 0 && idx.meterAssetNo < 0) throw new ValidationError(field, 'header must have accountNo or meterAssetNo');

  const report: RowOutcome[] = [];
  const rows: RowInput[] = [];
  for (const p of parsed.slice(1)) {
    const bad = (reason: string, zh: string, en: string) => report.push({ ref: p.line, register: '', status: 'rejected', reason, message: { zh, en }, ruleResults: [] });
    if (p.error) { bad('MALFORMED_ROW', `CSV 格式错误: ${p.error}`, `malformed CSV: ${p.error}`); continue; }
    if (p.fields.length !== header.length) { bad('MALFORMED_ROW', `列数 ${p.fields.length} 与表头 ${header.length} 不符`, `${p.fields.length} fields, the header has ${header.length}`); continue; }
    const get = (c: (typeof CSV_COLUMNS)[number]) => (idx[c] >= 0 ? p.fields[idx[c]].trim() : '');
    const accountNo = get('accountNo'), assetNo = get('meterAssetNo'), register = get('register').toUpperCase(), exc = get('exceptionCode').toUpperCase();
    if (!accountNo && !assetNo) { bad('MALFORMED_ROW', '户号和表计资产号都为空', 'accountNo and meterAssetNo are both empty'); continue; }
    if (accountNo && !/^\d{10,16}$/.test(accountNo)) { bad('UNKNOWN_METER', `户号格式错误 ${accountNo}`, `accountNo must be 10-16 digits: ${accountNo}`); continue; }
    if (!register) { bad('MALFORMED_ROW', '示数类型为空', 'register is empty'); continue; }
    rows.push({ ref: p.line, visit: `${accountNo}|${assetNo}`, accountNo: accountNo || undefined, meterAssetNo: assetNo || undefined, register, readAt: get('readAt'), value: get('value') || null, exceptionCode: exc || null });
  }

  const prep = await prepareRows(db.kysely, actor, rows, { source: 'import', scope: 'row', now });
  // One transaction: the COPY of the good rows, the task updates and the audit event commit
  // together. A concurrent writer's duplicate makes the COPY fail; then (back at the savepoint)
  // the rows go in with INSERT ... ON CONFLICT DO NOTHING instead (which reports the duplicate).
  let stored = 0;
  let copied = false;
  const result = await db.copyTx(async (trx, copy) => {
    if (prep.inserts.length) {
      await sql`savepoint import_copy`.execute(trx);
      try {
        // the ids are drawn ahead and carried by the COPY: every stored row's id is in the report
        stored = await copyRows(trx, copy, prep);
        copied = true;
        await sql`release savepoint import_copy`.execute(trx);
      } catch {
        await sql`rollback to savepoint import_copy`.execute(trx);
        copied = false;
      }
    }
    if (!copied && prep.inserts.length) {
      stored = await insertRows(trx, prep);
    }
    await updateTasks(trx, prep);
    report.push(...prep.outcomes);
    report.sort((a, b) => a.ref - b.ref);
    const summary = summarise(report);
    await writeAudit(trx, actor, { action: 'reading.import', entityType: 'reading_batch', entityId: null, after: { fileName: input.fileName ?? null, format: field, ...summary } });
    return { summary, rows: report.map(({ ref, ...o }) => ({ row: ref, ...o })) };
  });
  return { ...result, bulk: copied ? 'copy' : 'insert', storedRows: stored };
}
