/**
 * DL/T 645-2007 data identifiers (DI) -> name, unit and data format, from the tables in
 * ./di-tables (see PROVENANCE.md) plus the event and frozen-data records they lack.
 * DIs are written as 8 hex digits DI3 DI2 DI1 DI0, e.g. "00010000" 正向有功总电能; on the wire
 * they travel DI0 first.
 */
import energyTypes from './di-tables/energy_types.json' with { type: 'json' };
import demandTypes from './di-tables/demand_types.json' with { type: 'json' };
import variableTypes from './di-tables/variable_types.json' with { type: 'json' };
import parameterTypes from './di-tables/parameter_types.json' with { type: 'json' };
import { Dlt645EncodeError } from './errors.js';
import { concatBytes, fieldCodec, type Dlt645Value, type FieldCodec } from './formats.js';

export interface DiField {
  key?: string;
  codec: FieldCodec;
}

export interface DiDefinition {
  /** 8 upper-case hex digits, DI3 first */
  di: string;
  name: string;
  unit: string;
  fields: DiField[];
  /** data block (DI1 or DI0 = FF): the fields repeat; value is an array of items */
  block: boolean;
  /** bytes of one item (sum of the fields) */
  itemBytes: number;
}

interface NameUnit {
  Name: string;
  Unit: string;
}

/** "00 01 00 00", "0x00010000", "00010000" -> "00010000"; throws Dlt645EncodeError otherwise. */
export function normalizeDi(di: string | number): string {
  if (typeof di === 'number') {
    if (!Number.isInteger(di) || di < 0 || di > 0xffffffff) throw new Dlt645EncodeError('BAD_DI', `bad DI ${di}`);
    return di.toString(16).toUpperCase().padStart(8, '0');
  }
  const s = di.replace(/^0x/i, '').replace(/[\s_:-]/g, '').toUpperCase();
  if (!/^[0-9A-F]{8}$/.test(s)) throw new Dlt645EncodeError('BAD_DI', `a DI is 8 hex digits (DI3..DI0), got ${JSON.stringify(di)}`);
  return s;
}

const cleanUnit = (u: string | undefined) => (u ?? '').trim();

function def(di: string, name: string, unit: string, fields: DiField[], block = false): DiDefinition {
  return { di, name, unit, fields, block, itemBytes: fields.reduce((a, f) => a + f.codec.bytes, 0) };
}

const hex2 = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');
const settlementPrefix = (j: number) => (j === 0 ? '（当前）' : `（上${j}结算日）`);

// Upstream order of the special energy / demand DIs (600888/dlt645 energy_def.go, demand_def.go).
const ENERGY_SPECIAL: number[] = [
  0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x94, 0x95, 0x96, 0x97,
  0x98, 0x99, 0x9a, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0x3d,
  0x3e, 0x3f, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0xbc, 0xbd, 0xbe, 0xbf, 0xc0, 0xc1, 0xc2,
];
const DEMAND_SPECIAL: number[] = [
  0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x3d,
  0x3e, 0x3f, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46,
];

const energy = energyTypes as NameUnit[];
const demand = demandTypes as NameUnit[];

function energyDef(di: string, d2: number, d1: number, d0: number): DiDefinition | undefined {
  if (d0 > 0x0c) return undefined;
  // 组合有功 and 组合无功1/2 may be negative (sign in the top bit)
  const signed = d2 === 0 || d2 === 3 || d2 === 4;
  let entry: NameUnit | undefined;
  if (d2 <= 0x0a) {
    if (d1 === 0xff) {
      const total = energy[64 * d2];
      const name = `${settlementPrefix(d0)}${total.Name.replace('总电能', '')}电能数据块（总及费率1…63）`;
      return def(di, name, cleanUnit(total.Unit), [{ codec: fieldCodec('XXXXXX.XX', { signed }) }], true);
    }
    if (d1 <= 0x3f) entry = energy[64 * d2 + d1];
  } else if (d1 === 0) {
    const k = ENERGY_SPECIAL.indexOf(d2);
    if (k >= 0) entry = energy[64 * 11 + k];
  }
  if (!entry) return undefined;
  return def(di, settlementPrefix(d0) + entry.Name, cleanUnit(entry.Unit), [{ codec: fieldCodec('XXXXXX.XX', { signed }) }]);
}

function demandFields(signed: boolean): DiField[] {
  return [
    { key: 'demand', codec: fieldCodec('XX.XXXX', { signed }) },
    { key: 'time', codec: fieldCodec('YYMMDDhhmm') },
  ];
}

function demandDef(di: string, d2: number, d1: number, d0: number): DiDefinition | undefined {
  if (d0 > 0x0c) return undefined;
  const signed = d2 === 3 || d2 === 4;
  let entry: NameUnit | undefined;
  if (d2 >= 1 && d2 <= 0x0a) {
    if (d1 === 0xff) {
      const total = demand[64 * (d2 - 1)];
      const name = `${settlementPrefix(d0)}${total.Name.replace('总最大需量', '')}最大需量及发生时间数据块`;
      return def(di, name, cleanUnit(total.Unit), demandFields(signed), true);
    }
    if (d1 <= 0x3f) entry = demand[64 * (d2 - 1) + d1];
  } else if (d1 === 0) {
    const k = DEMAND_SPECIAL.indexOf(d2);
    if (k >= 0) entry = demand[64 * 10 + k];
  }
  if (!entry) return undefined;
  return def(di, `${settlementPrefix(d0)}${entry.Name}及发生时间`, cleanUnit(entry.Unit), demandFields(signed));
}

let tableMap: Map<string, DiDefinition> | undefined;

function isSignedVariable(di: string): boolean {
  return /^020[2-6]/.test(di) || /^028000(03|04|05|06)$/.test(di);
}

function variableUnit(di: string, unit: string): string {
  if (di.startsWith('0206')) return ''; // power factor (table says kW)
  if (di.startsWith('0207')) return '°'; // phase angle
  if (di === '02800004') return 'kW';
  return cleanUnit(unit);
}

function buildTableMap(): Map<string, DiDefinition> {
  const m = new Map<string, DiDefinition>();
  for (const v of variableTypes as { Di: string; Name: string; Unit: string; Dataformat: string }[]) {
    const di = v.Di.toUpperCase();
    const unit = variableUnit(di, v.Unit);
    m.set(di, def(di, v.Name, unit, [{ codec: fieldCodec(v.Dataformat, { signed: isSignedVariable(di), unit: unit || 'x' }) }]));
  }
  // phase blocks 02 0x FF 00 (A, B, C) for voltage, current, powers, power factor, angle
  for (const d2 of ['01', '02', '03', '04', '05', '06', '07']) {
    const member = m.get(`02${d2}0100`);
    if (member) {
      const di = `02${d2}FF00`;
      m.set(di, def(di, `${member.name.replace(/^瞬时/, '').replace('A相', '')}数据块`, member.unit, member.fields, true));
    }
  }
  const params = new Map<string, { Di: string; Name: string; DataFormat: string; Unit: string }[]>();
  for (const p of parameterTypes as { Di: string; Name: string; DataFormat: string; Unit: string }[]) {
    const di = p.Di.toUpperCase();
    params.set(di, [...(params.get(di) ?? []), p]);
  }
  for (const [di, rows] of params) {
    const ascii = /ASCII/.test(rows[0].Name);
    const fields = rows.map((r) => ({ codec: fieldCodec(r.DataFormat, { ascii, unit: cleanUnit(r.Unit) }) }));
    const unit = ascii ? '' : cleanUnit(rows[0].Unit);
    m.set(di, def(di, rows[0].Name, /^[年月日时分秒星期]+$/.test(unit) ? '' : unit, fields));
  }
  // Event records (DL/T 645-2007 §A.4; domain-cn §7.2): not in the upstream tables.
  m.set('03110000', def('03110000', '掉电总次数', '次', [{ codec: fieldCodec('XXXXXX') }]));
  for (let n = 1; n <= 10; n++) {
    const di = `031100${hex2(n)}`;
    m.set(
      di,
      def(di, `（上${n}次）掉电发生时刻及结束时刻`, '', [
        { key: 'start', codec: fieldCodec('YYMMDDhhmmss') },
        { key: 'end', codec: fieldCodec('YYMMDDhhmmss') },
      ]),
    );
  }
  m.set('03300D00', def('03300D00', '开表盖总次数', '次', [{ codec: fieldCodec('XXXXXX') }]));
  m.set('03300E00', def('03300E00', '开端钮盒总次数', '次', [{ codec: fieldCodec('XXXXXX') }]));
  // Daily frozen records (日冻结, 05 06 xx nn, n = 1..62 上n次)
  for (let n = 1; n <= 62; n++) {
    const t = `050600${hex2(n)}`;
    m.set(t, def(t, `（上${n}次）日冻结时间`, '', [{ codec: fieldCodec('YYMMDDhhmm') }]));
    const f = `050601${hex2(n)}`;
    m.set(f, def(f, `（上${n}次）日冻结正向有功电能数据（总及费率）`, 'kWh', [{ codec: fieldCodec('XXXXXX.XX') }], true));
    const r = `050602${hex2(n)}`;
    m.set(r, def(r, `（上${n}次）日冻结反向有功电能数据（总及费率）`, 'kWh', [{ codec: fieldCodec('XXXXXX.XX') }], true));
  }
  return m;
}

/** Definition of a DI, or undefined when the tables do not know it. */
export function lookupDi(di: string | number): DiDefinition | undefined {
  const s = normalizeDi(di);
  const d3 = parseInt(s.slice(0, 2), 16);
  const d2 = parseInt(s.slice(2, 4), 16);
  const d1 = parseInt(s.slice(4, 6), 16);
  const d0 = parseInt(s.slice(6, 8), 16);
  if (d3 === 0) return energyDef(s, d2, d1, d0);
  if (d3 === 1) return demandDef(s, d2, d1, d0);
  tableMap ??= buildTableMap();
  return tableMap.get(s);
}

/** Every DI defined by the tables (for property tests and the UI's DI picker). */
export function listDis(): string[] {
  tableMap ??= buildTableMap();
  const out: string[] = [];
  for (let d2 = 0; d2 <= 0x0a; d2++) for (let d1 = 0; d1 <= 0x3f; d1++) for (let d0 = 0; d0 <= 0x0c; d0++) out.push(`00${hex2(d2)}${hex2(d1)}${hex2(d0)}`);
  for (const d2 of ENERGY_SPECIAL) for (let d0 = 0; d0 <= 0x0c; d0++) out.push(`00${hex2(d2)}00${hex2(d0)}`);
  for (let d2 = 1; d2 <= 0x0a; d2++) for (let d1 = 0; d1 <= 0x3f; d1++) for (let d0 = 0; d0 <= 0x0c; d0++) out.push(`01${hex2(d2)}${hex2(d1)}${hex2(d0)}`);
  for (const d2 of DEMAND_SPECIAL) for (let d0 = 0; d0 <= 0x0c; d0++) out.push(`01${hex2(d2)}00${hex2(d0)}`);
  out.push(...tableMap.keys());
  return out;
}

/** Decode the value bytes of a DI (offset already removed). Throws Dlt645DecodeError. */
export function decodeFields(d: DiDefinition, data: Uint8Array): Dlt645Value {
  const one = (bytes: Uint8Array): Dlt645Value => {
    if (d.fields.length === 1 && !d.fields[0].key) return d.fields[0].codec.decode(bytes);
    const keyed = d.fields.every((f) => f.key);
    const obj: Record<string, Dlt645Value> = {};
    const arr: Dlt645Value[] = [];
    let off = 0;
    for (const f of d.fields) {
      const v = f.codec.decode(bytes.subarray(off, off + f.codec.bytes));
      off += f.codec.bytes;
      if (keyed) obj[f.key!] = v;
      else arr.push(v);
    }
    return keyed ? obj : arr;
  };
  if (d.block) {
    const items: Dlt645Value[] = [];
    for (let off = 0; off < data.length; off += d.itemBytes) items.push(one(data.subarray(off, off + d.itemBytes)));
    return items;
  }
  return one(data);
}

/** Encode a value for a DI (without the +0x33 offset). Throws Dlt645EncodeError. */
export function encodeFields(d: DiDefinition, value: Dlt645Value): Uint8Array {
  const one = (v: Dlt645Value): Uint8Array[] => {
    if (d.fields.length === 1 && !d.fields[0].key) return [d.fields[0].codec.encode(v)];
    const keyed = d.fields.every((f) => f.key);
    if (keyed) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Dlt645EncodeError('BAD_VALUE', `${d.di} needs an object with ${d.fields.map((f) => f.key).join(', ')}`);
      return d.fields.map((f) => f.codec.encode((v as Record<string, Dlt645Value>)[f.key!] ?? null));
    }
    if (!Array.isArray(v) || v.length !== d.fields.length) throw new Dlt645EncodeError('BAD_VALUE', `${d.di} needs an array of ${d.fields.length} values`);
    return d.fields.map((f, i) => f.codec.encode(v[i]));
  };
  let parts: Uint8Array[];
  if (d.block) {
    if (!Array.isArray(value) || value.length === 0) throw new Dlt645EncodeError('BAD_VALUE', `${d.di} is a data block: give a non-empty array`);
    parts = value.flatMap(one);
  } else parts = one(value);
  return concatBytes(...parts);
}
