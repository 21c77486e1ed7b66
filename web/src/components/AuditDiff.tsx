import { useEffect, useMemo, useState } from 'react';
import { Descriptions, Drawer, Grid, Table, Tag, Typography } from 'antd';
import type { AuditEvent } from '../api/types';
import { useI18n } from '../i18n';
import { formatDateTime } from '../app/format';
import { useFieldFormat } from './fieldValues';
import { api } from '../api/client';
import type { OrgUnit } from '../api/types';

/** id -> name of the org units the caller can see (for readable diffs); empty when not allowed. */
function useOrgUnitNames(enabled: boolean): Record<string, string> {
  const { pick } = useI18n();
  const [units, setUnits] = useState<OrgUnit[]>([]);
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    api
      .get<{ items: OrgUnit[] }>('/org-units')
      .then((r) => live && setUnits(r.items ?? []))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [enabled]);
  return useMemo(() => Object.fromEntries(units.map((u) => [String(u.id), pick(u.name, u.nameEn)])), [units, pick]);
}

function asRecord(v: unknown): Record<string, unknown> | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

interface DiffRow {
  key: string;
  before: unknown;
  after: unknown;
  changed: boolean;
}

/** Field-by-field before/after rows; changed rows first. */
export function diffRows(before: unknown, after: unknown): DiffRow[] {
  const b = asRecord(before);
  const a = asRecord(after);
  if (!b && !a) {
    if (before === undefined && after === undefined) return [];
    return [{ key: '(value)', before, after, changed: JSON.stringify(before) !== JSON.stringify(after) }];
  }
  const keys = Array.from(new Set([...Object.keys(b ?? {}), ...Object.keys(a ?? {})]));
  const rows = keys.map((key) => {
    const bv = b?.[key];
    const av = a?.[key];
    return { key, before: bv, after: av, changed: JSON.stringify(bv) !== JSON.stringify(av) };
  });
  return rows.sort((x, y) => Number(y.changed) - Number(x.changed));
}

export function AuditDiffDrawer({ event, onClose }: { event: AuditEvent | null; onClose: () => void }) {
  const { t } = useI18n();
  const org = useOrgUnitNames(!!event);
  const { fieldLabel, valueNode } = useFieldFormat(event?.entityType ?? 'account', { orgUnitId: org, parentId: org });
  const screens = Grid.useBreakpoint();
  const rows = event ? diffRows(event.before, event.after) : [];
  return (
    <Drawer open={!!event} onClose={onClose} title={t('audit.detail')} size={screens.md === false ? '100%' : 720} destroyOnHidden data-testid="audit-drawer">
      {event && (
        <>
          <Descriptions size="small" column={screens.md === false ? 1 : 2} bordered style={{ marginBottom: 16 }}>
            <Descriptions.Item label={t('audit.id')}>
              <span className="vl-mono">{String(event.id)}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t('audit.occurredAt')}>{formatDateTime(event.occurredAt)}</Descriptions.Item>
            <Descriptions.Item label={t('audit.actor')}>{event.actorName ?? event.actor ?? '-'}</Descriptions.Item>
            <Descriptions.Item label={t('audit.action')}>
              <Tag>{event.action}</Tag>
            </Descriptions.Item>
            <Descriptions.Item label={t('audit.entity')}>
              {event.entityType} <span className="vl-mono">#{String(event.entityId ?? '-')}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t('audit.requestId')}>
              <Typography.Text className="vl-mono" copyable={!!event.requestId}>
                {event.requestId ?? '-'}
              </Typography.Text>
            </Descriptions.Item>
          </Descriptions>
          <Table<DiffRow>
            size="small"
            rowKey="key"
            pagination={false}
            dataSource={rows}
            rowClassName={(r) => (r.changed ? 'vl-diff-changed' : '')}
            scroll={{ x: 520 }}
            data-testid="audit-diff"
            columns={[
              { title: t('audit.field'), dataIndex: 'key', width: 160, render: (k: string, r) => (r.changed ? <b>{fieldLabel(k)}</b> : fieldLabel(k)) },
              { title: t('audit.before'), dataIndex: 'before', render: (v, r) => <span style={{ wordBreak: 'break-all' }}>{valueNode(r.key, v)}</span> },
              { title: t('audit.after'), dataIndex: 'after', render: (v, r) => <span style={{ wordBreak: 'break-all' }}>{valueNode(r.key, v)}</span> },
            ]}
          />
        </>
      )}
    </Drawer>
  );
}
