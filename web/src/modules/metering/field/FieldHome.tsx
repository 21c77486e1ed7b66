/**
 * Field app home: online state, unsynced badge and 同步, my routes of the period (today's and
 * overdue first) with progress, and the selected route's tasks in walking order.
 */
import { useMemo, useState } from 'react';
import { Alert, Badge, Button, Card, Empty, Flex, Progress, Segmented, Space, Spin, Tag, Typography } from 'antd';
import { CloudSyncOutlined, EnvironmentOutlined, ReloadOutlined, RightOutlined, WifiOutlined, DisconnectOutlined } from '@ant-design/icons';
import { Link, useSearchParams } from 'react-router-dom';
import { formatDateTime } from '../../../app/format';
import type { FieldTask, RouteTasks } from './api';
import { useField } from './context';
import { useFT } from './i18n';
import { isDone, OutcomeView, taskState, TaskStateTag, type TaskState } from './parts';

type Filter = 'all' | 'todo' | 'queued' | 'done';
const PAGE = 30;

function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

export function SyncBar() {
  const f = useField();
  const { t } = useFT();
  return (
    <Card size="small" styles={{ body: { padding: 12 } }} data-testid="field-syncbar">
      <Flex justify="space-between" align="center" wrap gap={8}>
        <Space size={6} wrap>
          <Tag icon={f.online ? <WifiOutlined /> : <DisconnectOutlined />} color={f.online ? 'green' : 'red'} data-testid="field-online" style={{ marginInlineEnd: 0 }}>
            {f.online ? t('f.online') : t('f.offline')}
          </Tag>
          {f.unsynced > 0 ? (
            <Badge color="#fa8c16" text={<span data-testid="field-unsynced" data-count={f.unsynced}>{t('f.unsynced', { n: f.unsynced })}</span>} />
          ) : (
            <Typography.Text type="secondary" data-testid="field-unsynced" data-count={0}>{t('f.allSynced')}</Typography.Text>
          )}
        </Space>
        <Button type="primary" size="large" icon={<CloudSyncOutlined />} loading={f.syncing} onClick={() => void f.sync(true)} data-testid="field-sync" style={{ minWidth: 96 }}>
          {f.syncing ? t('f.syncing') : t('f.sync')}
        </Button>
      </Flex>
      {f.lastSync && (
        <Typography.Text type="secondary" style={{ fontSize: 12, display: 'block', marginTop: 6 }} data-testid="field-last-sync">
          {t('f.lastSync', { time: formatDateTime(f.lastSync.at) })}
          {f.lastSync.report.stoppedBy ? ` · ${t('f.syncError', { why: f.lastSync.report.stoppedBy })}` : ''}
        </Typography.Text>
      )}
    </Card>
  );
}

function RouteCard({ rt, selected, onSelect }: { rt: RouteTasks; selected: boolean; onSelect: () => void }) {
  const f = useField();
  const { t } = useFT();
  const total = rt.items.length;
  let done = 0, queued = 0;
  for (const task of rt.items) {
    const v = f.visitOf(task.taskId);
    if (isDone(task, v)) done++;
    if (v?.state === 'queued') queued++;
  }
  const pendingDue = rt.items.filter((x) => x.status === 'pending' && !f.visitOf(x.taskId)).map((x) => x.dueDate).sort()[0];
  const due = pendingDue ?? rt.items[0]?.dueDate;
  const late = due ? daysBetween(due, f.today) : 0;
  return (
    <Card
      size="small"
      hoverable
      onClick={onSelect}
      data-testid={`field-route-${rt.route.id}`}
      data-selected={selected}
      style={{ borderColor: selected ? '#1677ff' : undefined, boxShadow: selected ? '0 0 0 1px #1677ff' : undefined, cursor: 'pointer' }}
      styles={{ body: { padding: 12 } }}
    >
      <Flex justify="space-between" align="center" gap={8}>
        <div style={{ minWidth: 0 }}>
          <Typography.Text strong ellipsis style={{ display: 'block' }}>{rt.route.name}</Typography.Text>
          <Space size={4} wrap>
            <Typography.Text type="secondary" className="vl-mono" style={{ fontSize: 12 }}>{rt.route.code}</Typography.Text>
            {pendingDue && late === 0 && <Tag color="blue">{t('f.route.today')}</Tag>}
            {pendingDue && late > 0 && <Tag color="red">{t('f.route.overdue', { days: late })}</Tag>}
            {due && (late < 0 || !pendingDue) && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('f.route.due', { date: due })}</Typography.Text>}
          </Space>
        </div>
        <div style={{ textAlign: 'right', flex: 'none' }}>
          <Typography.Text strong data-testid="field-route-progress" data-done={done} data-total={total}>{t('f.route.progress', { done, total })}</Typography.Text>
          {queued > 0 && <div style={{ fontSize: 12, color: '#d48806' }}>{t('f.route.queued', { n: queued })}</div>}
        </div>
      </Flex>
      <Progress percent={total ? Math.round((done / total) * 100) : 0} showInfo={false} size="small" style={{ margin: '6px 0 0' }} />
    </Card>
  );
}

function TaskCard({ task, routeId, state }: { task: FieldTask; routeId: number; state: TaskState }) {
  const f = useField();
  const { t } = useFT();
  const v = f.visitOf(task.taskId);
  return (
    <Link to={`task/${routeId}/${task.taskId}`} data-testid="field-task" data-task-id={task.taskId} data-seq={task.sequence} data-state={state} style={{ display: 'block', color: 'inherit' }}>
      <Card size="small" hoverable styles={{ body: { padding: 12 } }} style={{ marginBottom: 8 }}>
        <Flex justify="space-between" align="flex-start" gap={8}>
          <div style={{ minWidth: 0, flex: 1 }}>
            <Space size={6} wrap style={{ rowGap: 0 }}>
              <Typography.Text type="secondary">#{task.sequence}</Typography.Text>
              <Typography.Text strong className="vl-mono" data-testid="field-task-account">{task.account.accountNo}</Typography.Text>
              <Typography.Text strong>{task.account.name}</Typography.Text>
            </Space>
            <div style={{ fontSize: 13, color: '#595959', overflowWrap: 'anywhere' }}>
              <EnvironmentOutlined /> {task.account.address ?? '—'}
            </div>
            <div style={{ fontSize: 12, color: '#8c8c8c' }}>
              {t('f.meter')} <span className="vl-mono">{task.meter.assetNo}</span>
            </div>
          </div>
          <Flex vertical align="flex-end" gap={4} style={{ flex: 'none' }}>
            <TaskStateTag state={state} exceptionCode={v?.exceptionCode ?? task.exceptionCode} />
            <RightOutlined style={{ color: '#bfbfbf' }} />
          </Flex>
        </Flex>
        {v && v.state !== 'queued' && (
          <div style={{ marginTop: 6 }}>
            <OutcomeView visit={v} compact />
          </div>
        )}
      </Card>
    </Link>
  );
}

export default function FieldHome() {
  const f = useField();
  const { t } = useFT();
  const [params, setParams] = useSearchParams();
  const [filter, setFilter] = useState<Filter>('all');
  const [shown, setShown] = useState(PAGE);
  const routes = f.data?.routes ?? [];
  const selectedId = Number(params.get('route')) || routes[0]?.route.id;
  const selected = routes.find((r) => r.route.id === selectedId) ?? routes[0];

  const tasks = useMemo(() => {
    if (!selected) return [];
    return selected.items.map((task) => ({ task, state: taskState(task, f.visitOf(task.taskId)) })).filter(({ task, state }) => {
      if (filter === 'all') return true;
      if (filter === 'queued') return state === 'queued';
      const done = isDone(task, f.visitOf(task.taskId));
      return filter === 'done' ? done : !done;
    });
  }, [selected, filter, f]);

  return (
    <div data-testid="field-page" data-loading={f.loading} style={{ maxWidth: 720, margin: '0 auto', display: 'flex', flexDirection: 'column', gap: 12 }}>
      <Flex justify="space-between" align="center" wrap gap={8}>
        <Typography.Title level={4} style={{ margin: 0 }}>{t('f.title')}</Typography.Title>
        <Typography.Text type="secondary" data-testid="field-period">{t('f.period', { period: f.period })}</Typography.Text>
      </Flex>
      <SyncBar />
      <Flex justify="space-between" align="center" gap={8} wrap>
        <Segmented
          size="large"
          value={f.mine ? 'mine' : 'all'}
          onChange={(v) => f.setMine(v === 'mine')}
          options={[{ value: 'mine', label: <span data-testid="field-scope-mine">{t('f.scope.mine')}</span> }, { value: 'all', label: <span data-testid="field-scope-all">{t('f.scope.all')}</span> }]}
        />
        <Button icon={<ReloadOutlined />} size="large" onClick={() => void f.reload()} loading={f.loading && !!f.data} aria-label="reload" data-testid="field-reload" />
      </Flex>
      {f.data?.fromCache && !f.loading && (
        <Alert type="info" showIcon message={t('f.cached', { time: formatDateTime(f.data.fetchedAt) })} data-testid="field-cached" />
      )}
      {f.loadError && <Alert type="error" showIcon message={t('f.loadFailed', { why: f.loadError })} data-testid="field-load-error" />}
      {!f.data && f.loading && <Spin style={{ display: 'block', margin: '48px auto' }} />}
      {!f.data && !f.loading && !f.online && <Alert type="warning" showIcon message={t('f.empty.noCache')} data-testid="field-empty" />}
      {f.data && routes.length === 0 && (
        <Card data-testid="field-empty">
          <Empty
            description={
              <div>
                <div>{f.mine ? t('f.empty.mine', { period: f.period }) : t('f.empty.all', { period: f.period })}</div>
                <Typography.Text type="secondary">{t('f.empty.hint')}</Typography.Text>
              </div>
            }
          >
            {f.mine && <Button size="large" onClick={() => f.setMine(false)} data-testid="field-show-all">{t('f.empty.showAll')}</Button>}
          </Empty>
        </Card>
      )}
      {routes.length > 0 && (
        <div style={{ display: 'flex', flexDirection: 'column', gap: 8 }} data-testid="field-routes">
          {routes.map((rt) => (
            <RouteCard key={rt.route.id} rt={rt} selected={rt.route.id === selected?.route.id} onSelect={() => {
              setParams({ route: String(rt.route.id) }, { replace: true });
              setShown(PAGE);
            }} />
          ))}
        </div>
      )}
      {selected && (
        <div data-testid="field-tasks">
          <Segmented
            block
            size="large"
            value={filter}
            onChange={(v) => {
              setFilter(v as Filter);
              setShown(PAGE);
            }}
            options={(['all', 'todo', 'queued', 'done'] as Filter[]).map((k) => ({ value: k, label: <span data-testid={`field-filter-${k}`}>{t(`f.filter.${k}`)}</span> }))}
            style={{ marginBottom: 8 }}
          />
          {tasks.length === 0 && <Empty description={t('f.noTasksInFilter')} />}
          {tasks.slice(0, shown).map(({ task, state }) => (
            <TaskCard key={task.taskId} task={task} routeId={selected.route.id} state={state} />
          ))}
          {tasks.length > shown && (
            <Button block size="large" onClick={() => setShown(shown + PAGE)} data-testid="field-more">{t('f.more', { n: tasks.length - shown })}</Button>
          )}
        </div>
      )}
      {f.store && (
        <Typography.Text type="secondary" style={{ fontSize: 12, textAlign: 'center' }} data-testid="field-storage">
          {t('f.storage', { engine: f.store.engine === 'indexeddb' ? 'IndexedDB' : 'localStorage' })}
        </Typography.Text>
      )}
    </div>
  );
}
