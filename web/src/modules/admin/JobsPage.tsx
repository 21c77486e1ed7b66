/**
 * 系统管理 → 定时任务 (Scheduled jobs): the jobs `voltline serve` runs on its own (late fees,
 * prepaid deduction, SLA check, missing readings, reconnection check, SMS outbox) with their
 * schedule, last run and next run, and 立即执行 to run one now (audited on the server).
 */
import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Table, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { PlayCircleOutlined, ReloadOutlined } from '@ant-design/icons';
import { api } from '../../api/client';
import { useI18n } from '../../i18n';
import { formatDateTime } from '../../app/format';
import { PageContainer } from '../../components/PageContainer';
import { errorText } from '../../components/errors';

interface JobRun {
  id: number;
  jobName: string;
  trigger: 'schedule' | 'manual';
  triggeredBy: number | null;
  startedAt: string;
  finishedAt: string | null;
  status: 'running' | 'ok' | 'failed';
  summary: unknown;
  error: string | null;
}

interface JobStatus {
  name: string;
  schedule: string | number;
  scheduleText: string;
  description: { zh: string; en: string } | null;
  running: boolean;
  nextRunAt: string | null;
  lastRun: JobRun | null;
}

interface JobList {
  scheduler: { enabled: boolean };
  items: JobStatus[];
}

const STATUS_COLOR: Record<JobRun['status'], string> = { running: 'processing', ok: 'success', failed: 'error' };
const STATUS_KEY = { running: 'jobs.status.running', ok: 'jobs.status.ok', failed: 'jobs.status.failed' } as const;

export default function JobsPage() {
  const { t, pick } = useI18n();
  const { message } = App.useApp();
  const [data, setData] = useState<JobList | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [runningNow, setRunningNow] = useState<string | null>(null);

  const load = useCallback(async () => {
    setLoading(true);
    try {
      setData(await api.get<JobList>('/system/jobs'));
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const runNow = async (name: string) => {
    setRunningNow(name);
    try {
      const r = await api.post<JobRun>(`/system/jobs/${encodeURIComponent(name)}/run`);
      if (r.status === 'ok') message.success(t('jobs.runOk', { name }));
      else message.error(t('jobs.runFailed', { name, error: r.error ?? '' }));
    } catch (e) {
      message.error(errorText(t, e));
    } finally {
      setRunningNow(null);
      void load();
    }
  };

  const scheduleLabel = (s: string | number) => (typeof s === 'number' ? t('jobs.every', { seconds: s }) : t('jobs.daily', { time: s }));
  const statusTag = (s: JobRun['status']) => <Tag color={STATUS_COLOR[s]}>{t(STATUS_KEY[s])}</Tag>;

  const columns: ColumnsType<JobStatus> = [
    {
      title: t('jobs.name'),
      dataIndex: 'name',
      render: (v: string, r) => (
        <div>
          <span className="vl-mono">{v}</span>
          {r.description && <div style={{ color: 'rgba(0,0,0,0.55)', fontSize: 12 }}>{pick(r.description.zh, r.description.en)}</div>}
        </div>
      ),
    },
    { title: t('jobs.schedule'), dataIndex: 'schedule', width: 150, render: (v: string | number) => scheduleLabel(v) },
    {
      title: t('jobs.state'),
      width: 110,
      render: (_, r) => (r.running ? statusTag('running') : r.lastRun ? statusTag(r.lastRun.status) : <Tag>{t('jobs.never')}</Tag>),
    },
    {
      title: t('jobs.lastRun'),
      width: 190,
      render: (_, r) =>
        r.lastRun ? (
          <div>
            <div>{formatDateTime(r.lastRun.startedAt)}</div>
            <div style={{ fontSize: 12, color: 'rgba(0,0,0,0.55)' }}>
              {t(r.lastRun.trigger === 'manual' ? 'jobs.trigger.manual' : 'jobs.trigger.schedule')}
              {r.lastRun.finishedAt && ` · ${((Date.parse(r.lastRun.finishedAt) - Date.parse(r.lastRun.startedAt)) / 1000).toFixed(1)} s`}
            </div>
          </div>
        ) : (
          '-'
        ),
    },
    { title: t('jobs.nextRun'), dataIndex: 'nextRunAt', width: 170, render: (v: string | null) => (v ? formatDateTime(v) : '-') },
    {
      title: t('jobs.result'),
      ellipsis: true,
      render: (_, r) => {
        if (!r.lastRun) return '-';
        const text = r.lastRun.error ?? (r.lastRun.summary == null ? '' : JSON.stringify(r.lastRun.summary));
        return (
          <Tooltip title={<span style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>{text}</span>}>
            <Typography.Text type={r.lastRun.error ? 'danger' : undefined} className="vl-mono" style={{ fontSize: 12 }} data-testid={`job-result-${r.name}`}>
              {text || '-'}
            </Typography.Text>
          </Tooltip>
        );
      },
    },
    {
      title: '',
      width: 120,
      fixed: 'right',
      render: (_, r) => (
        <Button
          size="small"
          type="primary"
          ghost
          icon={<PlayCircleOutlined />}
          loading={runningNow === r.name}
          disabled={r.running || (runningNow !== null && runningNow !== r.name)}
          onClick={() => runNow(r.name)}
          data-testid={`job-run-${r.name}`}
        >
          {t('jobs.runNow')}
        </Button>
      ),
    },
  ];

  return (
    <PageContainer
      crumbs={[{ title: t('menu.system') }, { title: t('menu.jobs') }]}
      title={t('jobs.title')}
      extra={
        <Button icon={<ReloadOutlined />} onClick={() => void load()} loading={loading} data-testid="jobs-refresh">
          {t('jobs.refresh')}
        </Button>
      }
    >
      {error != null && <Alert type="error" showIcon message={errorText(t, error)} style={{ marginBottom: 16 }} />}
      {data && !data.scheduler.enabled && (
        <Alert type="warning" showIcon message={t('jobs.schedulerOff')} style={{ marginBottom: 16 }} data-testid="jobs-scheduler-off" />
      )}
      <Table<JobStatus>
        rowKey="name"
        size="middle"
        loading={loading && !data}
        columns={columns}
        dataSource={data?.items ?? []}
        pagination={false}
        scroll={{ x: 1000 }}
        data-testid="jobs-table"
      />
    </PageContainer>
  );
}
