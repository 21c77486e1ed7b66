/** Small display pieces of the field app: task state tag, per-register sync outcome. */
import { Space, Tag, Typography } from 'antd';
import type { FieldTask } from './api';
import { useFT } from './i18n';
import type { FieldVisit, RegisterOutcome } from './queue';

export type TaskState = 'pending' | 'read' | 'exception' | 'skipped' | 'queued' | 'synced' | 'rejected';

/** What a task shows: the local visit wins over the (possibly stale) server status. */
export function taskState(task: FieldTask, visit: FieldVisit | null): TaskState {
  if (visit?.state === 'queued') return 'queued';
  if (visit?.state === 'rejected') return 'rejected';
  if (visit?.state === 'synced') return 'synced';
  return task.status;
}

/** Counts as read for the route's progress (the server's read/exception, or a local visit that was not refused). */
export function isDone(task: FieldTask, visit: FieldVisit | null): boolean {
  if (visit && (visit.state === 'queued' || visit.state === 'synced')) return true;
  return task.status !== 'pending';
}

const stateColor: Record<TaskState, string> = {
  pending: 'default', read: 'green', exception: 'orange', skipped: 'default', queued: 'gold', synced: 'blue', rejected: 'red',
};

export function TaskStateTag({ state, exceptionCode }: { state: TaskState; exceptionCode?: string | null }) {
  const { tx } = useFT();
  return (
    <Tag color={stateColor[state]} data-testid="field-task-status" data-state={state} style={{ marginInlineEnd: 0 }}>
      {tx(`f.status.${state}`, state)}
      {state === 'exception' && exceptionCode ? ` · ${tx(`f.exception.${exceptionCode}`, exceptionCode)}` : ''}
    </Tag>
  );
}

const outcomeColor: Record<RegisterOutcome['status'], string> = { accepted: 'green', pending_review: 'gold', rejected: 'red' };

/** One line per register: tag, and the rule message for review / rejection. */
export function OutcomeView({ visit, compact = false }: { visit: FieldVisit; compact?: boolean }) {
  const { t, tx, lang } = useFT();
  if (!visit.outcomes && visit.lastError) {
    return <Typography.Text type="danger" data-testid="field-outcome">{visit.lastError}</Typography.Text>;
  }
  if (!visit.outcomes) return null;
  return (
    <div data-testid="field-outcome" style={{ display: 'flex', flexDirection: 'column', gap: 4, minWidth: 0 }}>
      {visit.serverDuplicate && (
        <div>
          <Tag color="purple" data-testid="field-duplicate">{t('f.outcome.duplicate')}</Tag>
        </div>
      )}
      {visit.outcomes.map((o) => {
        const msgs = o.status === 'rejected'
          ? [o.message ? o.message[lang] : o.reason ?? '']
          : o.ruleResults.filter((r) => r.severity !== 'info' && o.status === 'pending_review').map((r) => r[lang]);
        return (
          <div key={o.register} data-testid={`field-outcome-${o.register}`} data-status={o.status} style={{ minWidth: 0 }}>
            <Space size={4} wrap>
              <Tag color={outcomeColor[o.status]} style={{ marginInlineEnd: 0 }}>
                {tx(`f.reg.${o.register}`, o.register)} · {tx(`f.outcome.${o.status}`, o.status)}
              </Tag>
              {!compact && o.value != null && <Typography.Text className="vl-mono">{o.value}</Typography.Text>}
            </Space>
            {msgs.filter(Boolean).map((m, i) => (
              <div key={i} style={{ fontSize: 12, color: o.status === 'rejected' ? '#cf1322' : '#ad6800', overflowWrap: 'anywhere' }}>{m}</div>
            ))}
          </div>
        );
      })}
    </div>
  );
}
