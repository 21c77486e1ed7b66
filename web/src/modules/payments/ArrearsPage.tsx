/**
 * 欠费管理 (arrears): accounts with overdue open receivables, aging buckets (1-30 … >180 days)
 * with accounts / outstanding / accrued late fee per bucket and totals; filters org unit, reading
 * route, bucket, as-of day (kept in the URL); a row opens the account (360° view) or the counter.
 * 催费: a collector or supervisor sends arrears reminder SMS to one row or to the selected rows
 * (POST /payments/arrears/reminders; at most one per account in 7 days); 最近催费 shows the last.
 */
import { useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { Alert, App, Button, Card, Col, Flex, Form, Grid, Input, List, Row, Select, Space, Statistic, Table, Tag, Typography } from 'antd';
import { PageContainer } from '../../components/PageContainer';
import { Money } from '../../components/Money';
import { Mono } from '../../components/Mono';
import { OrgUnitSelect, useOrgUnits } from '../../components/orgUnits';
import { errorText } from '../../components/errors';
import { formatMoney } from '../../app/format';
import { useAuth } from '../../app/auth';
import { can } from '../../app/permissions';
import { useI18n } from '../../i18n';
import { paymentsApi, type ArrearsPage as ArrearsData, type ArrearsRow } from './api';
import { canCollect, canPayments } from './perm';
import { usePT } from './i18n';

const BUCKET_COLOR: Record<string, string> = { d1_30: 'gold', d31_60: 'orange', d61_90: 'volcano', d91_180: 'red', d181_: 'magenta' };

export default function ArrearsPage() {
  const { t, lang } = usePT();
  const shell = useI18n();
  const { user } = useAuth();
  const screens = Grid.useBreakpoint();
  const isPhone = !screens.md;
  const [params, setParams] = useSearchParams();
  const { tree } = useOrgUnits();
  const orgUnitId = params.get('org') ? Number(params.get('org')) : undefined;
  const routeId = params.get('route') ? Number(params.get('route')) : undefined;
  const bucket = params.get('bucket') ?? undefined;
  const asOf = params.get('asOf') ?? undefined;
  const page = Number(params.get('page') ?? 1) || 1;
  const pageSize = Number(params.get('size') ?? 20) || 20;
  const [data, setData] = useState<ArrearsData | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [routes, setRoutes] = useState<Array<{ id: number; code: string; name: string }>>([]);
  const [form] = Form.useForm();
  const { message } = App.useApp();
  const [selected, setSelected] = useState<string[]>([]);
  const [reload, setReload] = useState(0);
  const [reminding, setReminding] = useState(false);
  const canRemind = canPayments(user);

  const remind = async (accountNos: string[]) => {
    if (!accountNos.length) return;
    setReminding(true);
    try {
      const r = await paymentsApi.remindArrears({ accountNos, ...(asOf ? { asOf } : {}) });
      message.success(t('arr.remindDone', { reminded: r.reminded, noPhone: r.noPhone, skipped: r.skippedRecent }));
      setSelected([]);
      setReload((x) => x + 1);
    } catch (e) {
      message.error(errorText(shell.t, e));
    } finally {
      setReminding(false);
    }
  };

  useEffect(() => {
    paymentsApi.routes(orgUnitId).then((r) => setRoutes(r.items)).catch(() => setRoutes([]));
  }, [orgUnitId]);

  useEffect(() => {
    let live = true;
    setLoading(true);
    paymentsApi
      .arrears({ asOf, bucket, orgUnitId, routeId, page, pageSize })
      .then((r) => live && (setData(r), setErr(null)))
      .catch((e) => live && setErr(errorText(shell.t, e)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [asOf, bucket, orgUnitId, routeId, page, pageSize, shell.t, reload]);

  useEffect(() => {
    form.setFieldsValue({ org: orgUnitId, route: routeId, bucket, asOf: asOf ?? '' });
  }, [form, orgUnitId, routeId, bucket, asOf]);

  const set = (next: Record<string, string | number | undefined>) => {
    const sp = new URLSearchParams(params);
    for (const [k, v] of Object.entries(next)) {
      if (v === undefined || v === '' || v === null) sp.delete(k);
      else sp.set(k, String(v));
    }
    setParams(sp);
  };

  const bucketLabel = (code: string) => {
    const b = data?.buckets.find((x) => x.code === code);
    return b ? (lang === 'en' ? b.en : b.zh) : code;
  };
  const accountLink = (r: ArrearsRow) => (can(user, 'account.read') ? <Link to={`/archive/accounts/${r.accountId}`}><Mono value={r.accountNo} copyable={false} /></Link> : <Mono value={r.accountNo} />);
  const collectLink = (r: ArrearsRow) => (
    <Space size={8}>
      {canCollect(user) && <Link to={`/payments/counter?q=${encodeURIComponent(r.accountNo)}`} data-testid={`arr-collect-${r.accountNo}`}>{t('acct.collect')}</Link>}
      {canRemind && <Button type="link" size="small" style={{ padding: 0 }} disabled={reminding} onClick={() => remind([r.accountNo])} data-testid={`arr-remind-${r.accountNo}`}>{t('arr.remind')}</Button>}
    </Space>
  );
  const lastReminder = (v: string | null) => (v ? <span title={new Date(v).toLocaleString()}>{new Date(v).toLocaleDateString()}</span> : '-');

  const columns = useMemo(
    () => [
      { title: t('common.account'), dataIndex: 'accountNo', render: (_: unknown, r: ArrearsRow) => accountLink(r) },
      { title: t('common.name'), dataIndex: 'accountName' },
      { title: t('arr.org'), dataIndex: 'orgUnitName' },
      { title: t('arr.route'), dataIndex: 'routeCode', render: (v: string | null) => (v ? <Mono value={v} copyable={false} /> : '-') },
      { title: t('arr.oldest'), dataIndex: 'oldestDueDate' },
      { title: t('arr.days'), dataIndex: 'daysOverdue', align: 'right' as const },
      { title: t('arr.bucket'), dataIndex: 'bucket', render: (v: string) => <Tag color={BUCKET_COLOR[v]}>{bucketLabel(v)}</Tag> },
      { title: t('arr.receivables'), dataIndex: 'receivables', align: 'right' as const },
      { title: t('arr.outstanding'), dataIndex: 'outstanding', align: 'right' as const, render: (v: string) => <Money value={v} /> },
      { title: t('arr.accrued'), dataIndex: 'accruedLateFee', align: 'right' as const, render: (v: string) => <Money value={v} /> },
      { title: t('arr.lastReminder'), dataIndex: 'lastReminderAt', render: (v: string | null, r: ArrearsRow) => <span data-testid={`arr-last-${r.accountNo}`}>{lastReminder(v)}</span> },
      { title: '', key: 'go', render: (_: unknown, r: ArrearsRow) => collectLink(r) },
    ],
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [t, data, user, reminding],
  );

  return (
    <PageContainer crumbs={[{ title: t('module') }, { title: t('menu.arrears') }]} title={t('arr.title')}>
      <Card size="small" style={{ marginBottom: 12 }}>
        <Form form={form} layout={isPhone ? 'vertical' : 'inline'} onFinish={(v) => set({ org: v.org, route: v.route, bucket: v.bucket, asOf: v.asOf, page: undefined })} data-testid="arr-filters">
          <Form.Item name="org" label={t('arr.org')} style={{ minWidth: isPhone ? undefined : 220, marginBottom: 8 }}>
            <OrgUnitSelect tree={tree} testId="arr-org" onChange={(v) => form.setFieldsValue({ org: v, route: undefined })} />
          </Form.Item>
          <Form.Item name="route" label={t('arr.route')} style={{ minWidth: isPhone ? undefined : 200, marginBottom: 8 }}>
            <Select allowClear showSearch optionFilterProp="label" options={routes.map((r) => ({ value: r.id, label: `${r.code} ${r.name}` }))} data-testid="arr-route" />
          </Form.Item>
          <Form.Item name="bucket" label={t('arr.bucket')} style={{ minWidth: isPhone ? undefined : 160, marginBottom: 8 }}>
            <Select allowClear placeholder={t('arr.allBuckets')} options={(data?.buckets ?? []).map((b) => ({ value: b.code, label: lang === 'en' ? b.en : b.zh }))} data-testid="arr-bucket" />
          </Form.Item>
          <Form.Item name="asOf" label={t('arr.asOf')} style={{ marginBottom: 8 }}>
            <Input type="date" data-testid="arr-asof" />
          </Form.Item>
          <Form.Item style={{ marginBottom: 8 }}>
            <Space>
              <Button type="primary" htmlType="submit" data-testid="arr-search">{t('arr.search')}</Button>
              <Button onClick={() => setParams(new URLSearchParams())}>{t('arr.reset')}</Button>
            </Space>
          </Form.Item>
        </Form>
      </Card>
      {err && <Alert type="error" message={err} style={{ marginBottom: 12 }} />}
      <Row gutter={[8, 8]} style={{ marginBottom: 12 }} data-testid="arr-buckets">
        {(data?.buckets ?? []).map((b) => (
          <Col key={b.code} xs={12} sm={8} lg={4}>
            <Card size="small" hoverable onClick={() => set({ bucket: bucket === b.code ? undefined : b.code, page: undefined })} style={{ borderColor: bucket === b.code ? '#1677ff' : undefined }} data-testid={`arr-bucket-${b.code}`}>
              <Statistic title={<Tag color={BUCKET_COLOR[b.code]}>{lang === 'en' ? b.en : b.zh}</Tag>} value={formatMoney(b.outstanding)} valueStyle={{ fontSize: 16 }} />
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('arr.accounts')} {b.accounts} · {t('arr.accrued')} {formatMoney(b.accruedLateFee)}</Typography.Text>
            </Card>
          </Col>
        ))}
        {data && (
          <Col xs={24} sm={16} lg={4}>
            <Card size="small" data-testid="arr-totals">
              <Statistic title={`${t('arr.total')} (${data.asOf})`} value={formatMoney(data.totals.outstanding)} valueStyle={{ fontSize: 16 }} />
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('arr.accounts')} {data.totals.accounts} · {t('arr.accrued')} {formatMoney(data.totals.accruedLateFee)}</Typography.Text>
            </Card>
          </Col>
        )}
      </Row>
      {canRemind && !isPhone && (
        <Flex gap={8} align="center" style={{ marginBottom: 8 }}>
          <Button disabled={!selected.length} loading={reminding} onClick={() => remind(selected)} data-testid="arr-remind-selected">
            {t('arr.remindSelected')}{selected.length ? ` (${selected.length})` : ''}
          </Button>
          {!selected.length && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('arr.selectHint')}</Typography.Text>}
        </Flex>
      )}
      {isPhone ? (
        <List
          loading={loading}
          dataSource={data?.items ?? []}
          locale={{ emptyText: t('arr.empty') }}
          data-testid="arr-list"
          pagination={data && data.total > pageSize ? { current: page, pageSize, total: data.total, size: 'small', simple: true, onChange: (p) => set({ page: p }) } : false}
          renderItem={(r) => (
            <List.Item style={{ display: 'block' }} data-testid={`arr-row-${r.accountNo}`}>
              <Flex justify="space-between" wrap gap={4}>
                <span>{accountLink(r)} {r.accountName}</span>
                <Money value={r.outstanding} />
              </Flex>
              <Flex justify="space-between" wrap gap={4}>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  <Tag color={BUCKET_COLOR[r.bucket]}>{bucketLabel(r.bucket)}</Tag>{r.oldestDueDate} · {r.routeCode ?? ''} · {t('arr.accrued')} {formatMoney(r.accruedLateFee)}
                  {r.lastReminderAt && <> · {t('arr.lastReminder')} {lastReminder(r.lastReminderAt)}</>}
                </Typography.Text>
                {collectLink(r)}
              </Flex>
            </List.Item>
          )}
        />
      ) : (
        <Table<ArrearsRow>
          size="small"
          rowKey="accountNo"
          loading={loading}
          rowSelection={canRemind ? { selectedRowKeys: selected, onChange: (keys) => setSelected(keys as string[]) } : undefined}
          dataSource={data?.items ?? []}
          columns={columns}
          locale={{ emptyText: t('arr.empty') }}
          scroll={{ x: 'max-content' }}
          data-testid="arr-table"
          onRow={(r) => ({ 'data-testid': `arr-row-${r.accountNo}` }) as never}
          pagination={{ current: page, pageSize, total: data?.total ?? 0, showSizeChanger: true, pageSizeOptions: [10, 20, 50, 100], onChange: (p, s) => set({ page: p, size: s }) }}
        />
      )}
    </PageContainer>
  );
}
