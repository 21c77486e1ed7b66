/**
 * Small, strict .xlsx (Office Open XML spreadsheet) reader and writer, no dependencies.
 *
 * Reader (`xlsxRows`): the first worksheet as rows of strings. Shared strings (incl. rich text),
 * inline strings, numbers (15 significant digits, as Excel shows them), booleans (TRUE/FALSE),
 * errors (#N/A …), formulas (their cached value), ISO dates (t="d"). A number in a cell whose
 * style is a date/time format, or in a column whose header is one of `dateColumns` (default
 * readAt), becomes 'YYYY-MM-DD HH:mm:ss' (1900 and 1904 date systems). Row i of the result is
 * Excel row i+1 (empty rows are []), sparse cells are ''. Zip bombs, zip64, encryption and
 * corrupt archives are refused with a ZipError (ValidationError naming the field, default 'xlsx').
 *
 * Writer (`writeXlsx`): a minimal valid workbook ([Content_Types].xml, _rels/.rels,
 * xl/workbook.xml + rels, xl/styles.xml, one sheet per input, inline strings, bold header row,
 * optional text-formatted columns so Excel keeps 16-digit account numbers).
 *
 * Example: `xlsxRows(writeXlsx([{ name: 'readings', rows: [['a', 1]] }]))` -> [['a', '1']]
 */
import { readZip, writeZip, ZipError, DEFAULT_ZIP_LIMITS, type ZipLimits } from './zip.js';

export { ZipError } from './zip.js';

// ---- a minimal XML parser (elements, attributes, text; no DTD) ----------------------------------

export interface XmlNode {
  /** local name (namespace prefix dropped), e.g. 'c' for <x:c> */
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  /** text directly inside this element (entities decoded) */
  text: string;
}

const ENT: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  if (s.indexOf('&') < 0) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (m, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp >= 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    return ENT[e] ?? m;
  });
}

const localName = (q: string) => {
  const i = q.indexOf(':');
  return i < 0 ? q : q.slice(i + 1);
};

/** Parse an XML document into a tree; throws Error on malformed markup. */
export function parseXml(xml: string): XmlNode {
  const root: XmlNode = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlNode[] = [root];
  const attrRe = /([^\s=/>]+)\s*=\s*("([^"]*)"|'([^']*)')/g;
  let i = 0;
  const n = xml.length;
  while (i < n) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) {
      stack[stack.length - 1].text += decodeEntities(xml.slice(i));
      break;
    }
    if (lt > i) stack[stack.length - 1].text += decodeEntities(xml.slice(i, lt));
    if (xml.startsWith('<?', lt)) {
      const e = xml.indexOf('?>', lt);
      if (e < 0) throw new Error('unterminated processing instruction');
      i = e + 2;
    } else if (xml.startsWith('<!--', lt)) {
      const e = xml.indexOf('-->', lt);
      if (e < 0) throw new Error('unterminated comment');
      i = e + 3;
    } else if (xml.startsWith('<![CDATA[', lt)) {
      const e = xml.indexOf(']]>', lt);
      if (e < 0) throw new Error('unterminated CDATA');
      stack[stack.length - 1].text += xml.slice(lt + 9, e);
      i = e + 3;
    } else if (xml.startsWith('<!', lt)) {
      throw new Error('DTDs are not allowed');
    } else if (xml[lt + 1] === '/') {
      const e = xml.indexOf('>', lt);
      if (e < 0) throw new Error('unterminated end tag');
      const name = localName(xml.slice(lt + 2, e).trim());
      const top = stack.pop();
      if (!top || top.name !== name || stack.length === 0) throw new Error(`mismatched end tag </${name}>`);
      i = e + 1;
    } else {
      // find the tag end, skipping '>' inside quoted attribute values
      let e = lt + 1;
      let q = '';
      for (; e < n; e++) {
        const c = xml[e];
        if (q) { if (c === q) q = ''; } else if (c === '"' || c === "'") q = c; else if (c === '>') break;
      }
      if (e >= n) throw new Error('unterminated start tag');
      let body = xml.slice(lt + 1, e);
      const selfClosing = body.endsWith('/');
      if (selfClosing) body = body.slice(0, -1);
      const m = /^([^\s/>]+)/.exec(body);
      if (!m) throw new Error('bad start tag');
      const node: XmlNode = { name: localName(m[1]), attrs: {}, children: [], text: '' };
      attrRe.lastIndex = m[1].length;
      let a: RegExpExecArray | null;
      while ((a = attrRe.exec(body))) node.attrs[a[1]] = decodeEntities(a[3] ?? a[4] ?? '');
      stack[stack.length - 1].children.push(node);
      if (!selfClosing) stack.push(node);
      i = e + 1;
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed element <${stack[stack.length - 1].name}>`);
  return root;
}

const child = (n: XmlNode | undefined, name: string) => n?.children.find((c) => c.name === name);
const kids = (n: XmlNode | undefined, name: string) => (n ? n.children.filter((c) => c.name === name) : []);
/** attribute by local name (r:id and id both match 'id' only when asked with the prefix-less name and no exact hit) */
function attr(n: XmlNode, name: string): string | undefined {
  if (name in n.attrs) return n.attrs[name];
  for (const k of Object.keys(n.attrs)) if (localName(k) === name) return n.attrs[k];
  return undefined;
}

// ---- reader --------------------------------------------------------------------------------------

export interface XlsxReadOptions {
  /** header names (case-insensitive) whose numeric cells are Excel serial date-times */
  dateColumns?: string[];
  limits?: ZipLimits;
  /** the input field named in errors */
  field?: string;
  /** largest row number accepted (Excel's limit 1,048,576) */
  maxRows?: number;
}

const BUILTIN_DATE_FORMATS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58]);

/** true when an Excel number format code shows a date or time (y m d h s outside quotes/brackets) */
export function isDateFormat(code: string): boolean {
  const s = code.replace(/"[^"]*"/g, '').replace(/\\./g, '').replace(/\[(?!h\]|m\]|s\])[^\]]*\]/gi, '').replace(/_.|\*./g, '');
  if (/^general$/i.test(s.trim())) return false;
  return /[ymdhs]/i.test(s) && !/^[#0.,%E+\-\s?/]*$/.test(s);
}

/** Excel serial date-time -> 'YYYY-MM-DD HH:mm:ss' (1900 system with its 29 Feb 1900 bug, or 1904). */
export function excelSerialToDateTime(serial: number, date1904 = false): string {
  if (!Number.isFinite(serial) || serial < 0 || serial > 2_958_466) throw new Error(`not an Excel date: ${serial}`);
  let days = Math.floor(serial);
  let secs = Math.round((serial - days) * 86_400);
  if (secs >= 86_400) { days += 1; secs -= 86_400; }
  let ms: number;
  if (date1904) ms = Date.UTC(1904, 0, 1) + days * 86_400_000;
  else {
    // serial 1 = 1900-01-01; Excel counts a non-existent 1900-02-29 (serial 60)
    if (days === 60) days = 59;
    ms = Date.UTC(1899, 11, days >= 61 ? 30 : 31) + days * 86_400_000;
  }
  const d = new Date(ms + secs * 1000);
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/** number text as Excel shows it: at most 15 significant digits, no exponent for usual sizes */
export function excelNumberText(v: string): string {
  const t = v.trim();
  const n = Number(t);
  if (t === '' || !Number.isFinite(n)) return t;
  const digits = t.replace(/^-/, '').replace(/[eE].*$/, '').replace('.', '').replace(/^0+/, '');
  if (digits.length <= 15 && !/[eE]/.test(t)) return t;
  const p = Number(n.toPrecision(15));
  if (Math.abs(p) >= 1e21 || (Math.abs(p) < 1e-6 && p !== 0)) return String(p);
  // plain notation without float noise
  const s = p.toFixed(Math.max(0, 15 - Math.max(1, Math.floor(Math.log10(Math.abs(p) || 1)) + 1)));
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

function colIndex(ref: string): number {
  let c = 0;
  for (const ch of ref) {
    const k = ch.charCodeAt(0);
    if (k < 65 || k > 90) break;
    c = c * 26 + (k - 64);
  }
  return c - 1;
}

/** column letters for a 0-based index: 0 -> A, 27 -> AB */
export function colName(i: number): string {
  let s = '';
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

function resolveTarget(base: string, target: string): string {
  if (target.startsWith('/')) return target.slice(1);
  const parts = base.split('/').slice(0, -1);
  for (const seg of target.split('/')) {
    if (seg === '..') parts.pop();
    else if (seg !== '.' && seg !== '') parts.push(seg);
  }
  return parts.join('/');
}

/** Read the first worksheet of an .xlsx workbook as rows of strings. */
export function xlsxRows(input: Uint8Array, opts: XlsxReadOptions = {}): string[][] {
  const field = opts.field ?? 'xlsx';
  const zip = readZip(input, opts.limits ?? DEFAULT_ZIP_LIMITS, field);
  const xml = (name: string, required: boolean): XmlNode | null => {
    const b = zip.read(name);
    if (!b) {
      if (required) throw new ZipError('MISSING_PART', `not a spreadsheet: ${name} is missing`, field);
      return null;
    }
    try {
      return parseXml(b.toString('utf8').replace(/^\uFEFF/, ''));
    } catch (e) {
      throw new ZipError('CORRUPT', `damaged workbook: ${name}: ${(e as Error).message}`, field);
    }
  };
  // the package's content types are mandatory (OPC); a file without them is not a workbook
  xml('[Content_Types].xml', true);
  // workbook -> first sheet (rels), date system
  let wbPath = 'xl/workbook.xml';
  const rootRels = xml('_rels/.rels', false);
  const officeDoc = kids(child(rootRels ?? undefined, 'Relationships'), 'Relationship').find((r) => /officeDocument$/.test(r.attrs.Type ?? ''));
  if (officeDoc?.attrs.Target) wbPath = resolveTarget('', officeDoc.attrs.Target);
  const wb = child(xml(wbPath, true)!, 'workbook');
  if (!wb) throw new ZipError('CORRUPT', 'damaged workbook: no <workbook> element', field);
  const date1904 = ['1', 'true'].includes(child(wb, 'workbookPr')?.attrs.date1904 ?? '');
  const firstSheet = kids(child(wb, 'sheets'), 'sheet')[0];
  if (!firstSheet) throw new ZipError('MISSING_PART', 'the workbook has no worksheet', field);
  const relsPath = wbPath.replace(/[^/]*$/, (f) => `_rels/${f}.rels`);
  const rels = kids(child(xml(relsPath, false) ?? undefined, 'Relationships'), 'Relationship');
  const rid = attr(firstSheet, 'id') ?? '';
  const rel = rels.find((r) => r.attrs.Id === rid);
  let sheetPath = rel?.attrs.Target ? resolveTarget(wbPath, rel.attrs.Target) : 'xl/worksheets/sheet1.xml';
  if (!zip.has(sheetPath) && zip.has('xl/worksheets/sheet1.xml')) sheetPath = 'xl/worksheets/sheet1.xml';
  const relTarget = (type: RegExp, dflt: string) => {
    const r = rels.find((x) => type.test(x.attrs.Type ?? ''));
    return r?.attrs.Target ? resolveTarget(wbPath, r.attrs.Target) : dflt;
  };

  // shared strings: <si><t/></si> or rich text <si><r><t/></r>…</si> (phonetic <rPh> ignored)
  const sst = child(xml(relTarget(/sharedStrings$/, 'xl/sharedStrings.xml'), false) ?? undefined, 'sst');
  const shared = kids(sst, 'si').map(richText);

  // styles: cell style index -> is a date format
  const styles = child(xml(relTarget(/styles$/, 'xl/styles.xml'), false) ?? undefined, 'styleSheet');
  const custom = new Map(kids(child(styles, 'numFmts'), 'numFmt').map((f) => [Number(f.attrs.numFmtId), f.attrs.formatCode ?? '']));
  const dateStyle = kids(child(styles, 'cellXfs'), 'xf').map((xf) => {
    const id = Number(xf.attrs.numFmtId ?? 0);
    return custom.has(id) ? isDateFormat(custom.get(id)!) : BUILTIN_DATE_FORMATS.has(id);
  });

  const sheet = child(xml(sheetPath, true)!, 'worksheet');
  if (!sheet) throw new ZipError('CORRUPT', `damaged workbook: ${sheetPath} has no <worksheet>`, field);
  const maxRows = opts.maxRows ?? 1_048_576;
  const rows: string[][] = [];
  const numericDate: boolean[][] = [];
  let nextRow = 0;
  for (const r of kids(child(sheet, 'sheetData'), 'row')) {
    const ri = r.attrs.r ? Number(r.attrs.r) - 1 : nextRow;
    if (!Number.isInteger(ri) || ri < nextRow || ri >= maxRows) throw new ZipError('CORRUPT', `bad row number ${r.attrs.r ?? ri + 1} in ${sheetPath}`, field);
    nextRow = ri + 1;
    const cells: string[] = [];
    const isNum: boolean[] = [];
    let nextCol = 0;
    for (const c of kids(r, 'c')) {
      const ref = c.attrs.r;
      const ci = ref ? colIndex(ref) : nextCol;
      if (ci < nextCol || ci > 16_383) throw new ZipError('CORRUPT', `bad cell reference ${ref ?? ''} in row ${ri + 1}`, field);
      if (ref && Number(ref.replace(/^[A-Z]+/, '')) !== ri + 1) throw new ZipError('CORRUPT', `cell ${ref} is not in row ${ri + 1}`, field);
      nextCol = ci + 1;
      const t = c.attrs.t ?? 'n';
      const v = child(c, 'v')?.text;
      let out = '';
      let num = false;
      if (t === 's') {
        const k = Number(v);
        if (v === undefined || !Number.isInteger(k) || k < 0 || k >= shared.length) throw new ZipError('CORRUPT', `cell ${colName(ci)}${ri + 1}: shared string ${v} does not exist`, field);
        out = shared[k];
      } else if (t === 'inlineStr') out = child(c, 'is') ? richText(child(c, 'is')!) : (v ?? '');
      else if (t === 'str' || t === 'e') out = v ?? '';
      else if (t === 'b') out = v === undefined ? '' : v.trim() === '1' || v.trim().toLowerCase() === 'true' ? 'TRUE' : 'FALSE';
      else if (t === 'd') {
        const m = v ? /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2})(?::(\d{2}))?)?/.exec(v.trim()) : null;
        if (v && !m) throw new ZipError('CORRUPT', `cell ${colName(ci)}${ri + 1}: bad ISO date "${v}"`, field);
        out = m ? `${m[1]} ${m[2] ?? '00:00'}:${m[3] ?? '00'}` : '';
      }
      else if (t === 'n') {
        if (v !== undefined && v.trim() !== '') {
          if (!Number.isFinite(Number(v))) throw new ZipError('CORRUPT', `cell ${colName(ci)}${ri + 1}: not a number "${v}"`, field);
          const s = Number(c.attrs.s ?? 0);
          if (dateStyle[s]) out = excelSerialToDateTime(Number(v), date1904);
          else { out = excelNumberText(v); num = true; }
        }
      } else throw new ZipError('CORRUPT', `cell ${colName(ci)}${ri + 1}: unknown type ${t}`, field);
      while (cells.length < ci) { cells.push(''); isNum.push(false); }
      cells[ci] = out;
      isNum[ci] = num;
    }
    while (rows.length < ri) { rows.push([]); numericDate.push([]); }
    rows[ri] = cells;
    numericDate[ri] = isNum;
  }
  // trim trailing empty cells; numbers in date columns (by header) -> date-time text
  const header = (rows[0] ?? []).map((h) => h.trim().toLowerCase());
  const dateCols = new Set((opts.dateColumns ?? ['readAt']).map((d) => header.indexOf(d.toLowerCase())).filter((i) => i >= 0));
  rows.forEach((row, ri) => {
    if (ri > 0) for (const ci of dateCols) if (numericDate[ri]?.[ci] && row[ci] !== '') {
      const n = Number(row[ci]);
      if (n >= 1 && n < 2_958_466) row[ci] = excelSerialToDateTime(n, date1904);
    }
    while (row.length && row[row.length - 1] === '') row.pop();
  });
  while (rows.length && rows[rows.length - 1].length === 0) rows.pop();
  return rows;
}

function richText(n: XmlNode): string {
  // <t> directly, or runs <r><t/></r>; skip phonetic runs <rPh>
  let s = '';
  for (const c of n.children) {
    if (c.name === 't') s += c.text;
    else if (c.name === 'r') s += kids(c, 't').map((t) => t.text).join('');
  }
  return s;
}

/** CSV text (RFC 4180, CRLF) of `rows`; every row padded to the header's width; empty rows stay empty lines. */
export function rowsToCsv(rows: string[][]): string {
  const width = rows[0]?.length ?? 0;
  const q = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return rows.map((r) => (r.length === 0 ? '' : [...r, ...Array(Math.max(0, width - r.length)).fill('')].map(q).join(','))).join('\r\n') + '\r\n';
}

/** The first sheet as CSV text: Excel row n is CSV line n (so an import report's line numbers match Excel's). */
export function xlsxToCsvText(input: Uint8Array, opts: XlsxReadOptions = {}): string {
  return rowsToCsv(xlsxRows(input, opts));
}

// ---- writer --------------------------------------------------------------------------------------

export type CellValue = string | number | boolean | null | undefined | { date: string };

export interface SheetInput {
  /** sheet tab name (<= 31 chars, no []:*?/\) */
  name: string;
  rows: CellValue[][];
  /** the first row is a header: bold, frozen */
  header?: boolean;
  /** 0-based columns formatted as text (@) so Excel keeps long digit strings, e.g. account numbers */
  textColumns?: number[];
  /** column widths in characters */
  widths?: number[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
  // characters XML 1.0 cannot carry
  .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '');

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const NS_MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const NS_R = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const NS_PKG_REL = 'http://schemas.openxmlformats.org/package/2006/relationships';

/** 'YYYY-MM-DD[ HH:mm[:ss]]' -> Excel serial (1900 system) */
export function dateTimeToExcelSerial(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(s.trim());
  if (!m) throw new Error(`not a date-time: ${s}`);
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  return (ms - Date.UTC(1899, 11, 30)) / 86_400_000;
}

function sheetXml(s: SheetInput): string {
  const text = new Set(s.textColumns ?? []);
  const ncols = Math.max(0, ...s.rows.map((r) => r.length), ...(s.widths ? [s.widths.length] : []));
  const cols: string[] = [];
  for (let c = 0; c < ncols; c++) {
    const w = s.widths?.[c];
    if (w !== undefined || text.has(c)) cols.push(`<col min="${c + 1}" max="${c + 1}" width="${w ?? 12}" customWidth="1"${text.has(c) ? ' style="2"' : ''}/>`);
  }
  const rows = s.rows.map((r, ri) => {
    const cells = r.map((v, ci) => {
      const ref = `${colName(ci)}${ri + 1}`;
      const st = s.header && ri === 0 ? 1 : text.has(ci) ? 2 : 0;
      const sa = st ? ` s="${st}"` : '';
      if (v === null || v === undefined || v === '') return st ? `<c r="${ref}"${sa}/>` : '';
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) throw new Error(`cell ${ref}: not a finite number`);
        return `<c r="${ref}"${sa}><v>${v}</v></c>`;
      }
      if (typeof v === 'boolean') return `<c r="${ref}"${sa} t="b"><v>${v ? 1 : 0}</v></c>`;
      if (typeof v === 'object') return `<c r="${ref}" s="3"><v>${dateTimeToExcelSerial(v.date)}</v></c>`;
      const str = esc(String(v));
      const sp = /^\s|\s$|\n/.test(str) ? ' xml:space="preserve"' : '';
      return `<c r="${ref}"${sa} t="inlineStr"><is><t${sp}>${str}</t></is></c>`;
    }).join('');
    return `<row r="${ri + 1}">${cells}</row>`;
  }).join('');
  const last = s.rows.length ? `${colName(Math.max(0, ncols - 1))}${s.rows.length}` : 'A1';
  const pane = s.header && s.rows.length > 1 ? '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>' : '';
  return `${XML_HEAD}<worksheet xmlns="${NS_MAIN}" xmlns:r="${NS_R}"><dimension ref="A1:${last}"/>${pane}<sheetFormatPr defaultRowHeight="15"/>${cols.length ? `<cols>${cols.join('')}</cols>` : ''}<sheetData>${rows}</sheetData></worksheet>`;
}

const STYLES = `${XML_HEAD}<styleSheet xmlns="${NS_MAIN}">` +
  '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>' +
  '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>' +
  '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
  '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
  '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
  '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
  '<xf numFmtId="49" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyNumberFormat="1"/>' +
  '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
  '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>' +
  '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
  '</styleSheet>';

/** Build an .xlsx workbook (one worksheet per input, inline strings). */
export function writeXlsx(sheets: SheetInput[], opts: { mtime?: Date } = {}): Buffer {
  if (!sheets.length) throw new Error('a workbook needs at least one sheet');
  const names = new Set<string>();
  for (const s of sheets) {
    if (!s.name || s.name.length > 31 || /[[\]:*?/\\]/.test(s.name) || names.has(s.name.toLowerCase())) throw new Error(`bad or duplicate sheet name: ${s.name}`);
    names.add(s.name.toLowerCase());
  }
  const ct = `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
    '<Default Extension="xml" ContentType="application/xml"/>' +
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
    sheets.map((_, i) => `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`).join('') +
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
    '</Types>';
  const rootRels = `${XML_HEAD}<Relationships xmlns="${NS_PKG_REL}"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`;
  const workbook = `${XML_HEAD}<workbook xmlns="${NS_MAIN}" xmlns:r="${NS_R}"><bookViews><workbookView/></bookViews><sheets>` +
    sheets.map((s, i) => `<sheet name="${esc(s.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('') + '</sheets></workbook>';
  const wbRels = `${XML_HEAD}<Relationships xmlns="${NS_PKG_REL}">` +
    sheets.map((_, i) => `<Relationship Id="rId${i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`).join('') +
    `<Relationship Id="rId${sheets.length + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`;
  return writeZip([
    { name: '[Content_Types].xml', data: ct },
    { name: '_rels/.rels', data: rootRels },
    { name: 'xl/workbook.xml', data: workbook },
    { name: 'xl/_rels/workbook.xml.rels', data: wbRels },
    { name: 'xl/styles.xml', data: STYLES },
    ...sheets.map((s, i) => ({ name: `xl/worksheets/sheet${i + 1}.xml`, data: sheetXml(s) })),
  ], opts.mtime);
}

/** MIME type of .xlsx */
export const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
