/**
 * 漏抄监控: the billing checker's list of reading tasks flagged missing (overdue past the grace
 * days of the active rule set without a reading), filtered by billing period and route, with
 * "check now" (runs the rule for the filter; audited) and a link to each account.
 * API: GET /metering/missing-readings, POST /metering/missing-readings/flag (reading.review).
 */
import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Card, DatePicker, Flex, Grid, List, Select, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { ReloadOutlined, SearchOutlined } from '@ant-design/icons';
import { Link } from 'react-router-dom';
import dayjs from 'dayjs';
import { api } from '../../api/client';
import { useI18n } from '../../i18n';
import { PageContainer } from '../../components/PageContainer';
import { Mono } from '../../components/Mono';
import { errorText } from '../../components/errors';
import { formatDate, formatDateTime } from '../../app/format';
import { routesApi, thisPeriod, type RouteItem } from './routesApi';
import { useMissingT } from './missing.i18n';

export interface MissingItem {
  taskId: number;
  billingPeriod: string;
  route: { id: number; code: string; name: string };
  account: { id: number; accountNo: string; name: string };
  meter: { id: number; assetNo: string };
  dueDate: string;
  daysOverdue: number;
  flaggedAt: string | null;
  assignedTo: number | null;
  assignedName: string | null;
}

interface FlagResult {
  asOf: string;
  graceDays: number;
  newlyFlagged: number;
  cleared: number;
  items: MissingItem[];
}

const PAGE_SIZE = 50;

export default function MissingReadingsPage() {
  const mt = useMissingT();
  const { t } = useI18n();
  const { message } = App.useApp();
  const screens = Grid.useBreakpoint();
  const [period, setPeriod] = useState(thisPeriod());
  const [routeId, setRouteId] = useState<number | undefined>();
  const [routes, setRoutes] = useState<RouteItem[]>([]);
  const [page, setPage] = useState(1);
  const [data, setData] = useState<{ items: MissingItem[]; total: number } | null>(null);
  const [loading, setLoading] = useState(false);
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [lastCheck, setLastCheck] = useState<FlagResult | null>(null);

  useEffect(() => {
    routesApi.list({ period }).then((r) => setRoutes(r.items)).catch(() => setRoutes([]));
  }, [period]);

  const load = useCallback(async () => {
    setLoading(true);
    setError(null);
    try {
      const r = await api.get<{ items: MissingItem[]; total: number }>('/metering/missing-readings', { period, routeId, page, pageSize: PAGE_SIZE });
      setData(r);
    } catch (e) {
      setError(errorText(t, e));
    } finally {
      setLoading(false);
    }
  }, [period, routeId, page, t]);

  useEffect(() => {
    void load();
  }, [load]);

  const check = async () => {
    setChecking(true);
    setError(null);
    try {
      const r = await api.post<FlagResult>('/metering/missing-readings/flag', { period, ...(routeId ? { routeId } : {}) });
      setLastCheck(r);
      message.success(mt('missing.checked', { asOf: r.asOf, grace: r.graceDays, missing: r.items.length, newly: r.newlyFlagged, cleared: r.cleared }));
      setPage(1);
      await load();
    } catch (e) {
      setError(errorText(t, e));
    } finally {
      setChecking(false);
    }
  };

  const overdueTag = (d: number) => <Tag color={d > 7 ? 'red' : 'orange'}>{mt('missing.overdueDays', { days: d })}</Tag>;

  const columns: ColumnsType<MissingItem> = [
    { title: mt('missing.route'), key: 'route', render: (_, r) => <span><Mono value={r.route.code} /> {r.route.name}</span> },
    {
      title: mt('missing.account'), key: 'account',
      render: (_, r) => <Link to={`/archive/accounts/${r.account.id}`} data-testid="missing-account"><Mono value={r.account.accountNo} /> {r.account.name}</Link>,
    },
    { title: mt('missing.meter'), key: 'meter', render: (_, r) => <Mono value={r.meter.assetNo} /> },
    { title: mt('missing.dueDate'), dataIndex: 'dueDate', render: (d: string) => formatDate(d) },
    { title: mt('missing.overdue'), dataIndex: 'daysOverdue', render: overdueTag },
    { title: mt('missing.assigned'), key: 'assigned', render: (_, r) => r.assignedName ?? <Typography.Text type="secondary">{mt('missing.unassigned')}</Typography.Text> },
    { title: mt('missing.flaggedAt'), dataIndex: 'flaggedAt', render: (d: string | null) => (d ? formatDateTime(d) : '') },
  ];

  const filters = (
    <Flex wrap gap={8} align="center">
      <DatePicker
        picker="month"
        allowClear={false}
        value={dayjs(period + '-01')}
        onChange={(d) => { if (d) { setPeriod(d.format('YYYY-MM')); setRouteId(undefined); setPage(1); } }}
        aria-label={mt('missing.period')}
        data-testid="missing-period"
      />
      <Select
        style={{ minWidth: 200 }}
        allowClear
        placeholder={mt('missing.allRoutes')}
        value={routeId}
        onChange={(v) => { setRouteId(v); setPage(1); }}
        options={routes.map((r) => ({ value: r.id, label: `${r.code} ${r.name}` }))}
        showSearch={{ optionFilterProp: 'label' }}
        data-testid="missing-route"
      />
      <Button icon={<ReloadOutlined />} onClick={() => void load()} loading={loading} aria-label="reload" />
      <Button type="primary" icon={<SearchOutlined />} onClick={() => void check()} loading={checking} data-testid="missing-check">
        {checking ? mt('missing.checking') : mt('missing.check')}
      </Button>
    </Flex>
  );

  return (
    <PageContainer crumbs={[{ title: mt('missing.group') }, { title: mt('missing.title') }]} title={mt('missing.title')}>
      <Space direction="vertical" size={12} style={{ width: '100%' }}>
        <Typography.Paragraph type="secondary" style={{ margin: 0 }}>{mt('missing.subtitle')}</Typography.Paragraph>
        <Card size="small">{filters}</Card>
        {error && <Alert type="error" showIcon message={error} data-testid="missing-error" />}
        {lastCheck && (
          <Alert type="info" showIcon data-testid="missing-last-check"
            message={mt('missing.checked', { asOf: lastCheck.asOf, grace: lastCheck.graceDays, missing: lastCheck.items.length, newly: lastCheck.newlyFlagged, cleared: lastCheck.cleared })} />
        )}
        <Typography.Text data-testid="missing-total">{data ? mt('missing.total', { total: data.total }) : ''}</Typography.Text>
        {screens.md ? (
          <Table<MissingItem>
            rowKey="taskId"
            size="small"
            loading={loading}
            columns={columns}
            dataSource={data?.items ?? []}
            locale={{ emptyText: mt('missing.none') }}
            pagination={{ current: page, pageSize: PAGE_SIZE, total: data?.total ?? 0, showSizeChanger: false, onChange: setPage }}
            data-testid="missing-table"
          />
        ) : (
          <List<MissingItem>
            loading={loading}
            dataSource={data?.items ?? []}
            locale={{ emptyText: mt('missing.none') }}
            pagination={data && data.total > PAGE_SIZE ? { current: page, pageSize: PAGE_SIZE, total: data.total, onChange: setPage, simple: true } : false}
            data-testid="missing-list"
            renderItem={(r) => (
              <List.Item>
                <List.Item.Meta
                  title={<Link to={`/archive/accounts/${r.account.id}`}><Mono value={r.account.accountNo} /> {r.account.name}</Link>}
                  description={<span>{r.route.code} · {formatDate(r.dueDate)} · {r.assignedName ?? mt('missing.unassigned')}</span>}
                />
                {overdueTag(r.daysOverdue)}
              </List.Item>
            )}
          />
        )}
      </Space>
    </PageContainer>
  );
}
