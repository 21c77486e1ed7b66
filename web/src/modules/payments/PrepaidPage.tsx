/**
 * 预付费管理 (prepaid): accounts with balance (lowest first, "low balance only" filter), enrol or
 * change a plan (alert balance, cut-off floor, energy source), run the daily deduction for a day,
 * and an account drawer with daily deductions (kWh, year kWh before the day, amount, balance),
 * reminders and cut-off / reconnection orders. Lists become cards at phone width.
 * API: src/api/payments/prepaid.routes.ts. Registered by the payments module (index.tsx).
 */
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { Alert, App, Button, Card, Descriptions, Drawer, Flex, Form, Grid, Input, List, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { PageContainer } from '../../components/PageContainer';
import { Money } from '../../components/Money';
import { Mono } from '../../components/Mono';
import { errorText } from '../../components/errors';
import { useAuth } from '../../app/auth';
import { useI18n } from '../../i18n';
import { prepaidApi, type DeductionRun, type PrepaidAccount, type PrepaidRow } from './prepaidApi';
import { hasPermission, usePrepaidT } from './prepaid.i18n';

const STATE_COLOR: Record<string, string> = { normal: 'green', reminded: 'gold', cutoff: 'red' };

function yesterdayCst(): string {
  return new Date(Date.now() + 8 * 3_600_000 - 86_400_000).toISOString().slice(0, 10);
}

export default function PrepaidPage() {
  const { t, tx } = usePrepaidT();
  const shell = useI18n();
  const { user } = useAuth();
  const { message } = App.useApp();
  const isPhone = !Grid.useBreakpoint().md;
  const canManage = hasPermission(user, 'prepaid.manage');
  const [low, setLow] = useState(false);
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(20);
  const [data, setData] = useState<{ items: PrepaidRow[]; total: number } | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [open, setOpen] = useState<string | null>(null);
  const [run, setRun] = useState<DeductionRun | null>(null);
  const [busy, setBusy] = useState(false);
  const [planForm] = Form.useForm();
  const [runForm] = Form.useForm();

  const load = useCallback(() => {
    setLoading(true);
    prepaidApi
      .list({ low, page, pageSize })
      .then((r) => (setData(r), setErr(null)))
      .catch((e) => setErr(errorText(shell.t, e)))
      .finally(() => setLoading(false));
  }, [low, page, pageSize, shell.t]);
  useEffect(load, [load]);

  const savePlan = async (v: { accountNo: string; startDay?: string; alertBalance?: string; cutoffFloor?: string; energySource?: string }) => {
    setBusy(true);
    try {
      await prepaidApi.savePlan(v.accountNo.trim(), { startDay: v.startDay || undefined, alertBalance: v.alertBalance || undefined, cutoffFloor: v.cutoffFloor || undefined, energySource: v.energySource });
      message.success(t('pp.saved'));
      load();
    } catch (e) {
      message.error(errorText(shell.t, e));
    } finally {
      setBusy(false);
    }
  };

  const runDay = async (v: { day: string }) => {
    setBusy(true);
    try {
      const r = await prepaidApi.run(v.day);
      setRun(r);
      load();
    } catch (e) {
      message.error(errorText(shell.t, e));
    } finally {
      setBusy(false);
    }
  };

  const stateTag = (s: string) => <Tag color={STATE_COLOR[s]}>{tx('pp.state', s)}</Tag>;
  const columns = [
    { title: t('pp.account'), dataIndex: 'accountNo', render: (v: string) => <Button type="link" size="small" style={{ padding: 0 }} onClick={() => setOpen(v)} data-testid={`pp-open-${v}`}><Mono value={v} copyable={false} /></Button> },
    { title: t('pp.name'), dataIndex: 'accountName' },
    { title: t('pp.balance'), dataIndex: 'balance', align: 'right' as const, render: (v: string) => <Money value={v} /> },
    { title: t('pp.alert'), dataIndex: 'alertBalance', align: 'right' as const, render: (v: string) => <Money value={v} /> },
    { title: t('pp.floor'), dataIndex: 'cutoffFloor', align: 'right' as const, render: (v: string) => <Money value={v} /> },
    { title: t('pp.state'), dataIndex: 'alertState', render: stateTag },
    { title: t('pp.lastDay'), dataIndex: 'lastDeductedDay', render: (v: string | null) => v ?? '—' },
  ];

  return (
    <PageContainer crumbs={[{ title: t('pp.crumb'), path: '/payments' }, { title: t('pp.title') }]} title={t('pp.title')}
      extra={<Button onClick={load}>{t('pp.refresh')}</Button>}>
      <Space direction="vertical" size={16} style={{ width: '100%' }}>
        {canManage && (
          <Flex gap={16} wrap>
            <Card size="small" title={t('pp.enrol')} style={{ flex: '1 1 320px', minWidth: 0 }}>
              <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>{t('pp.enrolHint')}</Typography.Paragraph>
              <Form form={planForm} layout="vertical" onFinish={savePlan} initialValues={{ energySource: 'auto' }} data-testid="pp-plan-form">
                <Form.Item name="accountNo" label={t('pp.account')} rules={[{ required: true, message: t('co.required') }]}><Input inputMode="numeric" data-testid="pp-plan-account" /></Form.Item>
                <Flex gap={8} wrap>
                  <Form.Item name="startDay" label={t('pp.startDay')} style={{ flex: '1 1 140px' }}><Input type="date" /></Form.Item>
                  <Form.Item name="energySource" label={t('pp.source')} style={{ flex: '1 1 160px' }}>
                    <Select options={['auto', 'frozen', 'interval'].map((s) => ({ value: s, label: tx('pp.source', s) }))} />
                  </Form.Item>
                </Flex>
                <Flex gap={8} wrap>
                  <Form.Item name="alertBalance" label={t('pp.alert')} style={{ flex: '1 1 120px' }}><Input inputMode="decimal" placeholder={t('pp.default')} /></Form.Item>
                  <Form.Item name="cutoffFloor" label={t('pp.floor')} style={{ flex: '1 1 120px' }}><Input inputMode="decimal" placeholder={t('pp.default')} /></Form.Item>
                </Flex>
                <Button type="primary" htmlType="submit" loading={busy} data-testid="pp-plan-save">{t('pp.save')}</Button>
              </Form>
            </Card>
            <Card size="small" title={t('pp.run')} style={{ flex: '1 1 280px', minWidth: 0 }}>
              <Form form={runForm} layout="vertical" onFinish={runDay} initialValues={{ day: yesterdayCst() }}>
                <Form.Item name="day" label={t('pp.runDay')} rules={[{ required: true, message: t('co.required') }]}><Input type="date" data-testid="pp-run-day" /></Form.Item>
                <Button type="primary" htmlType="submit" loading={busy} data-testid="pp-run">{t('pp.runBtn')}</Button>
              </Form>
              {run && (
                <Alert style={{ marginTop: 12 }} type={run.errors ? 'warning' : 'success'} data-testid="pp-run-result"
                  message={t('pp.runDone', { day: run.day, deducted: run.deducted, amount: run.amount, exists: run.exists, noData: run.noData, errors: run.errors, reminders: run.reminders, cutoffOrders: run.cutoffOrders })} />
              )}
            </Card>
          </Flex>
        )}
        <Card size="small" title={t('pp.list')} extra={<Space><span>{t('pp.lowOnly')}</span><Switch size="small" checked={low} onChange={(v) => (setLow(v), setPage(1))} /></Space>}>
          {err && <Alert type="error" message={err} style={{ marginBottom: 8 }} />}
          {isPhone ? (
            <List
              loading={loading}
              dataSource={data?.items ?? []}
              pagination={{ current: page, pageSize, total: data?.total ?? 0, onChange: (p, s) => (setPage(p), setPageSize(s)), size: 'small' }}
              renderItem={(r) => (
                <List.Item onClick={() => setOpen(r.accountNo)} style={{ cursor: 'pointer' }}>
                  <Flex vertical style={{ width: '100%', minWidth: 0 }} gap={2}>
                    <Flex justify="space-between" gap={8}><Mono value={r.accountNo} copyable={false} /><Money value={r.balance} /></Flex>
                    <Flex justify="space-between" gap={8}><Typography.Text ellipsis>{r.accountName}</Typography.Text>{stateTag(r.alertState)}</Flex>
                  </Flex>
                </List.Item>
              )}
            />
          ) : (
            <Table rowKey="accountId" size="small" loading={loading} columns={columns} dataSource={data?.items ?? []}
              pagination={{ current: page, pageSize, total: data?.total ?? 0, pageSizeOptions: [10, 20, 50, 100], showSizeChanger: true, onChange: (p, s) => (setPage(p), setPageSize(s)) }} />
          )}
        </Card>
      </Space>
      <AccountDrawer accountNo={open} onClose={() => setOpen(null)} canManage={canManage} onChanged={load} />
    </PageContainer>
  );
}

function AccountDrawer({ accountNo, onClose, canManage, onChanged }: { accountNo: string | null; onClose: () => void; canManage: boolean; onChanged: () => void }) {
  const { t, tx, lang } = usePrepaidT();
  const shell = useI18n();
  const { message, modal } = App.useApp();
  const [d, setD] = useState<PrepaidAccount | null>(null);
  const [err, setErr] = useState<string | null>(null);

  useEffect(() => {
    if (!accountNo) return;
    setD(null);
    prepaidApi.get(accountNo).then((r) => (setD(r), setErr(null))).catch((e) => setErr(errorText(shell.t, e)));
  }, [accountNo, shell.t]);

  const end = () => {
    let reason = '';
    modal.confirm({
      title: t('pp.end'),
      content: <Input placeholder={t('pp.endReason')} onChange={(e) => (reason = e.target.value)} />,
      onOk: async () => {
        try {
          setD(await prepaidApi.endPlan(accountNo!, reason));
          onChanged();
        } catch (e) {
          message.error(errorText(shell.t, e));
          throw e;
        }
      },
    });
  };

  return (
    <Drawer open={accountNo !== null} onClose={onClose} title={t('pp.detail')} width="min(720px, 100vw)" destroyOnHidden>
      {err && <Alert type="error" message={err} />}
      {d && (
        <Space direction="vertical" size={16} style={{ width: '100%' }}>
          <Descriptions size="small" column={{ xs: 1, sm: 2 }} bordered>
            <Descriptions.Item label={t('pp.account')}><Mono value={d.accountNo} /></Descriptions.Item>
            <Descriptions.Item label={t('pp.name')}>{d.accountName}</Descriptions.Item>
            <Descriptions.Item label={t('pp.balance')}><span data-testid="pp-balance"><Money value={d.balance} /></span></Descriptions.Item>
            <Descriptions.Item label={t('pp.state')}><Tag color={STATE_COLOR[d.alertState]}>{tx('pp.state', d.alertState)}</Tag> {tx('pp.status', d.status)}</Descriptions.Item>
            <Descriptions.Item label={t('pp.alert')}><Money value={d.alertBalance} />{d.alertBalanceIsDefault ? ` (${t('pp.default')})` : ''}</Descriptions.Item>
            <Descriptions.Item label={t('pp.floor')}><Money value={d.cutoffFloor} />{d.cutoffFloorIsDefault ? ` (${t('pp.default')})` : ''}</Descriptions.Item>
            <Descriptions.Item label={t('pp.startDay')}>{d.startDay}</Descriptions.Item>
            <Descriptions.Item label={t('pp.source')}>{tx('pp.source', d.energySource)}</Descriptions.Item>
          </Descriptions>
          {canManage && d.status === 'active' && <Button danger size="small" onClick={end}>{t('pp.end')}</Button>}
          <Typography.Title level={5} style={{ margin: 0 }}>{t('pp.deductions')}</Typography.Title>
          <List
            size="small"
            dataSource={d.deductions}
            locale={{ emptyText: t('pp.none') }}
            renderItem={(x) => (
              <List.Item>
                <Flex vertical style={{ width: '100%', minWidth: 0 }} gap={2}>
                  <Flex justify="space-between" gap={8} wrap>
                    <span>{x.day}</span>
                    <span>{x.kwh} kWh</span>
                    <span>{t('pp.amount')} <Money value={x.amount} /></span>
                    <span>{t('pp.after')} <Money value={x.balanceAfter} /></span>
                  </Flex>
                  <Typography.Text type="secondary" style={{ fontSize: 12, overflowWrap: 'anywhere' }}>
                    {t('pp.cum')} {x.ladderPrevCum} kWh · {x.tariffCode} · {(x.lines?.lines ?? []).map((l) => `${lang === 'en' ? l.name.en : l.name.zh} ${l.quantity}×${l.unitPrice}=${l.amount}`).join('; ')}
                  </Typography.Text>
                </Flex>
              </List.Item>
            )}
          />
          <Typography.Title level={5} style={{ margin: 0 }}>{t('pp.reminders')}</Typography.Title>
          <List size="small" dataSource={d.reminders} locale={{ emptyText: t('pp.none') }}
            renderItem={(r) => <List.Item><Typography.Text style={{ overflowWrap: 'anywhere' }}>{r.createdAt.slice(0, 16).replace('T', ' ')} · {r.body}</Typography.Text></List.Item>} />
          <Typography.Title level={5} style={{ margin: 0 }}>{t('pp.orders')}</Typography.Title>
          <List size="small" dataSource={d.orders} locale={{ emptyText: t('pp.none') }}
            renderItem={(o) => (
              <List.Item>
                <Link to={`/payments/cutoff?order=${o.id}`}>#{o.id}</Link> {tx('co.kind', o.kind)} · {tx('co.state', o.state)}
              </List.Item>
            )} />
        </Space>
      )}
    </Drawer>
  );
}
