import { describe, expect, it } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import { crc32, readZip, writeZip, ZipError } from './zip.js';
import { excelNumberText, excelSerialToDateTime, isDateFormat, parseXml, rowsToCsv, writeXlsx, xlsxRows, xlsxToCsvText, dateTimeToExcelSerial } from './xlsx.js';

const reason = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof ZipError) return { reason: e.reason, field: e.details?.field, message: e.message };
    throw e;
  }
  throw new Error('did not throw');
};

const HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const CT = `${HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>`;
const RELS = `${HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`;

/** a workbook shaped like Excel/WPS output: shared strings (rich text, phonetic), styles with date formats, second sheet first in the zip */
function realWorldWorkbook(sheetXml: string, opts: { date1904?: boolean; extraSheets?: boolean } = {}) {
  const wb = `${HEAD}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
    `<workbookPr${opts.date1904 ? ' date1904="1"' : ''} defaultThemeVersion="124226"/><sheets><sheet name="抄表数据" sheetId="3" r:id="rId7"/><sheet name="说明" sheetId="1" r:id="rId1"/></sheets><calcPr calcId="191029"/></workbook>`;
  const wbRels = `${HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>' +
    '<Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet2.xml"/>' +
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>' +
    '<Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>';
  const sst = `${HEAD}<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="7" uniqueCount="7">` +
    '<si><t>accountNo</t></si><si><t>meterAssetNo</t></si><si><t>register</t></si><si><t>readAt</t></si><si><t>value</t></si>' +
    '<si><r><rPr><b/></rPr><t>TO</t></r><r><t xml:space="preserve">TAL</t></r><rPh sb="0" eb="1"><t>ignored</t></rPh></si>' +
    '<si><t>门闭 &amp; &lt;说明&gt; &#x4E2D;</t></si></sst>';
  const styles = `${HEAD}<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="2"><numFmt numFmtId="176" formatCode="yyyy/m/d\\ h:mm;@"/><numFmt numFmtId="177" formatCode="0.00_ ;[Red]\\-0.00\\ "/></numFmts>` +
    '<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="22" applyNumberFormat="1"/><xf numFmtId="176" applyNumberFormat="1"/><xf numFmtId="177" applyNumberFormat="1"/><xf numFmtId="49"/></cellXfs></styleSheet>';
  const other = `${HEAD}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>not this one</t></is></c></row></sheetData></worksheet>`;
  return writeZip([
    { name: '[Content_Types].xml', data: CT },
    { name: '_rels/.rels', data: RELS },
    { name: 'xl/workbook.xml', data: wb },
    { name: 'xl/_rels/workbook.xml.rels', data: wbRels },
    { name: 'xl/worksheets/sheet1.xml', data: other },
    { name: 'xl/worksheets/sheet2.xml', data: sheetXml },
    { name: 'xl/sharedStrings.xml', data: sst },
    { name: 'xl/styles.xml', data: styles, store: true },
  ]);
}

const sheet = (rows: string) => `${HEAD}<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:dimension ref="A1:F6"/><x:sheetData>${rows}</x:sheetData></x:worksheet>`;

describe('zip', () => {
  it('crc32 check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });
  it('round-trips stored and deflated entries with UTF-8 names', () => {
    const big = 'abc'.repeat(1000);
    const z = readZip(writeZip([{ name: 'a.txt', data: 'hello' }, { name: '目录/b.txt', data: big }]));
    expect(z.entries.map((e) => [e.name, e.method])).toEqual([['a.txt', 0], ['目录/b.txt', 8]]);
    expect(z.read('目录/b.txt')!.toString()).toBe(big);
    expect(z.read('nope')).toBeNull();
  });
});

describe('xlsx writer + reader', () => {
  it('round-trips text (Chinese, quotes, leading zeros, 16 digits), numbers, booleans, dates and empty cells', () => {
    const rows = [
      ['accountNo', 'meterAssetNo', 'register', 'readAt', 'value', 'exceptionCode'],
      ['3310000000000001', '', 'TOTAL', { date: '2026-11-25 09:30' }, 5234.56, null],
      ['0012', 'ZJ0000000002', '峰 "PEAK", <1>', '2026-11-25T09:35:00+08:00', '', 'DOOR_LOCKED'],
      [],
      ['x', true, false, 0.1 + 0.2, -12, ' 前后空格 '],
    ];
    const buf = writeXlsx([{ name: 'readings', rows, header: true, textColumns: [0, 1] }]);
    expect(xlsxRows(buf)).toEqual([
      ['accountNo', 'meterAssetNo', 'register', 'readAt', 'value', 'exceptionCode'],
      ['3310000000000001', '', 'TOTAL', '2026-11-25 09:30:00', '5234.56'],
      ['0012', 'ZJ0000000002', '峰 "PEAK", <1>', '2026-11-25T09:35:00+08:00', '', 'DOOR_LOCKED'],
      [],
      ['x', 'TRUE', 'FALSE', '0.3', '-12', ' 前后空格 '],
    ]);
    // CSV: Excel row n = CSV line n, rows padded to the header width
    expect(xlsxToCsvText(buf).split('\r\n')).toEqual([
      'accountNo,meterAssetNo,register,readAt,value,exceptionCode',
      '3310000000000001,,TOTAL,2026-11-25 09:30:00,5234.56,',
      '0012,ZJ0000000002,"峰 ""PEAK"", <1>",2026-11-25T09:35:00+08:00,,DOOR_LOCKED',
      '',
      'x,TRUE,FALSE,0.3,-12, 前后空格 ',
      '',
    ]);
  });

  it('writes the parts Excel requires, all well-formed and cross-referenced', () => {
    const buf = writeXlsx([{ name: '抄表模板', rows: [['a'], ['b']], header: true }, { name: 'Notes', rows: [['n']] }]);
    const z = readZip(buf);
    const names = z.entries.map((e) => e.name);
    expect(names[0]).toBe('[Content_Types].xml');
    expect(names).toEqual(expect.arrayContaining(['_rels/.rels', 'xl/workbook.xml', 'xl/_rels/workbook.xml.rels', 'xl/styles.xml', 'xl/worksheets/sheet1.xml', 'xl/worksheets/sheet2.xml']));
    for (const n of names) expect(() => parseXml(z.read(n)!.toString('utf8'))).not.toThrow();
    const ct = parseXml(z.read('[Content_Types].xml')!.toString()).children[0];
    const overrides = ct.children.filter((c) => c.name === 'Override').map((c) => c.attrs.PartName.slice(1));
    for (const o of overrides) expect(names).toContain(o);
    expect(overrides).toEqual(expect.arrayContaining(['xl/workbook.xml', 'xl/styles.xml', 'xl/worksheets/sheet1.xml', 'xl/worksheets/sheet2.xml']));
    const rels = parseXml(z.read('xl/_rels/workbook.xml.rels')!.toString()).children[0].children;
    for (const r of rels) expect(names).toContain('xl/' + r.attrs.Target);
    const wb = parseXml(z.read('xl/workbook.xml')!.toString()).children[0];
    const sheets = wb.children.find((c) => c.name === 'sheets')!.children;
    expect(sheets.map((s) => s.attrs.name)).toEqual(['抄表模板', 'Notes']);
    for (const s of sheets) expect(rels.map((r) => r.attrs.Id)).toContain(s.attrs['r:id']);
    // styles: cellXfs count matches, fills has the two required entries
    const st = parseXml(z.read('xl/styles.xml')!.toString()).children[0];
    const xfs = st.children.find((c) => c.name === 'cellXfs')!;
    expect(Number(xfs.attrs.count)).toBe(xfs.children.length);
    expect(st.children.find((c) => c.name === 'fills')!.children).toHaveLength(2);
    expect(xlsxRows(buf)).toEqual([['a'], ['b']]);
    expect(() => writeXlsx([{ name: 'a/b', rows: [] }])).toThrow(/sheet name/);
  });

  it('reads a real-world-shaped workbook: first sheet by workbook order, shared/rich/inline strings, date styles, sparse cells, formulas', () => {
    const rows =
      '<x:row r="1" spans="1:6"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="s"><x:v>1</x:v></x:c><x:c r="C1" t="s"><x:v>2</x:v></x:c><x:c r="D1" t="s"><x:v>3</x:v></x:c><x:c r="E1" t="s"><x:v>4</x:v></x:c><x:c r="F1" t="inlineStr"><x:is><x:t>exceptionCode</x:t></x:is></x:c></x:row>' +
      // number account no, rich-text TOTAL, builtin date-time style 22, formula with cached value in a 2-decimal style
      '<x:row r="2"><x:c r="A2"><x:v>3310000001</x:v></x:c><x:c r="C2" t="s"><x:v>5</x:v></x:c><x:c r="D2" s="1"><x:v>46351.395833333336</x:v></x:c><x:c r="E2" s="3"><x:f>5000+234.56</x:f><x:v>5234.5600000000004</x:v></x:c></x:row>' +
      // sparse: only A and C; then a string formula; custom date format; readAt as a plain number (no date style)
      '<x:row r="3"><x:c r="A3" t="str"><x:f>TEXT(3310000002,"0")</x:f><x:v>3310000002</x:v></x:c><x:c r="C3" t="inlineStr"><x:is><x:t>TOTAL</x:t></x:is></x:c><x:c r="D3" s="2"><x:v>46351.5</x:v></x:c><x:c r="E3"><x:v>17</x:v></x:c></x:row>' +
      '<x:row r="5"><x:c r="A5"><x:v>3310000003</x:v></x:c><x:c r="C5" t="inlineStr"><x:is><x:r><x:t>TO</x:t></x:r><x:r><x:t>TAL</x:t></x:r></x:is></x:c><x:c r="D5"><x:v>46351.25</x:v></x:c><x:c r="E5" s="0"/><x:c r="F5" t="s"><x:v>6</x:v></x:c></x:row>' +
      '<x:row r="6"><x:c r="A6" t="b"><x:v>1</x:v></x:c><x:c r="B6" t="e"><x:v>#N/A</x:v></x:c><x:c r="C6" t="d"><x:v>2026-11-25T09:30:00</x:v></x:c><x:c r="D6" s="4"><x:v>12</x:v></x:c></x:row>' +
      '<x:row r="7"><x:c r="A7" s="4"/></x:row>';
    const got = xlsxRows(realWorldWorkbook(sheet(rows)));
    expect(got).toEqual([
      ['accountNo', 'meterAssetNo', 'register', 'readAt', 'value', 'exceptionCode'],
      ['3310000001', '', 'TOTAL', '2026-11-25 09:30:00', '5234.56'],
      ['3310000002', '', 'TOTAL', '2026-11-25 12:00:00', '17'],
      [],
      ['3310000003', '', 'TOTAL', '2026-11-25 06:00:00', '', '门闭 & <说明> 中'],
      ['TRUE', '#N/A', '2026-11-25 09:30:00', '1900-01-12 00:00:00'],
    ]);
    // without readAt as a date column the plain number in D5 stays a number
    expect(xlsxRows(realWorldWorkbook(sheet(rows)), { dateColumns: [] })[4][3]).toBe('46351.25');
    // 1904 date system
    expect(xlsxRows(realWorldWorkbook(sheet(rows), { date1904: true }))[1][3]).toBe('2030-11-26 09:30:00');
  });

  it('refuses broken references inside the workbook', () => {
    expect(reason(() => xlsxRows(realWorldWorkbook(sheet('<x:row r="1"><x:c r="A1" t="s"><x:v>99</x:v></x:c></x:row>'))))).toMatchObject({ reason: 'CORRUPT', field: 'xlsx' });
    expect(reason(() => xlsxRows(realWorldWorkbook(sheet('<x:row r="2"><x:c r="A1"><x:v>1</x:v></x:c></x:row>'))))).toMatchObject({ reason: 'CORRUPT' });
    expect(reason(() => xlsxRows(realWorldWorkbook(sheet('<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:row>'))))).toMatchObject({ reason: 'CORRUPT' });
    expect(reason(() => xlsxRows(realWorldWorkbook(sheet('<!DOCTYPE x [<!ENTITY a "b">]><x:row/>'))))).toMatchObject({ reason: 'CORRUPT' });
    expect(reason(() => xlsxRows(writeZip([{ name: 'a.txt', data: 'x' }])))).toMatchObject({ reason: 'MISSING_PART', message: expect.stringMatching(/Content_Types/) });
    expect(reason(() => xlsxRows(writeZip([{ name: '[Content_Types].xml', data: CT }])))).toMatchObject({ reason: 'MISSING_PART', message: expect.stringMatching(/workbook\.xml/) });
  });
});

describe('xlsx: hostile and broken files', () => {
  const good = () => writeXlsx([{ name: 's', rows: [['a', 'b'], ['1', '2']] }]);

  it('not a zip: CSV text, empty, random bytes', () => {
    expect(reason(() => xlsxRows(Buffer.from('accountNo,register\n1,TOTAL\n')))).toMatchObject({ reason: 'NOT_ZIP', field: 'xlsx', message: expect.stringMatching(/not an \.xlsx/) });
    expect(reason(() => xlsxRows(Buffer.alloc(0)))).toMatchObject({ reason: 'NOT_ZIP' });
    expect(reason(() => xlsxRows(Buffer.from([0x50, 0x4b, 3, 4, 1, 2, 3])))).toMatchObject({ reason: 'NOT_ZIP' });
  });

  it('corrupt zip: truncated, flipped data byte (CRC), broken central directory', () => {
    const b = good();
    expect(reason(() => xlsxRows(b.subarray(0, b.length - 30)))).toMatchObject({ reason: 'CORRUPT' });
    // flip one byte inside each entry's data in turn: always refused (CRC or inflate error), never wrong rows
    const z = readZip(b);
    for (const e of z.entries) {
      const flipped = Buffer.from(b);
      const dataStart = e.localOffset + 30 + flipped.readUInt16LE(e.localOffset + 26);
      flipped[dataStart + Math.floor(e.compressedSize / 2)] ^= 0x55;
      expect(reason(() => xlsxRows(flipped)), e.name).toMatchObject({ reason: expect.stringMatching(/CORRUPT|TOO_LARGE/) });
    }
    const cd = Buffer.from(b);
    const eocd = cd.length - 22;
    cd.writeUInt32LE(cd.readUInt32LE(eocd + 16) + 3, eocd + 16);
    expect(reason(() => xlsxRows(cd))).toMatchObject({ reason: 'CORRUPT' });
  });

  it('zip bomb: an entry inflating beyond its declared size, a declared size over the cap, too many entries', () => {
    // 20 MiB of zeros deflate to ~20 KB; one deflated entry whose directory claims 100 bytes
    const comp = deflateRawSync(Buffer.alloc(20 * 1024 * 1024));
    const name = Buffer.from('[Content_Types].xml');
    const lh = Buffer.alloc(30); lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(20, 4); lh.writeUInt16LE(8, 8); lh.writeUInt32LE(comp.length, 18); lh.writeUInt32LE(100, 22); lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46); ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE(20, 4); ch.writeUInt16LE(20, 6); ch.writeUInt16LE(8, 10); ch.writeUInt32LE(comp.length, 20); ch.writeUInt32LE(100, 24); ch.writeUInt16LE(name.length, 28);
    const cdir = Buffer.concat([ch, name]);
    const end = Buffer.alloc(22); end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(1, 8); end.writeUInt16LE(1, 10); end.writeUInt32LE(cdir.length, 12); end.writeUInt32LE(30 + name.length + comp.length, 16);
    const bomb = Buffer.concat([lh, name, comp, cdir, end]);
    expect(reason(() => xlsxRows(bomb))).toMatchObject({ reason: 'TOO_LARGE', message: expect.stringMatching(/zip bomb|declared/) });
    // honest but too big: 60 MiB declared against the 50 MiB cap (refused before inflating)
    const big = writeZip([{ name: 'xl/workbook.xml', data: Buffer.alloc(60 * 1024 * 1024) }]);
    expect(reason(() => xlsxRows(big))).toMatchObject({ reason: 'TOO_LARGE' });
    const many = writeZip(Array.from({ length: 30 }, (_, i) => ({ name: `f${i}`, data: '' })));
    expect(reason(() => xlsxRows(many, { limits: { maxUncompressed: 1e6, maxEntries: 10 } }))).toMatchObject({ reason: 'TOO_MANY_ENTRIES' });
  });

  it('zip64, encrypted entries, password-protected (OLE2) workbooks and other methods are refused with a clear message', () => {
    const b = good();
    const z64 = Buffer.from(b);
    z64.writeUInt32LE(0xffffffff, z64.length - 22 + 16);
    expect(reason(() => xlsxRows(z64))).toMatchObject({ reason: 'ZIP64', message: expect.stringMatching(/ZIP64/) });
    const enc = Buffer.from(b);
    const cdOff = enc.readUInt32LE(enc.length - 22 + 16);
    enc.writeUInt16LE(enc.readUInt16LE(cdOff + 8) | 1, cdOff + 8);
    expect(reason(() => xlsxRows(enc))).toMatchObject({ reason: 'ENCRYPTED', message: expect.stringMatching(/password/) });
    const ole = Buffer.alloc(512); ole.writeUInt32BE(0xd0cf11e0, 0); ole.writeUInt32BE(0xa1b11ae1, 4);
    expect(reason(() => xlsxRows(ole))).toMatchObject({ reason: 'ENCRYPTED', message: expect.stringMatching(/password-protected|\.xls/) });
    const bz = Buffer.from(b);
    bz.writeUInt16LE(12, cdOff + 10);
    expect(reason(() => xlsxRows(bz))).toMatchObject({ reason: 'UNSUPPORTED' });
  });
});

describe('xlsx helpers', () => {
  it('Excel serial dates (1900 leap-year bug, times, rounding) and back', () => {
    expect(excelSerialToDateTime(1)).toBe('1900-01-01 00:00:00');
    expect(excelSerialToDateTime(59)).toBe('1900-02-28 00:00:00');
    expect(excelSerialToDateTime(61)).toBe('1900-03-01 00:00:00');
    expect(excelSerialToDateTime(45658)).toBe('2025-01-01 00:00:00');
    expect(excelSerialToDateTime(45658.99999999)).toBe('2025-01-02 00:00:00');
    expect(excelSerialToDateTime(0, true)).toBe('1904-01-01 00:00:00');
    expect(excelSerialToDateTime(dateTimeToExcelSerial('2026-11-25 09:30:15'))).toBe('2026-11-25 09:30:15');
  });
  it('date formats and number text', () => {
    for (const f of ['yyyy/m/d', 'yyyy-mm-dd hh:mm:ss', '[$-F800]dddd\\,\\ mmmm\\ dd\\,\\ yyyy', 'h:mm AM/PM', '[h]:mm:ss', 'yyyy"年"m"月"d"日"']) expect(isDateFormat(f), f).toBe(true);
    for (const f of ['General', '0.00', '#,##0.00_ ;[Red]\\-#,##0.00\\ ', '0%', '@', '"kWh"0.00']) expect(isDateFormat(f), f).toBe(false);
    expect(excelNumberText('5234.5600000000004')).toBe('5234.56');
    expect(excelNumberText('0.30000000000000004')).toBe('0.3');
    expect(excelNumberText('3310000001')).toBe('3310000001');
    expect(excelNumberText('1E-3')).toBe('0.001');
  });
  it('rowsToCsv quotes and pads', () => {
    expect(rowsToCsv([['a', 'b', 'c'], ['1'], [], ['x,y', 'q"']])).toBe('a,b,c\r\n1,,\r\n\r\nx,y,"q""",\r\n'.replace('x,y,', '"x,y",'));
  });
});
