import type { Lang } from '../i18n';

/** Display names of the built-in roles (the server's /roles list wins where available). */
const BUILTIN: Record<string, [string, string]> = {
  admin: ['系统管理员', 'Administrator'],
  administrator: ['系统管理员', 'Administrator'],
  clerk: ['营业员', 'Counter clerk'],
  counter_clerk: ['营业员', 'Counter clerk'],
  reader: ['抄表员', 'Meter reader'],
  meter_reader: ['抄表员', 'Meter reader'],
  checker: ['核算员', 'Billing checker'],
  billing_checker: ['核算员', 'Billing checker'],
  collector: ['收费员', 'Collector'],
  engineer: ['业扩工程师', 'Service engineer'],
  service_engineer: ['业扩工程师', 'Service engineer'],
  inspector: ['用电检查员', 'Inspector'],
  analyst: ['分析员', 'Analyst'],
  manager: ['供电所所长', 'Manager'],
  customer: ['客户', 'Customer'],
};

export function roleLabel(code: string, lang: Lang): string {
  const hit = BUILTIN[code] ?? BUILTIN[code.toLowerCase().replace(/-/g, '_')];
  if (!hit) return code;
  return lang === 'en' ? hit[1] : hit[0];
}
