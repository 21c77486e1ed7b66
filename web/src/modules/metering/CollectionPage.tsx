/**
 * 采集监控 (collection monitor): start a collection for selected reading routes
 * (collection.run), the list of runs (refreshing while one runs), per-route 采集成功率 (bar chart
 * and progress bars), failure reasons and the failed meters with a link to the account.
 * API: src/api/metering/collection.routes.ts.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { Alert, App, Button, Card, Col, DatePicker, Empty, Flex, Form, Grid, Progress, Row, Select, Space, Statistic, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { PlayCircleOutlined, ReloadOutlined } from '@ant-design/icons';
import dayjs, { type Dayjs } from 'dayjs';
import { useAuth } from '../../app/auth';
import { useI18n } from '../../i18n';
import { formatDateTime } from '../../app/format';
import { PageContainer } from '../../components/PageContainer';
import { EChart } from '../../components/EChart';
import { errorText } from '../../components/errors';
import { hasPerm } from './api';
import { collectionApi, PERM_COLLECTION_RUN, type CollectionRun, type FailedMeter, type RouteOption, type RouteRate, type RunStats } from './collectionApi';
import { useCT, type CKey } from './collection.i18n';

const STATUS_COLORS: Record<string, string> = { running: 'processing', completed: 'success', failed: 'error', cancelled: 'default' };

function rateStatus(rate: number | null): 'success' | 'normal' | 'exception' {
  if (rate === null) return 'normal';
  return rate >= 99 ? 'success' : rate < 90 ? 'exception' : 'normal';
}

function StartForm({ onStarted }: { onStarted: (id: number) => void }) {
  const { ct } = useCT();
  const { t } = useI18n();
  const { message } = App.useApp();
  const [routes, setRoutes] = useState<RouteOption[]>([]);
  const [routeIds, setRouteIds] = useState<number[]>([]);
  const [day, setDay] = useState<Dayjs>(dayjs().subtract(1, 'day'));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    collectionApi.routes().then((r) => setRoutes(r.items), (e) => setError(errorText(t, e)));
  }, [t]);
  const submit = async () => {
    if (!routeIds.length) {
      setError(ct('col.start.routesRequired'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const r = await collectionApi.start({ routeIds, dataDay: day.format('YYYY-MM-DD') });
      message.success(ct('col.start.started', { id: r.runId, n: r.pending }));
      onStarted(r.runId);
    } catch (e) {
      setError(errorText(t, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card size="small" title={ct('col.start.title')} style={{ marginBottom: 16 }} data-testid="collection-start">
      <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>{ct('col.start.hint')}</Typography.Paragraph>
      <Form layout="vertical" onFinish={submit}>
        <Row gutter={12}>
          <Col xs={24} md={14}>
            <Form.Item label={ct('col.start.routes')} required>
              <Select
                mode="multiple"
                allowClear
                value={routeIds}
                onChange={setRouteIds}
                placeholder={ct('col.start.routesPlaceholder')}
                optionFilterProp="label"
                maxTagCount="responsive"
                data-testid="collection-routes"
                options={routes.map((r) => ({ value: r.id, label: `${r.code} ${r.name}${r.orgUnit ? ` · ${r.orgUnit.name}` : ''}` }))}
              />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12} md={5}>
            <Form.Item label={ct('col.start.day')}>
              <DatePicker
                value={day}
                onChange={(d) => d && setDay(d)}
                allowClear={false}
                style={{ width: '100%' }}
                disabledDate={(d) => !d.isBefore(dayjs(), 'day') || d.isBefore(dayjs().subtract(62, 'day'), 'day')}
                data-testid="collection-day"
              />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12} md={5}>
            <Form.Item label=" ">
              <Button type="primary" htmlType="submit" icon={<PlayCircleOutlined />} loading={busy} block data-testid="collection-submit">
                {ct('col.start.submit')}
              </Button>
            </Form.Item>
          </Col>
        </Row>
        {error && <Alert type="error" showIcon title={error} data-testid="collection-error" />}
      </Form>
    </Card>
  );
}

function RunDetail({ runId, onChanged }: { runId: number; onChanged: () => void }) {
  const { ct, pick, lang } = useCT();
  const { t } = useI18n();
  const screens = Grid.useBreakpoint();
  const [stats, setStats] = useState<RunStats | null>(null);
  const [page, setPage] = useState(1);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => collectionApi.run(runId, { page, pageSize: 20 }).then((s) => (setStats(s), setError(null)), (e) => setError(errorText(t, e))), [runId, page, t]);
  useEffect(() => {
    void load();
  }, [load]);
  const running = stats?.run?.status === 'running';
  useEffect(() => {
    if (!running) return;
    const h = setInterval(() => {
      void load();
      onChanged();
    }, 1500);
    return () => clearInterval(h);
  }, [running, load, onChanged]);

  const chart = useMemo(() => {
    const rows = stats?.routes ?? [];
    return {
      tooltip: { trigger: 'axis' },
      grid: { left: 8, right: 16, top: 24, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: rows.map((r) => r.code ?? '-'), axisLabel: { rotate: rows.length > 6 ? 45 : 0 } },
      yAxis: { type: 'value', min: 0, max: 100 },
      series: [{
        type: 'bar', name: ct('col.detail.rate'), barMaxWidth: 40, label: { show: true, position: 'top', formatter: '{c}%' },
        data: rows.map((r) => ({ value: r.successRate ?? 0, itemStyle: { color: (r.successRate ?? 0) >= 99 ? '#52c41a' : (r.successRate ?? 0) >= 90 ? '#1677ff' : '#ff4d4f' } })),
      }],
    };
  }, [stats, ct]);

  if (error) return <Alert type="error" showIcon title={error} />;
  if (!stats) return null;
  const run = stats.run!;
  const routeCols: ColumnsType<RouteRate> = [
    { title: ct('col.detail.route'), key: 'route', render: (_, r) => <span><span className="vl-mono">{r.code ?? '-'}</span>{screens.sm ? ` ${r.name ?? ''}` : ''}</span> },
    { title: ct('col.detail.meters'), dataIndex: 'meters', align: 'right', responsive: ['sm'] },
    { title: ct('col.detail.ok'), dataIndex: 'ok', align: 'right', responsive: ['sm'] },
    { title: ct('col.detail.failed'), dataIndex: 'failed', align: 'right', render: (v: number) => (v ? <Typography.Text type="danger">{v}</Typography.Text> : v) },
    {
      title: ct('col.detail.rate'), key: 'rate', width: screens.sm ? 220 : 120,
      render: (_, r) => <div data-testid="route-rate" data-route={r.code ?? ''}><Progress percent={r.successRate ?? 0} size="small" status={rateStatus(r.successRate)} format={(p) => `${p}%`} /></div>,
    },
  ];
  const failCols: ColumnsType<FailedMeter> = [
    { title: ct('col.fail.address'), dataIndex: 'commAddress', render: (v: string) => <span className="vl-mono">{v}</span>, responsive: ['md'] },
    { title: ct('col.fail.account'), dataIndex: 'accountNo', render: (v: string, r) => <Link to={`/archive/accounts/${r.accountId}`} className="vl-mono" data-testid="failed-account">{v}</Link> },
    { title: ct('col.fail.name'), dataIndex: 'accountName', responsive: ['lg'] },
    { title: ct('col.detail.route'), dataIndex: 'routeCode', responsive: ['md'], render: (v: string | null) => <span className="vl-mono">{v ?? '-'}</span> },
    { title: ct('col.fail.concentrator'), dataIndex: 'concentratorCode', responsive: ['xl'] },
    { title: ct('col.fail.reason'), dataIndex: 'reason', render: (v: string, r) => <span data-testid="failed-reason"><Tag color="red">{v.split(':')[0]}</Tag>{pick(r.reasonText)}</span> },
    { title: ct('col.fail.attempts'), dataIndex: 'attempts', align: 'right', responsive: ['md'] },
  ];
  return (
    <Card
      size="small"
      data-testid="collection-detail"
      title={ct('col.detail.title', { id: run.id })}
      extra={<Tag color={STATUS_COLORS[run.status]} data-testid="run-status">{ct(`col.runs.status.${run.status}` as CKey)}</Tag>}
    >
      <Row gutter={[12, 12]} style={{ marginBottom: 12 }}>
        <Col xs={12} sm={6}><Statistic title={ct('col.detail.meters')} value={stats.totals.meters} suffix={running ? `/ ${run.total}` : undefined} /></Col>
        <Col xs={12} sm={6}><Statistic title={ct('col.detail.ok')} value={stats.totals.ok} /></Col>
        <Col xs={12} sm={6}><Statistic title={ct('col.detail.failed')} value={stats.totals.failed} /></Col>
        <Col xs={12} sm={6}><Statistic title={ct('col.detail.rate')} value={stats.totals.successRate ?? '-'} suffix={stats.totals.successRate !== null ? '%' : ''} data-testid="run-rate" /></Col>
      </Row>
      {run.error && <Alert type="error" showIcon title={`${ct('col.error')}: ${run.error}`} style={{ marginBottom: 12 }} />}
      {stats.routes.length > 1 && (
        <div style={{ marginBottom: 12 }}>
          <Typography.Text type="secondary">{ct('col.detail.chart')}</Typography.Text>
          <EChart option={chart} height={220} testId="route-rate-chart" />
        </div>
      )}
      <Table<RouteRate> size="small" rowKey={(r) => String(r.routeId)} dataSource={stats.routes} columns={routeCols} pagination={false} data-testid="route-rates" style={{ marginBottom: 16 }} />
      {stats.reasons.length > 0 && (
        <Flex wrap gap={6} style={{ marginBottom: 12 }} data-testid="failure-reasons">
          <Typography.Text strong>{ct('col.detail.reasons')}:</Typography.Text>
          {stats.reasons.map((r) => (
            <Tag key={r.reason} color="volcano">{pick(r.text) || r.reason} × {r.count}</Tag>
          ))}
        </Flex>
      )}
      <Typography.Title level={5} style={{ marginTop: 0 }}>{ct('col.fail.title')}</Typography.Title>
      <Table<FailedMeter>
        size="small"
        rowKey={(r) => `${r.runId}-${r.meterId}`}
        dataSource={stats.failures.items}
        columns={failCols}
        data-testid="failed-meters"
        locale={{ emptyText: running ? '…' : ct('col.fail.none') }}
        pagination={{ current: page, pageSize: 20, total: stats.failures.total, onChange: setPage, showSizeChanger: false, size: 'small', hideOnSinglePage: true }}
      />
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {lang === 'en' ? 'Data day' : '数据日期'} {run.dataDay} · {formatDateTime(run.startedAt)}
      </Typography.Text>
    </Card>
  );
}

export default function CollectionPage() {
  const { ct } = useCT();
  const { t } = useI18n();
  const { user } = useAuth();
  const { message } = App.useApp();
  const screens = Grid.useBreakpoint();
  const canRun = hasPerm(user?.permissions, PERM_COLLECTION_RUN);
  const [runs, setRuns] = useState<CollectionRun[]>([]);
  const [total, setTotal] = useState(0);
  const [page, setPage] = useState(1);
  const [selected, setSelected] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const load = useCallback(async () => {
    setLoading(true);
    try {
      const r = await collectionApi.runs({ page, pageSize: 10 });
      setRuns(r.items);
      setTotal(r.total);
      setError(null);
      setSelected((s) => s ?? r.items.find((x) => x.kind === 'scheduled')?.id ?? r.items[0]?.id ?? null);
    } catch (e) {
      setError(errorText(t, e));
    } finally {
      setLoading(false);
    }
  }, [page, t]);
  useEffect(() => {
    void load();
  }, [load]);
  const refreshList = useCallback(() => void collectionApi.runs({ page, pageSize: 10 }).then((r) => (setRuns(r.items), setTotal(r.total)), () => {}), [page]);

  const act = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      await load();
    } catch (e) {
      message.error(errorText(t, e));
    }
  };

  const cols: ColumnsType<CollectionRun> = [
    { title: ct('col.runs.id'), dataIndex: 'id', width: 70, render: (v: number) => <span className="vl-mono">#{v}</span> },
    { title: ct('col.runs.kind'), dataIndex: 'kind', responsive: ['md'], render: (v: string) => ct(`col.runs.kind.${v}` as CKey) },
    { title: ct('col.runs.dataDay'), dataIndex: 'dataDay', responsive: ['sm'] },
    { title: ct('col.runs.status'), dataIndex: 'status', render: (v: string) => <Tag color={STATUS_COLORS[v]}>{ct(`col.runs.status.${v}` as CKey)}</Tag> },
    { title: ct('col.runs.startedAt'), dataIndex: 'startedAt', responsive: ['lg'], render: (v: string) => formatDateTime(v) },
    { title: ct('col.runs.startedBy'), dataIndex: 'startedByName', responsive: ['xl'] },
    { title: ct('col.runs.progress'), key: 'progress', responsive: ['md'], render: (_, r) => `${r.done}/${r.total}` },
    { title: ct('col.runs.rate'), dataIndex: 'successRate', align: 'right', render: (v: number | null) => (v === null ? '-' : `${v}%`) },
    ...(canRun
      ? [{
          key: 'act', width: 90,
          render: (_: unknown, r: CollectionRun) =>
            r.status === 'running' ? (
              <Space size={0} wrap>
                <Button size="small" type="link" onClick={(e) => (e.stopPropagation(), act(() => collectionApi.resume(r.id)))}>{ct('col.runs.resume')}</Button>
                <Button size="small" type="link" danger onClick={(e) => (e.stopPropagation(), act(() => collectionApi.cancel(r.id)))}>{ct('col.runs.cancel')}</Button>
              </Space>
            ) : null,
        }]
      : []),
  ];

  return (
    <PageContainer crumbs={[{ title: ct('col.group') }, { title: ct('col.title') }]} title={ct('col.title')}>
      {canRun && <StartForm onStarted={(id) => (setSelected(id), setPage(1), void load())} />}
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={10}>
          <Card size="small" title={ct('col.runs.title')} extra={<Button size="small" icon={<ReloadOutlined />} onClick={() => void load()}>{screens.sm ? ct('col.runs.refresh') : null}</Button>}>
            <Table<CollectionRun>
              size="small"
              rowKey="id"
              loading={loading}
              dataSource={runs}
              columns={cols}
              data-testid="collection-runs"
              locale={{ emptyText: <Empty description={ct('col.runs.empty')} /> }}
              onRow={(r) => ({ onClick: () => setSelected(r.id), style: { cursor: 'pointer', background: r.id === selected ? 'rgba(22,119,255,0.08)' : undefined } })}
              pagination={{ current: page, pageSize: 10, total, onChange: setPage, showSizeChanger: false, size: 'small', hideOnSinglePage: true }}
            />
          </Card>
        </Col>
        <Col xs={24} xl={14}>
          {selected ? <RunDetail key={selected} runId={selected} onChanged={refreshList} /> : <Card size="small"><Empty description={ct('col.detail.pick')} /></Card>}
        </Col>
      </Row>
    </PageContainer>
  );
}
