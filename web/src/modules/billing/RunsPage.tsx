import { useCallback, useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { Alert, Button, Card, Form, Input, List, Progress, Select, Space, Switch, Tag, Typography, message } from 'antd';
import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { PageContainer } from '../../components/PageContainer';
import { errorText } from '../../components/errors';
import { useI18n } from '../../i18n';
import { billingApi, defaultPeriod, money, type BillingRun, type RouteOption } from './api';
import { useBT } from './i18n';

export function RunStatusTag({ status }: { status: string }) {
  const { st } = useBT();
  const color = status === 'running' ? 'processing' : status === 'review' ? 'warning' : status === 'completed' ? 'success' : status === 'cancelled' ? 'default' : status === 'failed' ? 'error' : 'blue';
  return <Tag color={color}>{st(status)}</Tag>;
}

function scopeText(r: BillingRun, routes: RouteOption[], own: string): string {
  const ids = r.scope?.routeIds ?? [];
  const parts: string[] = [];
  if (ids.length) parts.push(ids.map((id) => routes.find((x) => x.id === id)?.code ?? `#${id}`).join(', '));
  if (r.scope?.orgUnitIds?.length) parts.push(`org ${r.scope.orgUnitIds.join(', ')}`);
  if (r.scope?.accountIds?.length) parts.push(`${r.scope.accountIds.length} acct`);
  return parts.join(' · ') || own;
}

export default function RunsPage() {
  const { t, lang } = useBT();
  const shell = useI18n();
  const navigate = useNavigate();
  const [runs, setRuns] = useState<BillingRun[] | null>(null);
  const [routes, setRoutes] = useState<RouteOption[]>([]);
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ period: string; routeIds: number[]; trial: boolean }>();

  const load = useCallback(async () => {
    try {
      setRuns((await billingApi.runs()).items);
      setErr(null);
    } catch (e) {
      setErr(errorText(shell.t, e));
    }
  }, [shell.t]);

  useEffect(() => {
    void load();
    billingApi.routes().then((r) => setRoutes(r.items)).catch(() => setRoutes([]));
  }, [load]);

  // refresh while something runs
  useEffect(() => {
    if (!runs?.some((r) => r.status === 'running' || r.status === 'created')) return;
    const h = setInterval(() => void load(), 2000);
    return () => clearInterval(h);
  }, [runs, load]);

  async function create(v: { period: string; routeIds?: number[]; trial: boolean }) {
    setBusy(true);
    try {
      const res = await billingApi.create({ period: v.period, trial: !!v.trial, ...(v.routeIds?.length ? { routeIds: v.routeIds } : {}) });
      if (res.joined) message.info(t('runs.joined'));
      navigate(`/billing/runs/${res.run.id}`);
    } catch (e) {
      message.error(errorText(shell.t, e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <PageContainer crumbs={[{ title: lang === 'en' ? 'Billing' : '电费核算' }, { title: t('runs.title') }]} title={t('runs.title')} extra={<Button icon={<ReloadOutlined />} onClick={() => void load()} />}>
      <Card size="small" title={<><PlusOutlined /> {t('runs.new')}</>} style={{ marginBottom: 16 }} data-testid="billing-new-run">
        <Form form={form} layout="vertical" initialValues={{ period: defaultPeriod(), trial: true, routeIds: [] }} onFinish={create}>
          <Space wrap align="end" style={{ width: '100%' }}>
            <Form.Item name="period" label={t('runs.period')} rules={[{ required: true, pattern: /^\d{4}-(0[1-9]|1[0-2])$/, message: t('runs.periodInvalid') }]} style={{ marginBottom: 8 }}>
              <Input style={{ width: 120 }} data-testid="billing-period" placeholder="YYYY-MM" />
            </Form.Item>
            <Form.Item name="routeIds" label={t('runs.routes')} tooltip={t('runs.routesHint')} style={{ marginBottom: 8 }}>
              <Select
                mode="multiple"
                allowClear
                showSearch
                optionFilterProp="label"
                placeholder={t('runs.ownOrg')}
                style={{ width: 'min(320px, 80vw)' }}
                data-testid="billing-routes"
                options={routes.map((r) => ({ value: r.id, label: `${r.code} ${r.name} (${r.accountCount})` }))}
              />
            </Form.Item>
            <Form.Item name="trial" label={t('runs.trial')} valuePropName="checked" style={{ marginBottom: 8 }}>
              <Switch data-testid="billing-trial" />
            </Form.Item>
            <Form.Item style={{ marginBottom: 8 }}>
              <Button type="primary" htmlType="submit" loading={busy} data-testid="billing-create">{t('runs.create')}</Button>
            </Form.Item>
          </Space>
        </Form>
      </Card>
      {err && <Alert type="error" message={err} style={{ marginBottom: 16 }} />}
      <List
        loading={runs === null}
        dataSource={runs ?? []}
        locale={{ emptyText: t('runs.empty') }}
        data-testid="billing-runs"
        renderItem={(r) => {
          const pct = r.totalAccounts ? Math.round(((r.bills + r.skipped) / r.totalAccounts) * 100) : 0;
          return (
            <List.Item data-testid={`billing-run-${r.id}`} style={{ display: 'block' }}>
              <Space wrap size={[8, 4]}>
                <Link to={`/billing/runs/${r.id}`}><Typography.Text strong>#{r.id} {r.period}</Typography.Text></Link>
                {r.trial ? <Tag color="purple">{t('runs.trial')}</Tag> : <Tag color="blue">{t('runs.real')}</Tag>}
                <RunStatusTag status={r.status} />
                <Typography.Text type="secondary">{t('runs.scope')}: {scopeText(r, routes, t('runs.ownOrg'))}</Typography.Text>
              </Space>
              <Space wrap size={[16, 4]} style={{ marginTop: 4 }}>
                <span>{t('runs.counts')}: {r.bills} / {r.exceptions} / {r.flagged}</span>
                <span>{t('runs.amount')}: {money(r.amountTotal)}</span>
                {r.status === 'running' || r.status === 'created' ? <Progress percent={pct} size="small" style={{ width: 160 }} /> : null}
              </Space>
            </List.Item>
          );
        }}
      />
    </PageContainer>
  );
}
