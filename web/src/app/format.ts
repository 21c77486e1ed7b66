/**
 * Display formatting. Money arrives from the API as decimal strings (or numbers) and is only
 * formatted here — never computed — so no float arithmetic touches an amount.
 */

function groupThousands(intPart: string): string {
  return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `1234.5` / `"1234.5"` -> `¥1,234.50`; `-12` -> `-¥12.00`; empty -> `-`. */
export function formatMoney(value: string | number | null | undefined, currency = '¥'): string {
  if (value === null || value === undefined || value === '') return '-';
  let s = typeof value === 'number' ? String(value) : value.trim();
  if (/e/i.test(s) && typeof value === 'number') s = value.toFixed(2);
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m) return s;
  const sign = m[1] === '-' ? '-' : '';
  const intPart = (m[2] || '0').replace(/^0+(?=\d)/, '');
  let frac = m[3] ?? '';
  if (frac.length > 2) {
    // The API already rounds; a longer fraction is displayed truncated-with-rounding by string.
    const digits = (intPart + frac.slice(0, 2)).split('').map(Number);
    if (Number(frac[2]) >= 5) {
      let i = digits.length - 1;
      while (i >= 0) {
        if (digits[i] === 9) {
          digits[i] = 0;
          i--;
        } else {
          digits[i]++;
          break;
        }
      }
      if (i < 0) digits.unshift(1);
    }
    const all = digits.join('');
    return `${sign}${currency}${groupThousands(all.slice(0, -2) || '0')}.${all.slice(-2)}`;
  }
  frac = frac.padEnd(2, '0');
  return `${sign}${currency}${groupThousands(intPart)}.${frac}`;
}

/** Quantities (kWh, kVA) with thousands separators, decimals kept as given. */
export function formatQuantity(value: string | number | null | undefined, unit?: string): string {
  if (value === null || value === undefined || value === '') return '-';
  const s = String(value);
  const m = /^([+-]?)(\d+)(\.\d+)?$/.exec(s);
  const out = m ? `${m[1]}${groupThousands(m[2])}${m[3] ?? ''}` : s;
  return unit ? `${out} ${unit}` : out;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** ISO date/timestamp -> `YYYY-MM-DD` (in Asia/Shanghai for timestamps). */
export function formatDate(value: string | null | undefined): string {
  if (!value) return '-';
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  const cst = new Date(d.getTime() + 8 * 3600_000);
  return `${cst.getUTCFullYear()}-${pad(cst.getUTCMonth() + 1)}-${pad(cst.getUTCDate())}`;
}

/** ISO timestamp -> `YYYY-MM-DD HH:mm:ss` in Asia/Shanghai. */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return '-';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  const cst = new Date(d.getTime() + 8 * 3600_000);
  return `${formatDate(value)} ${pad(cst.getUTCHours())}:${pad(cst.getUTCMinutes())}:${pad(cst.getUTCSeconds())}`;
}

/** Today in Asia/Shanghai as YYYY-MM-DD. */
export function todayCst(): string {
  return formatDate(new Date().toISOString());
}
