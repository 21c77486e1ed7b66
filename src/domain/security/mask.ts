/**
 * Masking of personal data (个人信息脱敏) for lists, logs and audit views.
 * @example maskPhone('13812345678') // '138****5678'
 * @example maskIdNumber('330102199001011234') // '330102********1234'
 * @example maskName('张三丰') // '张*丰'
 */
export function maskPhone(phone: string | null | undefined): string | null {
  if (!phone) return phone ?? null;
  if (phone.length < 7) return '*'.repeat(phone.length);
  return phone.slice(0, 3) + '*'.repeat(phone.length - 7) + phone.slice(-4);
}

export function maskIdNumber(id: string | null | undefined): string | null {
  if (!id) return id ?? null;
  if (id.length <= 8) return id.slice(0, 2) + '*'.repeat(Math.max(0, id.length - 2));
  return id.slice(0, 6) + '*'.repeat(id.length - 10) + id.slice(-4);
}

export function maskName(name: string | null | undefined): string | null {
  if (!name) return name ?? null;
  const chars = [...name];
  if (chars.length <= 1) return name;
  if (chars.length === 2) return chars[0] + '*';
  return chars[0] + '*'.repeat(chars.length - 2) + chars[chars.length - 1];
}

/** Fields that hold personal data; audit before/after and logs mask these. */
export const PII_FIELDS: Record<string, (v: string) => string | null> = {
  phone: maskPhone,
  idNumber: maskIdNumber,
  id_number: maskIdNumber,
};

export function maskPii<T>(obj: T): T {
  if (!obj || typeof obj !== 'object') return obj;
  if (Array.isArray(obj)) return obj.map(maskPii) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    const f = Object.hasOwn(PII_FIELDS, k) ? PII_FIELDS[k] : undefined;
    out[k] = f && typeof v === 'string' ? f(v) : v && typeof v === 'object' && !(v instanceof Date) ? maskPii(v) : v;
  }
  return out as T;
}
