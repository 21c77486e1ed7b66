/**
 * 业扩工作队列: open requests in the user's scope, soonest stage due first, with working days
 * left (green), due soon (orange) and overdue (red). Filters: role, stage status, mine, overdue,
 * number/applicant. On a phone the rows become cards (no horizontal scroll).
 */
import { useCallback, useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { Alert, Button, Card, Checkbox, Flex, Grid, Input, List, Select, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { CalendarOutlined, FieldTimeOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { PageContainer } from '../../components/PageContainer';
import { Mono } from '../../components/Mono';
import { errorText } from '../../components/errors';
import { useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { hasPerm, serviceApi, SLA_COLORS, type QueueItem } from './api';
import { useL, useST, type SKey } from './i18n';
import { useAT } from './adminI18n';

export function DaysLeft({ item }: { item: Pick<QueueItem, 'daysLeft' | 'slaStatus' | 'paused' | 'status'> }) {
  const st = useST();
  if (item.status !== 'open') return <Tag data-testid="days-left">{st(`svc.status.${item.status}` as SKey)}</Tag>;
  if (item.paused) return <Tag data-testid="days-left" data-sla="paused">{st('svc.paused')}</Tag>;
  if (item.daysLeft === null || item.slaStatus === 'none') return <Tag data-testid="days-left" data-sla="none">{st('svc.sla.none')}</Tag>;
  const text = item.daysLeft < 0 ? st('svc.overdueBy', { n: -item.daysLeft }) : st('svc.left', { n: item.daysLeft });
  return (
    <Tag color={SLA_COLORS[item.slaStatus ?? 'ok']} data-testid="days-left" data-sla={item.slaStatus ?? ''}>
      {text}
    </Tag>
  );
}

export default function QueuePage() {
  const st = useST();
  const at = useAT();
  const l = useL();
  const { t } = useI18n();
  const { user } = useAuth();
  const nav = useNavigate();
  const screens = Grid.useBreakpoint();
  const [role, setRole] = useState<string | undefined>(undefined);
  const [status, setStatus] = useState('open');
  const [mine, setMine] = useState(false);
  const [overdue, setOverdue] = useState(false);
  const [q, setQ] = useState('');
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(20);
  const [data, setData] = useState<{ items: QueueItem[]; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const load = useCallback(async () => {
    setLoading(true);
    setError(null);
    try {
      setData(await serviceApi.list({ role, status, mine: mine || undefined, overdue: overdue || undefined, q, page, pageSize }));
    } catch (e) {
      setError(errorText(t, e));
    } finally {
      setLoading(false);
    }
  }, [role, status, mine, overdue, q, page, pageSize, t]);

  useEffect(() => {
    void load();
  }, [load]);

  const columns: ColumnsType<QueueItem> = [
    { title: st('svc.requestNo'), dataIndex: 'requestNo', render: (v: string, r) => <Link to={`/service/${r.id}`} data-testid="queue-link"><Mono value={v} copyable={false} /></Link> },
    { title: st('svc.type'), dataIndex: 'typeName', render: (v) => l(v) },
    { title: st('svc.stage'), dataIndex: 'stageName', render: (v, r) => (v ? l(v) : st(`svc.status.${r.status}` as SKey)) },
    { title: st('svc.applicant'), dataIndex: 'applicantName' },
    { title: st('svc.orgUnit'), dataIndex: 'orgUnitName', responsive: ['lg'] },
    { title: st('svc.dueOn'), dataIndex: 'stageDueOn', render: (v) => v ?? '-' },
    { title: st('svc.daysLeft'), dataIndex: 'daysLeft', render: (_v, r) => <DaysLeft item={r} /> },
    { title: st('svc.promisedOn'), dataIndex: 'promisedOn', responsive: ['lg'] },
    { title: st('svc.assignee'), dataIndex: 'assigneeName', render: (v) => v ?? '-', responsive: ['xl'] },
  ];

  return (
    <PageContainer
      crumbs={[{ title: st('svc.group') }, { title: st('svc.queue') }]}
      title={st('svc.queue')}
      extra={
        <Space>
          <Button icon={<ReloadOutlined />} onClick={() => void load()} />
          {hasPerm(user?.permissions, 'role.write') && <Button icon={<CalendarOutlined />} onClick={() => nav('/service/calendar')} data-testid="queue-calendar">{at('adm.calendar')}</Button>}
          {hasPerm(user?.permissions, 'role.write') && <Button icon={<FieldTimeOutlined />} onClick={() => nav('/service/sla')} data-testid="queue-sla">{at('adm.sla')}</Button>}
          {hasPerm(user?.permissions, 'request.handle') && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => nav('/service/new')} data-testid="queue-new">
              {st('svc.new')}
            </Button>
          )}
        </Space>
      }
    >
      <Card size="small" style={{ marginBottom: 12 }}>
        <Flex wrap gap={8} align="center">
          <Select
            style={{ width: 150 }} allowClear placeholder={st('svc.filter.role')} value={role} onChange={(v) => { setRole(v); setPage(1); }}
            options={['counter_clerk', 'service_engineer'].map((r) => ({ value: r, label: st(`svc.role.${r}` as SKey) }))} data-testid="queue-role"
          />
          <Select
            style={{ width: 130 }} value={status} onChange={(v) => { setStatus(v); setPage(1); }} data-testid="queue-status"
            options={['open', 'completed', 'rejected', 'cancelled', 'all'].map((s) => ({ value: s, label: s === 'all' ? st('svc.filter.all') : st(`svc.status.${s}` as SKey) }))}
          />
          <Checkbox checked={mine} onChange={(e) => { setMine(e.target.checked); setPage(1); }}>{st('svc.filter.mine')}</Checkbox>
          <Checkbox checked={overdue} onChange={(e) => { setOverdue(e.target.checked); setPage(1); }} data-testid="queue-overdue">{st('svc.filter.overdue')}</Checkbox>
          <Input.Search style={{ width: 220, maxWidth: '100%' }} allowClear placeholder={st('svc.search')} onSearch={(v) => { setQ(v); setPage(1); }} data-testid="queue-search" />
        </Flex>
      </Card>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} />}
      {screens.md ? (
        <Table<QueueItem>
          rowKey="id" size="middle" loading={loading} columns={columns} dataSource={data?.items ?? []} data-testid="queue-table"
          pagination={{ current: page, pageSize, total: data?.total ?? 0, showSizeChanger: true, pageSizeOptions: [10, 20, 50, 100], onChange: (p, s) => { setPage(p); setPageSize(s); } }}
        />
      ) : (
        <List
          loading={loading} dataSource={data?.items ?? []} data-testid="queue-list"
          pagination={{ current: page, pageSize, total: data?.total ?? 0, size: 'small', onChange: (p) => setPage(p) }}
          renderItem={(r) => (
            <List.Item key={r.id}>
              <Card size="small" style={{ width: '100%' }} onClick={() => nav(`/service/${r.id}`)} data-testid="queue-card">
                <Flex justify="space-between" wrap gap={4}>
                  <Typography.Text strong>{l(r.typeName)}</Typography.Text>
                  <DaysLeft item={r} />
                </Flex>
                <div><Mono value={r.requestNo} copyable={false} /></div>
                <Typography.Text type="secondary">{r.applicantName} · {r.stageName ? l(r.stageName) : ''} · {r.stageDueOn ?? ''}</Typography.Text>
              </Card>
            </List.Item>
          )}
        />
      )}
    </PageContainer>
  );
}
