/** Strings of the refunds page (退费管理). `en` has the same keys as `zh`. */
import { useCallback } from 'react';
import { useI18n } from '../../i18n';

const zh = {
  'rf.title': '退费管理',
  'rf.crumb': '收费管理',
  'rf.status': '状态',
  'rf.status.all': '全部',
  'rf.status.pending': '待支付',
  'rf.status.paid': '已支付',
  'rf.accountNo': '户号',
  'rf.accountName': '户名',
  'rf.search': '查询',
  'rf.amount': '退费金额',
  'rf.amountTotal': '合计 {n} 笔，金额',
  'rf.method': '退费方式',
  'rf.method.cash': '现金',
  'rf.method.transfer': '银行转账',
  'rf.method.original': '原路退回',
  'rf.payee': '收款人',
  'rf.payeeName': '收款人姓名',
  'rf.payeeBank': '开户银行',
  'rf.payeeAccount': '银行账号',
  'rf.payeePhone': '联系电话',
  'rf.origin': '来源',
  'rf.finalBill': '销户电费账单',
  'rf.reason': '退费原因',
  'rf.createdAt': '登记时间',
  'rf.paidAt': '支付时间',
  'rf.paidBy': '退付经办人',
  'rf.createdBy': '登记人',
  'rf.reference': '支付凭证号',
  'rf.referenceHint': '收据号或银行转账流水号',
  'rf.note': '备注',
  'rf.detail': '退费详情',
  'rf.markPaid': '已支付',
  'rf.markPaidTitle': '登记退费已支付',
  'rf.paidOk': '已登记支付',
  'rf.alreadyPaid': '该退费已支付，不能重复登记',
  'rf.required': '必填',
  'rf.create': '补办退费',
  'rf.createHint': '已销户账户的余额退费（如销户时终结账单在异常清单、之后才发行）。系统先用余额冲抵欠费，余下部分退费。',
  'rf.createOk': '已登记退费 {amount} 元',
  'rf.createNone': '无可退余额',
  'rf.submit': '提交',
  'rf.empty': '暂无退费',
  'rf.open': '详情',
};

const en: Record<keyof typeof zh, string> = {
  'rf.title': 'Refunds',
  'rf.crumb': 'Payments',
  'rf.status': 'Status',
  'rf.status.all': 'All',
  'rf.status.pending': 'Pending',
  'rf.status.paid': 'Paid',
  'rf.accountNo': 'Account no.',
  'rf.accountName': 'Account name',
  'rf.search': 'Search',
  'rf.amount': 'Refund amount',
  'rf.amountTotal': '{n} refunds, total',
  'rf.method': 'Method',
  'rf.method.cash': 'Cash',
  'rf.method.transfer': 'Bank transfer',
  'rf.method.original': 'Back to original channel',
  'rf.payee': 'Payee',
  'rf.payeeName': 'Payee name',
  'rf.payeeBank': 'Bank',
  'rf.payeeAccount': 'Bank account no.',
  'rf.payeePhone': 'Phone',
  'rf.origin': 'Origin',
  'rf.finalBill': 'Final bill',
  'rf.reason': 'Reason',
  'rf.createdAt': 'Created',
  'rf.paidAt': 'Paid at',
  'rf.paidBy': 'Paid out by',
  'rf.createdBy': 'Registered by',
  'rf.reference': 'Payout reference',
  'rf.referenceHint': 'Receipt no. or bank transfer reference',
  'rf.note': 'Note',
  'rf.detail': 'Refund',
  'rf.markPaid': 'Mark paid',
  'rf.markPaidTitle': 'Record the payout',
  'rf.paidOk': 'Recorded as paid',
  'rf.alreadyPaid': 'This refund is already paid; it cannot be paid twice',
  'rf.required': 'Required',
  'rf.create': 'Refund a closed account',
  'rf.createHint': 'Refund the credit of a closed account (e.g. its final bill was on the exception list and issued later). The credit first pays open receivables; the rest is refunded.',
  'rf.createOk': 'Refund of {amount} recorded',
  'rf.createNone': 'No credit to refund',
  'rf.submit': 'Submit',
  'rf.empty': 'No refunds',
  'rf.open': 'Details',
};

export type RKey = keyof typeof zh;

export function useRefundsT(): { t: (key: RKey, vars?: Record<string, string | number>) => string; tx: (prefix: string, code: string) => string; lang: string } {
  const { lang } = useI18n();
  const t = useCallback((key: RKey, vars?: Record<string, string | number>) => {
    const s = (lang === 'en' ? en : zh)[key] ?? key;
    return vars ? s.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m)) : s;
  }, [lang]);
  const tx = useCallback((prefix: string, code: string) => ((lang === 'en' ? en : zh) as Record<string, string>)[`${prefix}.${code}`] ?? code, [lang]);
  return { t, tx, lang };
}
