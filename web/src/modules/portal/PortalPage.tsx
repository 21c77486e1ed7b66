/**
 * 客户自助 home (/portal), made for a phone 375 px wide: the customer's accounts (switch when
 * there are several) with the amount due today, due date, overdue days and late fee; 立即缴费;
 * tabs 账单 (issued bills → the bill page), 用电量 (12 months vs last year), 缴费记录 (receipts).
 */
import { useCallback, useEffect, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { Alert, Button, Card, Empty, Flex, List, Segmented, Skeleton, Tabs, Tag, Typography } from 'antd';
import { FilePdfOutlined, RightOutlined } from '@ant-design/icons';
import { PageContainer } from '../../components/PageContainer';
import { errorText } from '../../components/errors';
import { formatMoney } from '../../app/format';
import { useI18n } from '../../i18n';
import { portalApi, type MyAccount, type MyAccounts, type PortalBill, type PortalPayment } from './api';
import { usePT, type PKey } from './i18n';
import { kwh, UsageChart } from './UsageChart';

const mono = { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace' };

export function DueCard({ a, onPay }: { a: MyAccount; onPay?: () => void }) {
  const { t } = usePT();
  const due = a.amountDue !== '0.00';
  return (
    <Card size="small" style={{ marginBottom: 12 }} data-testid="portal-due-card">
      <Flex justify="space-between" align="flex-start" wrap gap={8}>
        <div style={{ minWidth: 0 }}>
          <Typography.Text copyable style={mono} data-testid="portal-account-no">{a.accountNo}</Typography.Text>
          <div><Typography.Text type="secondary" style={{ fontSize: 12, wordBreak: 'break-all' }}>{a.name}{a.address ? ` · ${a.address}` : ''}</Typography.Text></div>
        </div>
        {a.overdue ? <Tag color="red" data-testid="portal-overdue">{t('portal.overdue', { n: a.overdueDays })}</Tag> : due ? <Tag color="blue">{t('portal.notOverdue')}</Tag> : <Tag color="green">{t('portal.nothingDue')}</Tag>}
      </Flex>
      <div style={{ marginTop: 12 }}>
        <Typography.Text type="secondary">{t('portal.amountDue')}</Typography.Text>
        <div style={{ fontSize: 30, fontWeight: 600, fontVariantNumeric: 'tabular-nums', color: a.overdue ? '#cf1322' : undefined }} data-testid="portal-amount-due">{formatMoney(a.amountDue)}</div>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('portal.asOf', { d: a.asOf })}</Typography.Text>
      </div>
      <Flex wrap gap={16} style={{ marginTop: 8 }}>
        <div><Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('portal.dueDate')}</Typography.Text><div data-testid="portal-due-date">{a.dueDate ?? '-'}</div></div>
        <div><Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('portal.lateFee')}</Typography.Text><div data-testid="portal-late-fee">{formatMoney(a.lateFee)}</div></div>
        <div><Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('portal.balance')}</Typography.Text><div data-testid="portal-balance">{formatMoney(a.balance)}</div></div>
        {a.credit !== '0.00' && <div><Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('portal.credit')}</Typography.Text><div>{formatMoney(a.credit)}</div></div>}
      </Flex>
      {a.items.length > 0 && (
        <div style={{ marginTop: 8 }}>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('portal.openItems')}</Typography.Text>
          {a.items.map((i) => (
            <Flex key={i.receivableId} justify="space-between" style={{ fontSize: 13 }} data-testid="portal-open-item">
              <span>{i.period} · {i.dueDate}{i.overdueDays > 0 ? <Tag color="red" style={{ marginLeft: 4 }}>{i.overdueDays}d</Tag> : null}</span>
              <span style={{ fontVariantNumeric: 'tabular-nums' }}>{formatMoney(i.outstanding)}</span>
            </Flex>
          ))}
        </div>
      )}
      {onPay && (
        <Button type={due ? 'primary' : 'default'} size="large" block style={{ marginTop: 12 }} onClick={onPay} data-testid="portal-pay-now">{t('portal.payNow')}</Button>
      )}
    </Card>
  );
}

function BillsTab({ accountId }: { accountId: number }) {
  const { t } = usePT();
  const shell = useI18n();
  const nav = useNavigate();
  const [items, setItems] = useState<PortalBill[] | null>(null);
  const [err, setErr] = useState<string | null>(null);
  useEffect(() => {
    setItems(null);
    portalApi.bills(accountId).then((r) => setItems(r.items)).catch((e) => setErr(errorText(shell.t, e)));
  }, [accountId, shell.t]);
  if (err) return <Alert type="error" showIcon title={err} />;
  return (
    <List
      loading={items === null} dataSource={items ?? []} locale={{ emptyText: <Empty description={t('bills.empty')} /> }} data-testid="portal-bills"
      renderItem={(b) => (
        <List.Item key={b.id} style={{ padding: '4px 0' }}>
          <Card size="small" hoverable style={{ width: '100%' }} onClick={() => nav(`/portal/bills/${b.id}`)} data-testid="portal-bill">
            <Flex justify="space-between" align="center" gap={8}>
              <div style={{ minWidth: 0 }}>
                <Typography.Text strong data-testid="portal-bill-period">{b.period}</Typography.Text>
                <div><Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('bills.kwh')} {kwh(b.energyKwh)} kWh · {t('bill.dueDate')} {b.dueDate ?? '-'}</Typography.Text></div>
              </div>
              <Flex align="center" gap={6}>
                <span style={{ fontWeight: 600, fontVariantNumeric: 'tabular-nums', whiteSpace: 'nowrap' }}>{formatMoney(b.amountTotal)}</span>
                <a href={`/api/v1/bills/${b.id}/pdf`} target="_blank" rel="noreferrer" onClick={(e) => e.stopPropagation()} aria-label={t('bill.pdf')} title={t('bill.pdf')}><FilePdfOutlined /></a>
                <RightOutlined style={{ color: '#999' }} />
              </Flex>
            </Flex>
          </Card>
        </List.Item>
      )}
    />
  );
}

export function PaymentsList({ accountId, reloadKey = 0 }: { accountId: number; reloadKey?: number }) {
  const { t } = usePT();
  const shell = useI18n();
  const [items, setItems] = useState<PortalPayment[] | null>(null);
  const [err, setErr] = useState<string | null>(null);
  useEffect(() => {
    setItems(null);
    portalApi.payments(accountId).then((r) => setItems(r.items)).catch((e) => setErr(errorText(shell.t, e)));
  }, [accountId, reloadKey, shell.t]);
  if (err) return <Alert type="error" showIcon title={err} />;
  const channel = (c: string) => t((c === 'PORTAL' || c === 'COUNTER' ? `payments.channel.${c}` : 'payments.channel.other') as PKey);
  return (
    <List
      loading={items === null} dataSource={items ?? []} locale={{ emptyText: <Empty description={t('payments.empty')} /> }} data-testid="portal-payments"
      renderItem={(p) => (
        <List.Item key={p.id} style={{ padding: '6px 0' }} data-testid="portal-payment">
          <div style={{ width: '100%' }}>
            <Flex justify="space-between" gap={8}>
              <span>{p.payDate} · {channel(p.channel)}</span>
              <span style={{ fontWeight: 600, fontVariantNumeric: 'tabular-nums', whiteSpace: 'nowrap', textDecoration: p.status === 'posted' ? undefined : 'line-through' }}>{formatMoney(p.amount)}</span>
            </Flex>
            <Flex justify="space-between" gap={8} wrap>
              <Typography.Text type="secondary" style={{ fontSize: 12, ...mono }}>{p.receiptNo ?? '-'}</Typography.Text>
              <span>
                {p.status !== 'posted' && <Tag color="red">{t(`payments.status.${p.status}` as PKey)}</Tag>}
                {p.receiptUrl && <a href={p.receiptUrl} target="_blank" rel="noreferrer" data-testid="portal-payment-receipt"><FilePdfOutlined /> {t('pay.receipt')}</a>}
              </span>
            </Flex>
          </div>
        </List.Item>
      )}
    />
  );
}

export default function PortalPage() {
  const { t } = usePT();
  const shell = useI18n();
  const nav = useNavigate();
  const [sp, setSp] = useSearchParams();
  const [data, setData] = useState<MyAccounts | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const load = useCallback(() => {
    portalApi.accounts().then(setData).catch((e) => setErr(errorText(shell.t, e)));
  }, [shell.t]);
  useEffect(load, [load]);

  const items = data?.items ?? [];
  const selected = items.find((a) => String(a.id) === sp.get('a')) ?? items[0];
  const tab = sp.get('tab') ?? 'bills';
  const setParam = (k: string, v: string) => {
    const next = new URLSearchParams(sp);
    next.set(k, v);
    setSp(next, { replace: true });
  };

  return (
    <PageContainer crumbs={[{ title: t('portal.title') }]} title={t('portal.myAccounts')}>
      <div style={{ maxWidth: 760 }}>
      {err && <Alert type="error" showIcon title={err} style={{ marginBottom: 12 }} />}
      {!data && !err && <Skeleton active />}
      {data && items.length === 0 && <Empty description={t('portal.noAccounts')} />}
      {items.length > 1 && (
        <div style={{ overflowX: 'auto', marginBottom: 12 }}>
          <Segmented value={selected?.id} onChange={(v) => setParam('a', String(v))} options={items.map((a) => ({ value: a.id, label: <span style={mono}>{a.accountNo}</span> }))} data-testid="portal-account-switch" />
        </div>
      )}
      {selected && (
        <>
          <DueCard a={selected} onPay={() => nav(`/portal/pay/${selected.id}`)} />
          <Tabs
            activeKey={tab} onChange={(k) => setParam('tab', k)}
            items={[
              { key: 'bills', label: <span data-testid="portal-tab-bills">{t('portal.tabBills')}</span>, children: <BillsTab accountId={selected.id} /> },
              { key: 'usage', label: <span data-testid="portal-tab-usage">{t('portal.tabUsage')}</span>, children: <UsageChart accountId={selected.id} /> },
              { key: 'payments', label: <span data-testid="portal-tab-payments">{t('portal.tabPayments')}</span>, children: <PaymentsList accountId={selected.id} /> },
            ]}
          />
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            <Link to="/service/my">{shell.t('menu.serviceMy')}</Link>
          </Typography.Text>
        </>
      )}
      </div>
    </PageContainer>
  );
}
