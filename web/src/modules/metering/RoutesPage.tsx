/**
 * 抄表段管理: the billing supervisor's list of reading routes (供电所, 抄表例日, 抄表员, 户数,
 * this period's progress), an edit drawer (reading day, reader, status; optimistic version),
 * task generation for the selected routes and a billing period (each route's tasks go to its
 * reader), and a route's task list.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Card, Checkbox, DatePicker, Drawer, Flex, Form, Grid, Input, InputNumber, Pagination, Progress, Select, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { EditOutlined, ReloadOutlined, ThunderboltOutlined, UnorderedListOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { useI18n } from '../../i18n';
import { ApiError } from '../../api/client';
import { PageContainer } from '../../components/PageContainer';
import { Mono } from '../../components/Mono';
import { errorText, fieldMessage } from '../../components/errors';
import { formatDate, formatDateTime } from '../../app/format';
import { routesApi, thisPeriod, type GenerateResult, type ReaderOption, type RouteItem, type RouteTasks } from './routesApi';
import { usePT } from './pages.i18n';

const TASK_COLORS: Record<string, string> = { pending: 'default', read: 'green', exception: 'orange', skipped: 'default' };

export function TaskStatusTag({ status }: { status: string }) {
  const pt = usePT();
  return (
    <Tag color={TASK_COLORS[status] ?? 'blue'} data-testid="task-status">
      {pt(`routes.task.${status}` as 'routes.task.read')}
    </Tag>
  );
}

function RouteProgress({ r }: { r: RouteItem }) {
  const pt = usePT();
  const { total, read, exception } = r.tasks;
  if (!total) return <Typography.Text type="secondary">{pt('routes.noTasks')}</Typography.Text>;
  const done = read + exception;
  return (
    <div style={{ minWidth: 120 }} data-testid="route-progress">
      <Progress percent={Math.round((done * 100) / total)} size="small" status={exception ? 'exception' : done === total ? 'success' : 'active'} showInfo={false} />
      <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="route-progress-text">
        {pt('routes.progressText', { done, total })}
        {exception ? ` · ${pt('routes.task.exception')} ${exception}` : ''}
      </Typography.Text>
    </div>
  );
}

function EditDrawer({ route, onClose, onSaved }: { route: RouteItem | null; onClose: () => void; onSaved: () => void }) {
  const pt = usePT();
  const { t } = useI18n();
  const { message } = App.useApp();
  const screens = Grid.useBreakpoint();
  const [form] = Form.useForm();
  const [readers, setReaders] = useState<ReaderOption[]>([]);
  const [saving, setSaving] = useState(false);
  const [conflict, setConflict] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!route) return;
    setConflict(null);
    setError(null);
    form.resetFields();
    form.setFieldsValue({ name: route.name, readingDay: route.readingDay, readerUserId: route.reader?.id ?? null, status: route.status });
    routesApi.readers(route.id).then((r) => setReaders(r.items)).catch((e) => setError(errorText(t, e)));
  }, [route, form, t]);

  const save = async (v: { name: string; readingDay: number; readerUserId: number | null; status: 'active' | 'inactive' }) => {
    if (!route) return;
    setSaving(true);
    setError(null);
    try {
      await routesApi.update(route.id, { version: route.version, name: v.name, readingDay: v.readingDay, readerUserId: v.readerUserId ?? null, status: v.status });
      message.success(pt('routes.saved'));
      onSaved();
    } catch (e) {
      if (e instanceof ApiError && e.code === 'CONFLICT' && e.field === 'version') setConflict(Number(e.details?.currentVersion ?? 0));
      else if (e instanceof ApiError && e.field && ['name', 'readingDay', 'readerUserId', 'status'].includes(e.field)) form.setFields([{ name: e.field, errors: [fieldMessage(e)] }]);
      else setError(errorText(t, e));
    } finally {
      setSaving(false);
    }
  };

  const options = readers.map((u) => ({ value: u.id, label: `${u.name}（${u.username} · ${u.orgUnit.name}）` }));
  if (route?.reader && !readers.some((u) => u.id === route.reader!.id)) options.unshift({ value: route.reader.id, label: `${route.reader.name}（${route.reader.username}）` });

  return (
    <Drawer
      open={!!route}
      onClose={onClose}
      title={route ? pt('routes.editTitle', { code: route.code }) : ''}
      size={screens.md === false ? '100%' : 480}
      destroyOnHidden
      extra={
        <Space>
          <Button onClick={onClose}>{pt('mp.cancel')}</Button>
          <Button type="primary" loading={saving} onClick={() => form.submit()} data-testid="route-save" disabled={conflict !== null}>
            {pt('mp.save')}
          </Button>
        </Space>
      }
    >
      {conflict !== null && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 16 }}
          title={pt('routes.conflict', { version: conflict })}
          action={<Button size="small" onClick={onSaved}>{pt('routes.conflictReload')}</Button>}
          data-testid="route-conflict"
        />
      )}
      {error && <Alert type="error" showIcon style={{ marginBottom: 16 }} title={error} data-testid="route-error" />}
      <Form form={form} layout="vertical" onFinish={save}>
        <Form.Item name="name" label={pt('routes.name')} rules={[{ required: true, whitespace: true }]}>
          <Input maxLength={100} data-testid="route-name" />
        </Form.Item>
        <Form.Item name="readingDay" label={pt('routes.readingDay')} rules={[{ required: true }]}>
          <InputNumber min={1} max={31} precision={0} style={{ width: 160 }} data-testid="route-reading-day" />
        </Form.Item>
        <Form.Item name="readerUserId" label={pt('routes.reader')} extra={pt('routes.readerHint')}>
          <Select allowClear showSearch optionFilterProp="label" options={options} placeholder={pt('routes.noReader')} data-testid="route-reader" />
        </Form.Item>
        <Form.Item name="status" label={pt('routes.status')}>
          <Select options={(['active', 'inactive'] as const).map((s) => ({ value: s, label: pt(`routes.status.${s}`) }))} style={{ width: 160 }} />
        </Form.Item>
      </Form>
    </Drawer>
  );
}

function TasksDrawer({ route, period, onClose }: { route: RouteItem | null; period: string; onClose: () => void }) {
  const pt = usePT();
  const { t } = useI18n();
  const screens = Grid.useBreakpoint();
  const [data, setData] = useState<RouteTasks | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | undefined>();

  useEffect(() => {
    if (!route) return;
    setLoading(true);
    setError(null);
    setData(null);
    setStatus(undefined);
    routesApi.tasks(route.id, period).then(setData).catch((e) => setError(errorText(t, e))).finally(() => setLoading(false));
  }, [route, period, t]);

  const items = useMemo(() => (data?.items ?? []).filter((i) => !status || i.status === status), [data, status]);
  const columns: ColumnsType<RouteTasks['items'][number]> = [
    { title: pt('routes.seq'), dataIndex: 'sequence', width: 64 },
    { title: pt('routes.accountNo'), key: 'acc', width: 150, render: (_, r) => <Mono value={r.account.accountNo} copyable={false} /> },
    { title: pt('routes.accountName'), key: 'name', width: 120, ellipsis: true, render: (_, r) => r.account.name },
    { title: pt('routes.meter'), key: 'meter', width: 140, render: (_, r) => <Mono value={r.meter.assetNo} copyable={false} /> },
    { title: pt('routes.taskStatus'), dataIndex: 'status', width: 90, render: (s: string) => <TaskStatusTag status={s} /> },
    { title: pt('routes.dueDate'), dataIndex: 'dueDate', width: 110, render: (v: string) => formatDate(v) },
    { title: pt('routes.readAt'), dataIndex: 'readAt', width: 160, render: (v: string | null) => formatDateTime(v) },
    { title: pt('routes.exception'), dataIndex: 'exceptionCode', width: 100, render: (v: string | null) => v ?? '' },
  ];

  return (
    <Drawer
      open={!!route}
      onClose={onClose}
      size={screens.md === false ? '100%' : 960}
      title={route ? pt('routes.tasksTitle', { code: route.code, name: route.name, period }) : ''}
      destroyOnHidden
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      {data && (
        <Flex wrap gap={8} style={{ marginBottom: 12 }} data-testid="route-task-counts">
          {(['total', 'pending', 'read', 'exception', 'skipped'] as const).map((k) => (
            <Tag.CheckableTag key={k} checked={(status ?? 'total') === k} onChange={() => setStatus(k === 'total' ? undefined : k)} data-testid={`route-task-count-${k}`}>
              {pt(`routes.task.${k}`)} {data.counts[k]}
            </Tag.CheckableTag>
          ))}
        </Flex>
      )}
      <Table
        rowKey="taskId"
        size="small"
        loading={loading}
        columns={columns}
        dataSource={items}
        scroll={{ x: 930 }}
        pagination={{ pageSize: 50, showSizeChanger: false, size: 'small' }}
        data-testid="route-task-table"
      />
    </Drawer>
  );
}

export default function RoutesPage() {
  const pt = usePT();
  const { t } = useI18n();
  const { message } = App.useApp();
  const screens = Grid.useBreakpoint();
  const phone = screens.md === false;
  const [cardPage, setCardPage] = useState(1);
  const [period, setPeriod] = useState(thisPeriod());
  const [q, setQ] = useState('');
  const [items, setItems] = useState<RouteItem[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<number[]>([]);
  const [editing, setEditing] = useState<RouteItem | null>(null);
  const [viewing, setViewing] = useState<RouteItem | null>(null);
  const [generating, setGenerating] = useState(false);
  const [genResult, setGenResult] = useState<Array<GenerateResult['routes'][number] & { reader: string }> | null>(null);
  const [genError, setGenError] = useState<string | null>(null);

  const load = useCallback(() => {
    setLoading(true);
    setError(null);
    routesApi
      .list({ period })
      .then((r) => setItems(r.items))
      .catch((e) => setError(errorText(t, e)))
      .finally(() => setLoading(false));
  }, [period, t]);
  useEffect(load, [load]);

  const shown = useMemo(() => {
    const s = q.trim().toLowerCase();
    return s ? items.filter((r) => r.code.toLowerCase().includes(s) || r.name.toLowerCase().includes(s) || r.orgUnit.name.includes(s)) : items;
  }, [items, q]);

  /** One generate call per reader: each route's tasks are assigned to that route's reader. */
  const generate = async () => {
    const routes = items.filter((r) => selected.includes(r.id));
    if (!routes.length) return;
    setGenerating(true);
    setGenError(null);
    const groups = new Map<number, RouteItem[]>();
    for (const r of routes) groups.set(r.reader?.id ?? 0, [...(groups.get(r.reader?.id ?? 0) ?? []), r]);
    const out: Array<GenerateResult['routes'][number] & { reader: string }> = [];
    try {
      for (const [readerId, rs] of groups) {
        const res = await routesApi.generate(period, rs.map((r) => r.id), readerId || null);
        for (const x of res.routes) out.push({ ...x, reader: rs[0].reader?.name ?? pt('routes.noReader') });
      }
      message.success(pt('routes.generateDone', { period }));
    } catch (e) {
      setGenError(errorText(t, e));
    } finally {
      setGenResult(out.length ? out : null);
      setGenerating(false);
      load();
    }
  };

  const columns: ColumnsType<RouteItem> = [
    {
      title: pt('routes.code'),
      dataIndex: 'code',
      width: 120,
      fixed: 'left',
      render: (v: string, r) => (
        <Button type="link" size="small" style={{ padding: 0 }} onClick={() => setViewing(r)} data-testid="route-code">
          <span className="vl-mono">{v}</span>
        </Button>
      ),
    },
    {
      title: pt('routes.name'),
      dataIndex: 'name',
      width: 150,
      ellipsis: true,
      render: (v: string, r) => (
        <>
          {v}
          {r.status === 'inactive' && <Tag style={{ marginLeft: 4 }}>{pt('routes.status.inactive')}</Tag>}
        </>
      ),
    },
    { title: pt('routes.orgUnit'), key: 'org', width: 110, render: (_, r) => r.orgUnit.name },
    { title: pt('routes.readingDay'), dataIndex: 'readingDay', width: 100, render: (d: number) => <span data-testid="route-reading-day-cell">{pt('routes.readingDayValue', { day: d })}</span> },
    {
      title: pt('routes.reader'),
      key: 'reader',
      width: 130,
      render: (_, r) => (r.reader ? <span data-testid="route-reader-cell">{r.reader.name}</span> : <Typography.Text type="secondary" data-testid="route-reader-cell">{pt('routes.noReader')}</Typography.Text>),
    },
    { title: pt('routes.accounts'), dataIndex: 'accountCount', width: 80, align: 'right', render: (n: number) => <span data-testid="route-accounts">{n}</span> },
    { title: pt('routes.progress'), key: 'progress', width: 160, render: (_, r) => <RouteProgress r={r} /> },
    {
      title: pt('mp.actions'),
      key: 'actions',
      width: 150,
      render: (_, r) => (
        <Space size={0}>
          <Button type="link" size="small" icon={<EditOutlined />} onClick={() => setEditing(r)} data-testid="route-edit">
            {pt('routes.edit')}
          </Button>
          <Button type="link" size="small" icon={<UnorderedListOutlined />} onClick={() => setViewing(r)} data-testid="route-view-tasks">
            {pt('routes.tasks')}
          </Button>
        </Space>
      ),
    },
  ];

  return (
    <PageContainer crumbs={[{ title: pt('mp.group') }, { title: pt('routes.title') }]} title={pt('routes.title')}>
      <Typography.Paragraph type="secondary">{pt('routes.subtitle')}</Typography.Paragraph>
      <Card style={{ marginBottom: 16 }} styles={{ body: { padding: 12 } }}>
        <Flex wrap gap={8} align="center">
          <span>{pt('routes.period')}</span>
          <span data-testid="route-period">
            <DatePicker picker="month" allowClear={false} value={dayjs(`${period}-01`)} onChange={(d) => d && setPeriod(d.format('YYYY-MM'))} style={{ width: 130 }} />
          </span>
          <Input.Search allowClear placeholder={pt('routes.search')} style={{ width: 200, maxWidth: '100%' }} onSearch={(v) => { setQ(v); setCardPage(1); }} onChange={(e) => !e.target.value && setQ('')} data-testid="route-search" />
          <Button icon={<ReloadOutlined />} onClick={load}>
            {pt('mp.reload')}
          </Button>
          <Button type="primary" icon={<ThunderboltOutlined />} disabled={!selected.length} loading={generating} onClick={generate} data-testid="route-generate">
            {pt('routes.generate')}
          </Button>
          <Typography.Text type="secondary" data-testid="route-selected">
            {selected.length ? pt('routes.selected', { n: selected.length }) : pt('routes.generateNone')}
          </Typography.Text>
        </Flex>
      </Card>
      {genError && <Alert type="error" showIcon closable title={genError} style={{ marginBottom: 16 }} onClose={() => setGenError(null)} data-testid="route-gen-error" />}
      {genResult && (
        <Card size="small" title={`${pt('routes.generateResult')} · ${period}`} style={{ marginBottom: 16 }} extra={<Button size="small" type="text" onClick={() => setGenResult(null)}>{pt('mp.close')}</Button>} data-testid="route-gen-result">
          <Table
            rowKey="routeId"
            size="small"
            pagination={false}
            scroll={{ x: 420 }}
            dataSource={genResult}
            columns={[
              { title: pt('routes.code'), dataIndex: 'routeCode', render: (v: string) => <span className="vl-mono">{v}</span> },
              { title: pt('routes.dueDate'), dataIndex: 'dueDate' },
              { title: pt('routes.assignedTo'), dataIndex: 'reader' },
              { title: pt('routes.created'), key: 'n', render: (_, r) => <span data-testid="route-gen-created">{pt('routes.createdValue', { created: r.created, total: r.total })}</span> },
            ]}
          />
        </Card>
      )}
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="route-list-error" />}
      {phone ? (
        <div data-testid="route-cards">
          {shown.slice((cardPage - 1) * 20, cardPage * 20).map((r) => (
            <Card key={r.id} size="small" style={{ marginBottom: 8 }} data-testid="route-card">
              <Flex justify="space-between" align="center" gap={8} wrap>
                <Space size={4}>
                  <Checkbox checked={selected.includes(r.id)} onChange={(e) => setSelected((s) => (e.target.checked ? [...s, r.id] : s.filter((x) => x !== r.id)))} />
                  <Button type="link" size="small" style={{ padding: 0 }} onClick={() => setViewing(r)} data-testid="route-code">
                    <span className="vl-mono">{r.code}</span>
                  </Button>
                  <span>{r.name}</span>
                  {r.status === 'inactive' && <Tag>{pt('routes.status.inactive')}</Tag>}
                </Space>
              </Flex>
              <div style={{ margin: '4px 0', color: 'rgba(0,0,0,0.65)' }}>
                {r.orgUnit.name} · <span data-testid="route-reading-day-cell">{pt('routes.readingDayValue', { day: r.readingDay })}</span> · <span data-testid="route-reader-cell">{r.reader ? r.reader.name : pt('routes.noReader')}</span> · {pt('routes.accounts')}{' '}
                <span data-testid="route-accounts">{r.accountCount}</span>
              </div>
              <RouteProgress r={r} />
              <Space size={0}>
                <Button type="link" size="small" icon={<EditOutlined />} onClick={() => setEditing(r)} data-testid="route-edit">
                  {pt('routes.edit')}
                </Button>
                <Button type="link" size="small" icon={<UnorderedListOutlined />} onClick={() => setViewing(r)} data-testid="route-view-tasks">
                  {pt('routes.tasks')}
                </Button>
              </Space>
            </Card>
          ))}
          {shown.length > 20 && <Pagination size="small" current={cardPage} pageSize={20} total={shown.length} onChange={setCardPage} showSizeChanger={false} />}
        </div>
      ) : (
        <Table
          rowKey="id"
          size="middle"
          loading={loading}
          columns={columns}
          dataSource={shown}
          rowSelection={{ selectedRowKeys: selected, onChange: (keys) => setSelected(keys as number[]) }}
          scroll={{ x: 1000 }}
          pagination={{ defaultPageSize: 20, showSizeChanger: true, pageSizeOptions: [10, 20, 50, 100], showTotal: (n) => pt('routes.count', { n }), size: 'small' }}
          data-testid="route-table"
        />
      )}
      <EditDrawer
        route={editing}
        onClose={() => setEditing(null)}
        onSaved={() => {
          setEditing(null);
          load();
        }}
      />
      <TasksDrawer route={viewing} period={period} onClose={() => setViewing(null)} />
    </PageContainer>
  );
}
