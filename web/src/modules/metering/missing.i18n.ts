/**
 * Strings of the 漏抄监控 page (reading tasks overdue past the grace days without a reading).
 * `en` has the same keys as `zh`; the page follows the shell's language switch.
 */
import { useCallback } from 'react';
import { useI18n } from '../../i18n';

export const zhM = {
  'missing.group': '计量',
  'missing.title': '漏抄监控',
  'missing.subtitle': '抄表例日过后超过宽限天数仍无示数的抄表任务标记为漏抄；漏抄户在电费核算时进入异常清单。宽限天数见“校核规则”。',
  'missing.period': '电费年月',
  'missing.route': '抄表段',
  'missing.allRoutes': '全部抄表段',
  'missing.check': '立即检查',
  'missing.checking': '检查中…',
  'missing.checked': '检查完成（截至 {asOf}，宽限 {grace} 天）：漏抄 {missing} 户，新标记 {newly}，已解除 {cleared}',
  'missing.total': '共 {total} 条漏抄',
  'missing.none': '本期没有漏抄任务',
  'missing.account': '户号 / 户名',
  'missing.meter': '电能表',
  'missing.dueDate': '抄表例日',
  'missing.overdue': '超期天数',
  'missing.overdueDays': '{days} 天',
  'missing.flaggedAt': '标记时间',
  'missing.assigned': '抄表员',
  'missing.unassigned': '未分配',
  'missing.open': '查看户',
};

export type MKey = keyof typeof zhM;

export const enM: Record<MKey, string> = {
  'missing.group': 'Metering',
  'missing.title': 'Missing readings',
  'missing.subtitle': 'Reading tasks still without a reading more than the grace days after their reading day are flagged missing; billing puts those accounts on its exception list. The grace days are a validation rule.',
  'missing.period': 'Billing period',
  'missing.route': 'Reading route',
  'missing.allRoutes': 'All routes',
  'missing.check': 'Check now',
  'missing.checking': 'Checking…',
  'missing.checked': 'Checked (as of {asOf}, grace {grace} days): {missing} missing, {newly} newly flagged, {cleared} cleared',
  'missing.total': '{total} missing readings',
  'missing.none': 'No missing reading in this period',
  'missing.account': 'Account',
  'missing.meter': 'Meter',
  'missing.dueDate': 'Reading day',
  'missing.overdue': 'Overdue',
  'missing.overdueDays': '{days} days',
  'missing.flaggedAt': 'Flagged at',
  'missing.assigned': 'Reader',
  'missing.unassigned': 'Unassigned',
  'missing.open': 'Open account',
};

function format(template: string, vars?: Record<string, string | number>): string {
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

export type MT = (key: MKey, vars?: Record<string, string | number>) => string;

/** The page's translate function (follows the shell's language switch). */
export function useMissingT(): MT {
  const { lang } = useI18n();
  return useCallback((key: MKey, vars?: Record<string, string | number>) => format((lang === 'en' ? enM : zhM)[key] ?? key, vars), [lang]);
}
