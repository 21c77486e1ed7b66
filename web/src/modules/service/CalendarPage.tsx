/**
 * 节假日日历 (/service/calendar): one year as a month grid with the State Council holidays (休)
 * and 调休 working weekends (班); a provisional year (notice not yet published, e.g. 2027) shows
 * a warning banner. Administrators (role.write) click a day to add / change / remove it and
 * import a whole year as JSON (replaces the year). Staff with request.handle or stats.read see
 * it read-only. On a phone the months stack in one column (no horizontal scroll).
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { Alert, App, Button, Card, Checkbox, Flex, Form, Input, List, Modal, Popconfirm, Select, Space, Tag, Typography } from 'antd';
import { DeleteOutlined, EditOutlined, ImportOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { PageContainer } from '../../components/PageContainer';
import { errorText } from '../../components/errors';
import { ApiError } from '../../api/client';
import { useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { hasPerm } from './api';
import { adminApi, type CalendarDay, type CalendarResponse } from './adminApi';
import { useAT } from './adminI18n';
import { useST } from './i18n';

const pad = (n: number) => String(n).padStart(2, '0');
const dow = (d: string) => new Date(d + 'T00:00:00Z').getUTCDay();
const daysIn = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

const COLORS = { holiday: '#fff1f0', holidayText: '#cf1322', workday: '#e6f4ff', workdayText: '#0958d9', weekendText: '#8c8c8c' };

function MonthGrid({ year, month, byDay, onPick, weekdayNames, title }: {
  year: number; month: number; byDay: Map<string, CalendarDay>; onPick?: (day: string) => void; weekdayNames: string[]; title: string;
}) {
  const first = (dow(`${year}-${pad(month)}-01`) + 6) % 7; // Monday first
  const n = daysIn(year, month);
  const cells: Array<string | null> = [...Array(first).fill(null), ...Array.from({ length: n }, (_, i) => `${year}-${pad(month)}-${pad(i + 1)}`)];
  while (cells.length % 7) cells.push(null);
  return (
    <Card size="small" title={title} data-testid={`cal-month-${month}`} styles={{ body: { padding: 8 } }}>
      <div style={{ display: 'grid', gridTemplateColumns: 'repeat(7, minmax(0, 1fr))', gap: 2, textAlign: 'center', fontSize: 12 }}>
        {weekdayNames.map((w) => <div key={w} style={{ color: COLORS.weekendText }}>{w}</div>)}
        {cells.map((d, i) => {
          if (!d) return <div key={`e${i}`} />;
          const e = byDay.get(d);
          const wd = dow(d);
          const weekend = wd === 0 || wd === 6;
          const bg = e?.kind === 'holiday' ? COLORS.holiday : e?.kind === 'workday' ? COLORS.workday : undefined;
          const color = e?.kind === 'holiday' ? COLORS.holidayText : e?.kind === 'workday' ? COLORS.workdayText : weekend ? COLORS.weekendText : undefined;
          return (
            <div
              key={d} data-day={d} data-kind={e?.kind ?? (weekend ? 'weekend' : 'normal')} title={e ? `${d} ${e.name}` : d}
              onClick={onPick ? () => onPick(d) : undefined}
              style={{ background: bg, color, borderRadius: 4, padding: '2px 0', cursor: onPick ? 'pointer' : 'default', lineHeight: '15px', minWidth: 0, outline: e?.provisional ? '1px dashed #faad14' : undefined }}
            >
              <div>{Number(d.slice(8))}</div>
              <div style={{ fontSize: 10, height: 12 }}>{e?.kind === 'holiday' ? '休' : e?.kind === 'workday' ? '班' : ''}</div>
            </div>
          );
        })}
      </div>
    </Card>
  );
}

interface DayForm {
  day: string;
  kind: 'holiday' | 'workday';
  name: string;
  source: string;
}

export default function CalendarPage() {
  const at = useAT();
  const st = useST();
  const { t } = useI18n();
  const { message } = App.useApp();
  const { user } = useAuth();
  const admin = hasPerm(user?.permissions, 'role.write');
  const [params, setParams] = useSearchParams();
  const thisYear = Number(new Date().toISOString().slice(0, 4));
  const year = Number(params.get('year')) || thisYear;
  const [data, setData] = useState<CalendarResponse | null>(null);
  const [years, setYears] = useState<number[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [editing, setEditing] = useState<{ existing: CalendarDay | null } | null>(null);
  const [importOpen, setImportOpen] = useState(false);
  const [importText, setImportText] = useState('');
  const [importProvisional, setImportProvisional] = useState(false);
  const [importError, setImportError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<DayForm>();

  const load = useCallback(async () => {
    setLoading(true);
    setError(null);
    try {
      const [y, all] = await Promise.all([adminApi.calendar(year), adminApi.allYears()]);
      setData(y);
      const ys = new Set<number>([...all.coveredYears, ...all.provisionalYears, thisYear, thisYear + 1, year]);
      setYears([...ys].sort());
    } catch (e) {
      setError(errorText(t, e));
    } finally {
      setLoading(false);
    }
  }, [year, thisYear, t]);

  useEffect(() => {
    void load();
  }, [load]);

  const byDay = useMemo(() => new Map((data?.items ?? []).map((d) => [d.day, d])), [data]);
  const provisional = !!data && (data.provisionalYears.includes(year) || data.items.some((d) => d.provisional));
  const defaultSource = data?.items[0]?.source ?? '';
  const weekdayNames = at('adm.weekdayNames').split(',');

  const openDay = (day: string | null) => {
    const existing = day ? byDay.get(day) ?? null : null;
    const weekend = day ? [0, 6].includes(dow(day)) : false;
    form.resetFields();
    form.setFieldsValue(existing ? { day: existing.day, kind: existing.kind, name: existing.name, source: existing.source } : { day: day ?? `${year}-`, kind: weekend ? 'workday' : 'holiday', name: '', source: defaultSource });
    setEditing({ existing });
  };

  const saveDay = async () => {
    const v = await form.validateFields();
    setBusy(true);
    try {
      await adminApi.upsertDays([{ day: v.day.trim(), kind: v.kind, name: v.name, source: v.source }]);
      message.success(at('adm.saved'));
      setEditing(null);
      await load();
    } catch (e) {
      const f = e instanceof ApiError ? e.field?.replace(/^items\.\d+\./, '') : undefined;
      if (f && ['day', 'kind', 'name', 'source'].includes(f)) form.setFields([{ name: f as keyof DayForm, errors: [`${e instanceof ApiError ? e.field : f}: ${(e as Error).message}`] }]);
      else message.error(errorText(t, e));
    } finally {
      setBusy(false);
    }
  };

  const removeDay = async (day: string) => {
    try {
      await adminApi.deleteDay(day);
      message.success(at('adm.deleted'));
      setEditing(null);
      await load();
    } catch (e) {
      message.error(errorText(t, e));
    }
  };

  const runImport = async () => {
    setImportError(null);
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(importText) as Record<string, unknown>;
    } catch (e) {
      setImportError(at('adm.badJson', { msg: (e as Error).message }));
      return;
    }
    if (obj && typeof obj === 'object' && obj.years && typeof obj.years === 'object') {
      const y = (obj.years as Record<string, Record<string, unknown>>)[String(year)] ?? (obj.provisional as Record<string, Record<string, unknown>> | undefined)?.[String(year)];
      if (!y) {
        setImportError(at('adm.noYearInFile', { year }));
        return;
      }
      obj = { ...y, year };
    }
    const body = { ...obj, year: obj.year ?? year, ...(importProvisional ? { provisional: true } : {}) };
    setBusy(true);
    try {
      const r = await adminApi.importYear(body);
      message.success(at('adm.importDone', { year: r.year, h: r.holidays, w: r.workdays, r: r.replaced }));
      setImportOpen(false);
      if (r.year !== year) setParams({ year: String(r.year) });
      else await load();
    } catch (e) {
      setImportError(e instanceof ApiError && e.field ? `${e.field}: ${e.message}` : errorText(t, e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <PageContainer
      crumbs={[{ title: st('svc.group') }, { title: at('adm.calendar') }]}
      title={at('adm.calendar')}
      extra={
        <Space wrap>
          <Select
            style={{ width: 100 }} value={year} onChange={(v) => setParams({ year: String(v) })} data-testid="cal-year"
            options={years.map((y) => ({ value: y, label: String(y) }))} aria-label={at('adm.year')}
          />
          <Button icon={<ReloadOutlined />} onClick={() => void load()} aria-label={at('adm.reload')} />
          {admin && <Button icon={<PlusOutlined />} onClick={() => openDay(null)} data-testid="cal-add">{at('adm.addDay')}</Button>}
          {admin && <Button icon={<ImportOutlined />} onClick={() => { setImportText(''); setImportError(null); setImportProvisional(false); setImportOpen(true); }} data-testid="cal-import">{at('adm.import')}</Button>}
        </Space>
      }
    >
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} />}
      {provisional && <Alert type="warning" showIcon message={at('adm.provisionalBanner', { year })} style={{ marginBottom: 12 }} data-testid="cal-provisional" />}
      {data && !provisional && data.items.length === 0 && <Alert type="info" showIcon message={at('adm.notCovered', { year })} style={{ marginBottom: 12 }} data-testid="cal-not-covered" />}
      {!admin && <Typography.Paragraph type="secondary">{at('adm.readOnly')}</Typography.Paragraph>}
      <Flex gap={12} wrap align="center" style={{ marginBottom: 12 }}>
        <Tag color="red">休 {at('adm.holiday')}</Tag>
        <Tag color="blue">班 {at('adm.workday')}</Tag>
        <Tag>{at('adm.weekend')}</Tag>
      </Flex>
      <div style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(min(100%, 230px), 1fr))', gap: 12, marginBottom: 16 }} data-testid="cal-grid">
        {Array.from({ length: 12 }, (_, i) => (
          <MonthGrid key={i} year={year} month={i + 1} byDay={byDay} onPick={admin ? openDay : undefined} weekdayNames={weekdayNames} title={at('adm.month', { m: i + 1 })} />
        ))}
      </div>
      <Card size="small" title={at('adm.entries', { n: data?.items.length ?? 0 })}>
        <List
          loading={loading} dataSource={data?.items ?? []} size="small" data-testid="cal-entries"
          renderItem={(d) => (
            <List.Item
              key={d.day} data-testid="cal-entry" data-day={d.day}
              actions={admin ? [
                <Button key="e" size="small" type="link" icon={<EditOutlined />} onClick={() => openDay(d.day)} aria-label={at('adm.edit')} />,
                <Popconfirm key="d" title={at('adm.confirmDelete', { day: d.day, name: d.name })} onConfirm={() => void removeDay(d.day)}>
                  <Button size="small" type="link" danger icon={<DeleteOutlined />} aria-label={at('adm.delete')} />
                </Popconfirm>,
              ] : []}
            >
              <div style={{ minWidth: 0 }}>
                <Space wrap size={4}>
                  <Typography.Text strong>{d.day}</Typography.Text>
                  <Tag color={d.kind === 'holiday' ? 'red' : 'blue'}>{d.kind === 'holiday' ? at('adm.holiday') : at('adm.workday')}</Tag>
                  <span data-testid="cal-entry-name">{d.name}</span>
                  {d.provisional && <Tag color="orange">{at('adm.provisional')}</Tag>}
                </Space>
                <Typography.Paragraph type="secondary" style={{ margin: 0, fontSize: 12, overflowWrap: 'anywhere' }}>{d.source}</Typography.Paragraph>
              </div>
            </List.Item>
          )}
        />
      </Card>

      <Modal
        open={!!editing} title={editing?.existing ? at('adm.editDay', { day: editing.existing.day }) : at('adm.addDay')} onCancel={() => setEditing(null)} destroyOnHidden
        footer={[
          editing?.existing ? (
            <Popconfirm key="del" title={at('adm.confirmDelete', { day: editing.existing.day, name: editing.existing.name })} onConfirm={() => void removeDay(editing.existing!.day)}>
              <Button danger data-testid="cal-day-delete">{at('adm.delete')}</Button>
            </Popconfirm>
          ) : null,
          <Button key="cancel" onClick={() => setEditing(null)} data-testid="cal-day-cancel">{at('adm.cancel')}</Button>,
          <Button key="ok" type="primary" loading={busy} onClick={() => void saveDay()} data-testid="cal-day-save">{at('adm.save')}</Button>,
        ]}
      >
        <Form form={form} layout="vertical" data-testid="cal-day-form">
          <Form.Item name="day" label={at('adm.day')} rules={[{ required: true, message: at('adm.required', { field: at('adm.day') }) }]}>
            <Input disabled={!!editing?.existing} placeholder="YYYY-MM-DD" data-testid="cal-day-day" />
          </Form.Item>
          <Form.Item name="kind" label={at('adm.kind')} rules={[{ required: true }]}>
            <Select data-testid="cal-day-kind" options={[{ value: 'holiday', label: at('adm.holiday') }, { value: 'workday', label: at('adm.workday') }]} />
          </Form.Item>
          <Form.Item name="name" label={at('adm.name')} rules={[{ required: true, whitespace: true, message: at('adm.required', { field: at('adm.name') }) }]}>
            <Input maxLength={100} data-testid="cal-day-name" />
          </Form.Item>
          <Form.Item name="source" label={at('adm.source')} rules={[{ required: true, whitespace: true, message: at('adm.required', { field: at('adm.source') }) }]}>
            <Input.TextArea autoSize={{ minRows: 2, maxRows: 5 }} maxLength={500} data-testid="cal-day-source" />
          </Form.Item>
        </Form>
      </Modal>

      <Modal
        open={importOpen} title={at('adm.importTitle', { year })} onCancel={() => setImportOpen(false)} destroyOnHidden
        okText={at('adm.import')} cancelText={at('adm.cancel')} onOk={() => void runImport()} confirmLoading={busy} okButtonProps={{ 'data-testid': 'cal-import-ok' } as never}
      >
        <Typography.Paragraph type="secondary" style={{ fontSize: 12, overflowWrap: 'anywhere' }}>{at('adm.importHint')}</Typography.Paragraph>
        <Input.TextArea value={importText} onChange={(e) => setImportText(e.target.value)} autoSize={{ minRows: 8, maxRows: 16 }} aria-label={at('adm.importJson')} data-testid="cal-import-text" style={{ fontFamily: 'monospace' }} />
        <Checkbox checked={importProvisional} onChange={(e) => setImportProvisional(e.target.checked)} style={{ marginTop: 8 }}>{at('adm.importProvisional')}</Checkbox>
        {importError && <Alert type="error" showIcon message={importError} style={{ marginTop: 8 }} data-testid="cal-import-error" />}
      </Modal>
    </PageContainer>
  );
}
