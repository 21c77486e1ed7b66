/**
 * 退补管理 (rebilling): the adjustments in the user's data scope with their status, and a new
 * adjustment from an account's issued bill (户号 → bills → 退补). Route /billing/adjustments.
 */
import { useCallback, useEffect, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { Alert, Button, Card, Input, List, Select, Space, Tag, Typography, message } from 'antd';
import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { PageContainer } from '../../components/PageContainer';
import { errorText } from '../../components/errors';
import { useI18n } from '../../i18n';
import { billingApi, money, type Bill, type BillDetail } from './api';
import { adjustmentsApi, type Adjustment, type AdjustmentStatus } from './adjustmentsApi';
import { useAT } from './adjustments.i18n';
import { AdjStatusTag, AdjustmentCreateDrawer, AdjustmentDetailDrawer, DirTag, useHas } from './AdjustmentDrawer';

const STATUSES: AdjustmentStatus[] = ['draft', 'submitted', 'approved', 'posted', 'rejected'];

export default function AdjustmentsPage() {
  const { t, lang } = useAT();
  const shell = useI18n();
  const has = useHas();
  const [params, setParams] = useSearchParams();
  const [status, setStatus] = useState<string>('');
  const [items, setItems] = useState<Adjustment[] | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [accountNo, setAccountNo] = useState('');
  const [bills, setBills] = useState<Bill[] | null>(null);
  const [creating, setCreating] = useState<BillDetail | null>(null);
  const openId = params.get('id') ? Number(params.get('id')) : null;

  const load = useCallback(async () => {
    try {
      setItems((await adjustmentsApi.list(status ? { status } : {})).items);
      setErr(null);
    } catch (e) {
      setErr(errorText(shell.t, e));
    }
  }, [status, shell.t]);
  useEffect(() => {
    void load();
  }, [load]);

  async function findBills() {
    setBills(null);
    try {
      const acc = (await adjustmentsApi.findAccount(accountNo.trim())).items[0];
      if (!acc) {
        setBills([]);
        return;
      }
      setBills((await billingApi.accountBills(acc.id)).items.filter((b) => b.status === 'issued' && !b.trial));
    } catch (e) {
      message.error(errorText(shell.t, e));
    }
  }

  async function startFor(b: Bill) {
    try {
      setCreating(await billingApi.bill(b.id));
    } catch (e) {
      message.error(errorText(shell.t, e));
    }
  }

  const open = (id: number | null) => {
    const next = new URLSearchParams(params);
    if (id == null) next.delete('id');
    else next.set('id', String(id));
    setParams(next, { replace: true });
  };

  return (
    <PageContainer crumbs={[{ title: lang === 'en' ? 'Billing' : '电费核算' }, { title: t('page.title') }]} title={t('page.title')} extra={<Button icon={<ReloadOutlined />} onClick={() => void load()} aria-label="reload" />}>
      {has('billing.adjust') && (
        <Card size="small" title={<><PlusOutlined /> {t('page.new')}</>} style={{ marginBottom: 16 }} data-testid="adj-new">
          <Space.Compact style={{ width: 'min(360px, 100%)' }}>
            <Input placeholder={t('page.accountNo')} value={accountNo} onChange={(e) => setAccountNo(e.target.value)} onPressEnter={() => void findBills()} inputMode="numeric" data-testid="adj-account-no" />
            <Button type="primary" onClick={() => void findBills()} disabled={!/^\d{1,16}$/.test(accountNo.trim())} data-testid="adj-find">{t('page.find')}</Button>
          </Space.Compact>
          {bills && (
            <List
              size="small"
              style={{ marginTop: 8 }}
              dataSource={bills}
              locale={{ emptyText: t('page.noIssued') }}
              renderItem={(b) => (
                <List.Item actions={[<Button key="r" size="small" onClick={() => void startFor(b)} data-testid={`adj-bill-${b.period}`}>{t('bill.rebill')}</Button>]}>
                  <Space wrap size={[12, 0]}>
                    <Typography.Text strong>{b.period}</Typography.Text>
                    <span>{b.energyKwh} kWh</span>
                    <span>{money(b.amountTotal)}</span>
                  </Space>
                </List.Item>
              )}
            />
          )}
        </Card>
      )}
      <Space wrap style={{ marginBottom: 12 }}>
        <span>{t('page.status')}:</span>
        <Select value={status} onChange={setStatus} style={{ width: 140 }} data-testid="adj-filter-status" options={[{ value: '', label: t('page.all') }, ...STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) }))]} />
      </Space>
      {err && <Alert type="error" message={err} style={{ marginBottom: 12 }} />}
      <List
        loading={items === null}
        dataSource={items ?? []}
        locale={{ emptyText: t('page.empty') }}
        data-testid="adj-list"
        renderItem={(a) => (
          <List.Item data-testid={`adj-row-${a.id}`} style={{ display: 'block', cursor: 'pointer' }} onClick={() => open(a.id)}>
            <Space wrap size={[8, 4]}>
              <Typography.Text strong>#{a.id}</Typography.Text>
              <span>{a.accountNo}</span>
              <span>{a.periods.join(', ')}</span>
              <AdjStatusTag status={a.status} />
              <Tag>{t(`cat.${a.reasonCategory}`)}</Tag>
            </Space>
            <Space wrap size={[16, 4]} style={{ marginTop: 4 }}>
              <span>{t('list.amount')}: <strong>{money(a.amountTotal)}</strong></span>
              <DirTag direction={a.direction} />
              <Typography.Text type="secondary">{t('list.createdBy')}: {a.createdByName ?? '—'}</Typography.Text>
              <Typography.Text type="secondary" ellipsis style={{ maxWidth: 'min(320px, 80vw)' }}>{a.reason}</Typography.Text>
            </Space>
          </List.Item>
        )}
      />
      <AdjustmentCreateDrawer
        bill={creating}
        open={creating != null}
        onClose={() => setCreating(null)}
        onCreated={(a) => {
          setCreating(null);
          void load();
          open(a.id);
        }}
      />
      <AdjustmentDetailDrawer id={openId} onClose={() => open(null)} onChanged={() => void load()} />
    </PageContainer>
  );
}
