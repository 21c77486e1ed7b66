/** Calls of 抄表数据导入 (POST /readings/import, GET /readings/import-template; docs/metering.md). */
import { api, API_BASE, ApiError } from '../../api/client';
import type { RuleResult } from './reviewApi';

export interface ImportRow {
  row: number;
  register: string;
  status: 'accepted' | 'pending_review' | 'rejected';
  duplicate?: boolean;
  readingId?: number;
  accountId?: number;
  meterId?: number;
  /** present when the server reports them (xlsx imports); CSV rows are matched from the file */
  accountNo?: string;
  meterAssetNo?: string;
  readAt?: string;
  value?: string | null;
  consumption?: string | null;
  reason?: string;
  message?: { zh: string; en: string };
  ruleResults: RuleResult[];
}

export interface ImportSummary {
  rows: number;
  stored: number;
  accepted: number;
  pendingReview: number;
  rejected: number;
  duplicates: number;
}

export interface ImportResult {
  summary: ImportSummary;
  rows: ImportRow[];
  bulk?: string;
  storedRows?: number;
}

export const importApi = {
  csv: (csv: string, fileName: string) => api.post<ImportResult>('/readings/import', { csv, fileName }),
  xlsx: (xlsx: string, fileName: string) => api.post<ImportResult>('/readings/import', { xlsx, fileName }),
};

/** Downloads the import template (CSV, or Excel with format=xlsx); throws ApiError on failure. */
export async function downloadTemplate(format: 'csv' | 'xlsx'): Promise<void> {
  const res = await fetch(`${API_BASE}/readings/import-template${format === 'xlsx' ? '?format=xlsx' : ''}`, { credentials: 'same-origin' });
  if (!res.ok) {
    let body: { error?: { code?: string; message?: string; details?: Record<string, unknown> } } = {};
    try {
      body = await res.json();
    } catch {
      /* not json */
    }
    throw new ApiError(res.status, body.error?.code ?? `HTTP_${res.status}`, body.error?.message ?? res.statusText, body.error?.details);
  }
  const blob = await res.blob();
  const cd = res.headers.get('content-disposition') ?? '';
  const name = /filename="?([^";]+)"?/.exec(cd)?.[1] ?? `readings-template.${format}`;
  saveBlob(blob, name);
}

export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function toBase64(buf: ArrayBuffer): string {
  const bytes = new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/**
 * The accountNo / meterAssetNo of each physical CSV line (1 = header), parsed like the server
 * (RFC 4180, quoted fields may span lines), so the report can show them next to the row number.
 */
export function csvLineKeys(text: string): Map<number, { accountNo: string; meterAssetNo: string }> {
  const out = new Map<number, { accountNo: string; meterAssetNo: string }>();
  const s = text.replace(/^\uFEFF/, '');
  const rows: Array<{ line: number; fields: string[] }> = [];
  let i = 0;
  let line = 1;
  while (i < s.length) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    for (;;) {
      if (i >= s.length) {
        fields.push(field);
        break;
      }
      const c = s[i];
      if (quoted) {
        if (c === '"') {
          if (s[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          quoted = false;
          i++;
          continue;
        }
        if (c === '\n') line++;
        field += c;
        i++;
        continue;
      }
      if (c === '"' && field === '') {
        quoted = true;
        i++;
        continue;
      }
      if (c === ',') {
        fields.push(field);
        field = '';
        i++;
        continue;
      }
      if (c === '\r' || c === '\n') {
        fields.push(field);
        i += c === '\r' && s[i + 1] === '\n' ? 2 : 1;
        line++;
        break;
      }
      field += c;
      i++;
    }
    if (fields.length === 1 && fields[0].trim() === '') continue;
    rows.push({ line: start, fields });
  }
  if (!rows.length) return out;
  const header = rows[0].fields.map((h) => h.trim().toLowerCase());
  const ia = header.indexOf('accountno');
  const im = header.indexOf('meterassetno');
  for (const r of rows.slice(1)) out.set(r.line, { accountNo: ia >= 0 ? (r.fields[ia] ?? '').trim() : '', meterAssetNo: im >= 0 ? (r.fields[im] ?? '').trim() : '' });
  return out;
}

/** RFC 4180 field quoting for the exported report. */
export function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
