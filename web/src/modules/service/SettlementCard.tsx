/**
 * 销户 (close) UI pieces used by RequestDetailPage: the extra fields of the 变更实施 stage form
 * (TOU final readings, refund payee, 客户柜台结清 payAtCounter), the conversion of that form to the
 * API's `form` object, API field errors placed under the field, the settlement card shown after
 * completion (final bill, credit applied, refund and its status, closing balance) and the SMS
 * status tag of a notification. docs/service-requests.md "销户 final settlement".
 */
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { Alert, Card, Checkbox, Descriptions, Form, Input, Select, Switch, Tag, Typography, type FormInstance } from 'antd';
import { ApiError } from '../../api/client';
import { api } from '../../api/client';
import { fieldMessage } from '../../components/errors';
import { Money } from '../../components/Money';
import { useI18n } from '../../i18n';

const zh = {
  'cl.finalReadings': '分时表：各时段拆表示数',
  'cl.tou': '分时表',
  'cl.SHARP': '尖', 'cl.PEAK': '峰', 'cl.FLAT': '平', 'cl.VALLEY': '谷',
  'cl.refund': '余额退费收款信息',
  'cl.method': '退费方式', 'cl.method.cash': '现金', 'cl.method.transfer': '银行转账', 'cl.method.original': '原路退回',
  'cl.payeeName': '收款人（默认户名）', 'cl.payeeBank': '开户银行', 'cl.payeeAccount': '银行账号', 'cl.payeePhone': '联系电话',
  'cl.payAtCounter': '客户柜台结清',
  'cl.payAtCounterHint': '终结电费后如有欠费，须勾选此项（客户到柜台缴清）才能完成销户；否则系统拒绝（409）。',
  'cl.settlement': '销户结算',
  'cl.status.done': '已结清', 'cl.status.pending': '待结算',
  'cl.finalBill': '终结电费', 'cl.period': '电费年月', 'cl.kwh': '电量 kWh', 'cl.pdf': '账单 PDF',
  'cl.creditApplied': '预收冲抵', 'cl.refundAmount': '退费金额', 'cl.refundStatus': '退费状态',
  'cl.refund.pending': '待支付', 'cl.refund.paid': '已支付', 'cl.balance': '结算后余额', 'cl.note': '说明',
  'cl.toRefunds': '退费管理',
  'sms.pending': '短信待发', 'sms.sending': '短信发送中', 'sms.queued': '短信待发', 'sms.sent': '短信已发', 'sms.failed': '短信失败',
};
const en: Record<keyof typeof zh, string> = {
  'cl.finalReadings': 'TOU meter: final readings per register',
  'cl.tou': 'TOU meter',
  'cl.SHARP': 'Sharp', 'cl.PEAK': 'Peak', 'cl.FLAT': 'Flat', 'cl.VALLEY': 'Valley',
  'cl.refund': 'Refund of the credit: payee',
  'cl.method': 'Refund method', 'cl.method.cash': 'Cash', 'cl.method.transfer': 'Bank transfer', 'cl.method.original': 'Back to original channel',
  'cl.payeeName': 'Payee (default: account name)', 'cl.payeeBank': 'Bank', 'cl.payeeAccount': 'Bank account no.', 'cl.payeePhone': 'Phone',
  'cl.payAtCounter': 'Customer settles at the counter',
  'cl.payAtCounterHint': 'If the account owes money after the final bill, tick this (the customer pays at the counter) to complete the closure; otherwise it is refused (409).',
  'cl.settlement': 'Closure settlement',
  'cl.status.done': 'Settled', 'cl.status.pending': 'Pending',
  'cl.finalBill': 'Final bill', 'cl.period': 'Period', 'cl.kwh': 'Energy kWh', 'cl.pdf': 'Bill PDF',
  'cl.creditApplied': 'Credit applied', 'cl.refundAmount': 'Refund', 'cl.refundStatus': 'Refund status',
  'cl.refund.pending': 'Pending', 'cl.refund.paid': 'Paid', 'cl.balance': 'Closing balance', 'cl.note': 'Note',
  'cl.toRefunds': 'Refunds',
  'sms.pending': 'SMS queued', 'sms.sending': 'SMS sending', 'sms.queued': 'SMS queued', 'sms.sent': 'SMS sent', 'sms.failed': 'SMS failed',
};
type CKey = keyof typeof zh;
function useCT() {
  const { lang } = useI18n();
  return useCallback((k: string) => ((lang === 'en' ? en : zh) as Record<string, string>)[k] ?? k, [lang]) as (k: CKey | string) => string;
}

const TOU = ['SHARP', 'PEAK', 'FLAT', 'VALLEY'] as const;

/** Extra fields of the 销户 变更实施 form (inside the page's Form). */
export function ClosingFields() {
  const ct = useCT();
  const [tou, setTou] = useState(false);
  const method = Form.useWatch(['refund', 'method']);
  return (
    <div data-testid="closing-fields">
      <Form.Item label={ct('cl.tou')} style={{ marginBottom: 8 }}>
        <Switch checked={tou} onChange={setTou} data-testid="field-tou" />
      </Form.Item>
      {tou && (
        <Form.Item label={ct('cl.finalReadings')} style={{ marginBottom: 8 }}>
          {TOU.map((r) => (
            <Form.Item key={r} name={['finalReadings', r]} style={{ marginBottom: 4 }}>
              <Input addonBefore={ct(`cl.${r}`)} inputMode="decimal" data-testid={`field-finalReadings-${r}`} />
            </Form.Item>
          ))}
        </Form.Item>
      )}
      <Typography.Text strong>{ct('cl.refund')}</Typography.Text>
      <Form.Item name={['refund', 'method']} label={ct('cl.method')} initialValue="cash" style={{ marginBottom: 8 }}>
        <Select options={['cash', 'transfer', 'original'].map((m) => ({ value: m, label: ct(`cl.method.${m}`) }))} data-testid="field-refund-method" />
      </Form.Item>
      <Form.Item name={['refund', 'payeeName']} label={ct('cl.payeeName')} style={{ marginBottom: 8 }}><Input maxLength={100} data-testid="field-refund-payeeName" /></Form.Item>
      {method === 'transfer' && (
        <>
          <Form.Item name={['refund', 'payeeBank']} label={ct('cl.payeeBank')} style={{ marginBottom: 8 }}><Input maxLength={100} data-testid="field-refund-payeeBank" /></Form.Item>
          <Form.Item name={['refund', 'payeeAccount']} label={ct('cl.payeeAccount')} style={{ marginBottom: 8 }}><Input maxLength={30} inputMode="numeric" data-testid="field-refund-payeeAccount" /></Form.Item>
        </>
      )}
      <Form.Item name={['refund', 'payeePhone']} label={ct('cl.payeePhone')} style={{ marginBottom: 8 }}><Input maxLength={20} data-testid="field-refund-payeePhone" /></Form.Item>
      <Form.Item name="payAtCounter" valuePropName="checked" extra={ct('cl.payAtCounterHint')} style={{ marginBottom: 8 }}>
        <Checkbox data-testid="field-payAtCounter">{ct('cl.payAtCounter')}</Checkbox>
      </Form.Item>
    </div>
  );
}

/** Clean the nested 销户 values for the API: drop empty TOU registers / payee fields; payAtCounter only when ticked. */
export function closingFormData(formData: Record<string, unknown>): Record<string, unknown> {
  const out = { ...formData };
  const clean = (o: unknown) => Object.fromEntries(Object.entries((o ?? {}) as Record<string, unknown>).filter(([, v]) => v !== undefined && v !== null && String(v).trim() !== '').map(([k, v]) => [k, typeof v === 'string' ? v.trim() : v]));
  if ('finalReadings' in out) {
    const f = clean(out.finalReadings);
    if (Object.keys(f).length) out.finalReadings = f;
    else delete out.finalReadings;
  }
  if ('refund' in out) out.refund = clean(out.refund);
  if (out.payAtCounter !== true) delete out.payAtCounter;
  return out;
}

/**
 * Put an API error naming a `data.…` field under that field of the form; true when placed. The
 * 409 of a debit after the final bill (field data.payAtCounter) is explained with its amounts.
 */
export function placeFieldError(form: FormInstance, e: unknown, lang = 'zh'): boolean {
  if (!(e instanceof ApiError) || !e.field?.startsWith('data.')) return false;
  let text = fieldMessage(e);
  const d = e.details as { arrears?: string; finalBillAmount?: string } | undefined;
  if (e.field === 'data.payAtCounter' && d?.arrears) {
    text = lang === 'en'
      ? `After the final bill (${d.finalBillAmount} yuan) the account owes ${d.arrears} yuan: tick "customer settles at the counter" to close it, the customer then pays at the counter.`
      : `终结电费 ${d.finalBillAmount} 元结算后仍欠费 ${d.arrears} 元：请勾选“客户柜台结清”后再通过（客户到柜台缴清）。`;
  }
  form.setFields([{ name: e.field.slice(5).split('.'), errors: [text] }]);
  return true;
}

interface Settlement {
  status: 'done' | 'pending';
  note?: string;
  finalBillId?: number;
  finalBill?: { period?: string; periodStart?: string; periodEnd?: string; kwh?: string | number; amount?: string; dueDate?: string };
  creditApplied?: string;
  refundAmount?: string;
  refundId?: number;
  balance?: string;
  payAtCounter?: boolean;
}

/** The settlement of a completed 销户 (effects[].summary.settlement), with the refund's live status. */
export function SettlementCard({ effects }: { effects: Array<{ effect: string; summary: Record<string, unknown> }> }) {
  const ct = useCT();
  const s = effects.find((e) => e.effect === 'close_account')?.summary?.settlement as Settlement | undefined;
  const [refundStatus, setRefundStatus] = useState<string | null>(null);
  useEffect(() => {
    if (!s?.refundId) return;
    api.get<{ status: string }>(`/payments/refunds/${s.refundId}`).then((r) => setRefundStatus(r.status)).catch(() => setRefundStatus(null));
  }, [s?.refundId]);
  if (!s || typeof s !== 'object') return null;
  return (
    <Card size="small" title={ct('cl.settlement')} style={{ marginBottom: 12 }} data-testid="req-settlement">
      <Descriptions size="small" column={1}>
        <Descriptions.Item label={ct('cl.settlement')}><Tag color={s.status === 'done' ? 'green' : 'gold'} data-testid="settlement-status">{ct(`cl.status.${s.status}`)}</Tag></Descriptions.Item>
        {s.finalBill && (
          <Descriptions.Item label={ct('cl.finalBill')}>
            <span data-testid="settlement-bill"><Money value={s.finalBill.amount} /></span>
            {s.finalBill.period && <Typography.Text type="secondary"> · {s.finalBill.period}{s.finalBill.periodStart ? ` (${s.finalBill.periodStart} ~ ${s.finalBill.periodEnd})` : ''}{s.finalBill.kwh !== undefined ? ` · ${s.finalBill.kwh} kWh` : ''}</Typography.Text>}
            {s.finalBillId && <> · <a href={`/api/v1/bills/${s.finalBillId}/pdf`} target="_blank" rel="noreferrer" data-testid="settlement-bill-link">{ct('cl.pdf')}</a></>}
          </Descriptions.Item>
        )}
        {s.creditApplied !== undefined && <Descriptions.Item label={ct('cl.creditApplied')}><Money value={s.creditApplied} /></Descriptions.Item>}
        {s.refundAmount !== undefined && (
          <Descriptions.Item label={ct('cl.refundAmount')}>
            <span data-testid="settlement-refund"><Money value={s.refundAmount} /></span>
            {s.refundId && (
              <> {refundStatus && <Tag color={refundStatus === 'paid' ? 'green' : 'gold'} data-testid="settlement-refund-status">{ct(`cl.refund.${refundStatus}`)}</Tag>}
                <Link to="/payments/refunds">{ct('cl.toRefunds')}</Link></>
            )}
          </Descriptions.Item>
        )}
        {s.balance !== undefined && <Descriptions.Item label={ct('cl.balance')}><span data-testid="settlement-balance"><Money value={s.balance} /></span></Descriptions.Item>}
        {s.payAtCounter && <Descriptions.Item label={ct('cl.payAtCounter')}><Tag color="orange">✓</Tag></Descriptions.Item>}
      </Descriptions>
      {s.note && s.status === 'pending' && <Alert type="warning" showIcon message={s.note} style={{ marginTop: 8 }} />}
    </Card>
  );
}

const SMS_COLOR: Record<string, string> = { pending: 'default', sending: 'blue', queued: 'default', sent: 'green', failed: 'red' };
/** Small tag with a notification's SMS status (outbox: pending = queued / sending / sent / failed); nothing without SMS. */
export function SmsTag({ n }: { n: unknown }) {
  const ct = useCT();
  const sms = (n as { sms?: { status?: string } | null }).sms;
  if (!sms?.status) return null;
  return <Tag color={SMS_COLOR[sms.status] ?? 'default'} data-testid="sms-status">{ct(`sms.${sms.status}`)}</Tag>;
}
