/**
 * 停复电管理 (cut-off and reconnection work orders): the orders list (kind, state, reconnection
 * 24 h time limit in colour), the arrears accounts eligible for a cut-off (create an order), and
 * the rule settings. An order opens in a drawer with its history and the next step: record the
 * notice with delivery evidence, schedule, record the re-notice, execute (remote DL/T 645 0x1C),
 * close or cancel. Refusals show the rule the server names (domain-cn §5.4).
 * API: src/api/payments/cutoff.routes.ts. Registered by the payments module (index.tsx).
 */
import { useCallback, useEffect, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { Alert, App, Button, Card, Descriptions, Drawer, Flex, Form, Grid, Input, InputNumber, List, Select, Space, Switch, Table, Tabs, Tag, Timeline, Typography } from 'antd';
import { PageContainer } from '../../components/PageContainer';
import { Money } from '../../components/Money';
import { Mono } from '../../components/Mono';
import { errorText } from '../../components/errors';
import { useAuth } from '../../app/auth';
import { useI18n } from '../../i18n';
import { cst, cutoffApi, localToIso, type Candidate, type OrderDetail, type OrderRow, type Sla } from './cutoffApi';
import { prepaidApi, type ControlSettings } from './prepaidApi';
import { hasPermission, usePrepaidT, type CT } from './prepaid.i18n';

const STATE_COLOR: Record<string, string> = { created: 'blue', notice_sent: 'cyan', scheduled: 'orange', executed: 'red', closed: 'default', cancelled: 'default' };
const SLA_COLOR: Record<string, string> = { ok: 'green', warning: 'gold', overdue: 'red', on_time: 'green', late: 'volcano', none: 'default' };
const METHODS = ['in_person', 'posted', 'sms', 'app', 'phone', 'registered_mail'];

function SlaTag({ sla, t, tx }: { sla: Sla | null; t: CT; tx: (p: string, c: string) => string }) {
  if (!sla) return <span>—</span>;
  const m = Math.abs(sla.remainingMinutes);
  const vars = { h: Math.floor(m / 60), m: m % 60 };
  const text = sla.status === 'ok' || sla.status === 'warning' ? t('co.remaining', vars) : sla.status === 'overdue' ? t('co.overdueBy', vars) : tx('co.sla', sla.status);
  return <Tag color={SLA_COLOR[sla.status]} data-testid="co-sla">{text} · {cst(sla.dueBy)}</Tag>;
}

export default function CutoffPage() {
  const { t } = usePrepaidT();
  const { user } = useAuth();
  const [params, setParams] = useSearchParams();
  const [settings, setSettings] = useState<ControlSettings | null>(null);
  const orderParam = params.get('order');
  const open = orderParam ? Number(orderParam) : null;
  const setOpen = (id: number | null) => {
    const sp = new URLSearchParams(params);
    if (id === null) sp.delete('order');
    else sp.set('order', String(id));
    setParams(sp);
  };
  const [tick, setTick] = useState(0);
  const refresh = () => setTick((x) => x + 1);

  useEffect(() => {
    prepaidApi.settings().then(setSettings).catch(() => setSettings(null));
  }, [tick]);

  return (
    <PageContainer crumbs={[{ title: t('pp.crumb'), path: '/payments' }, { title: t('co.title') }]} title={t('co.title')}>
      {settings && (
        <Alert type="info" showIcon style={{ marginBottom: 12 }}
          message={t('co.rules', { days: settings.noticeDays, min: settings.renoticeMinutes, from: settings.executeFrom, to: settings.executeTo, overdue: settings.minOverdueDays, hours: settings.reconnectTargetHours })} />
      )}
      <Tabs
        items={[
          { key: 'orders', label: t('co.orders'), children: <OrdersTab onOpen={setOpen} tick={tick} /> },
          ...(hasPermission(user, 'cutoff.handle') ? [{ key: 'candidates', label: t('co.candidates'), children: <CandidatesTab onOpen={(id) => (setOpen(id), refresh())} tick={tick} /> }] : []),
          { key: 'settings', label: t('co.settings'), children: <SettingsTab settings={settings} onSaved={(s) => setSettings(s)} /> },
        ]}
      />
      <OrderDrawer id={open} onClose={() => setOpen(null)} onChanged={refresh} />
    </PageContainer>
  );
}

function OrdersTab({ onOpen, tick }: { onOpen: (id: number) => void; tick: number }) {
  const { t, tx } = usePrepaidT();
  const shell = useI18n();
  const { user } = useAuth();
  const { message } = App.useApp();
  const isPhone = !Grid.useBreakpoint().md;
  const [kind, setKind] = useState<string | undefined>();
  const [state, setState] = useState<string | undefined>('open');
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(20);
  const [data, setData] = useState<{ items: OrderRow[]; total: number } | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const load = useCallback(() => {
    setLoading(true);
    cutoffApi.list({ kind, state, page, pageSize })
      .then((r) => (setData(r), setErr(null)))
      .catch((e) => setErr(errorText(shell.t, e)))
      .finally(() => setLoading(false));
  }, [kind, state, page, pageSize, shell.t]);
  useEffect(load, [load, tick]);

  const check = async () => {
    try {
      const r = await cutoffApi.reconnectCheck();
      message.success(t('co.checkDone', { n: r.checkedAccounts, r: r.reconnectOrderIds.length, c: r.cancelledOrderIds.length }));
      load();
    } catch (e) {
      message.error(errorText(shell.t, e));
    }
  };

  const columns = [
    { title: t('co.id'), dataIndex: 'id', render: (v: number) => <Button type="link" size="small" style={{ padding: 0 }} onClick={() => onOpen(v)} data-testid={`co-open-${v}`}>#{v}</Button> },
    { title: t('co.kind'), dataIndex: 'kind', render: (v: string) => <Tag color={v === 'cutoff' ? 'red' : 'green'}>{tx('co.kind', v)}</Tag> },
    { title: t('pp.account'), dataIndex: 'accountNo', render: (v: string) => <Mono value={v} /> },
    { title: t('pp.name'), dataIndex: 'accountName' },
    { title: t('co.reason'), dataIndex: 'reason', render: (v: string) => tx('co.reason', v) },
    { title: t('co.state'), dataIndex: 'state', render: (v: string) => <Tag color={STATE_COLOR[v]}>{tx('co.state', v)}</Tag> },
    { title: t('co.owed'), dataIndex: 'amountOwed', align: 'right' as const, render: (v: string | null) => <Money value={v} /> },
    { title: t('co.scheduledAt'), dataIndex: 'scheduledAt', render: (v: string | null) => cst(v) },
    { title: t('co.sla'), dataIndex: 'sla', render: (v: Sla | null) => <SlaTag sla={v} t={t} tx={tx} /> },
  ];

  return (
    <Space direction="vertical" size={12} style={{ width: '100%' }}>
      <Flex gap={8} wrap>
        <Select style={{ width: 140 }} value={kind ?? ''} onChange={(v) => (setKind(v || undefined), setPage(1))}
          options={[{ value: '', label: t('co.all') }, { value: 'cutoff', label: tx('co.kind', 'cutoff') }, { value: 'reconnect', label: tx('co.kind', 'reconnect') }]} />
        <Select style={{ width: 140 }} value={state ?? ''} onChange={(v) => (setState(v || undefined), setPage(1))}
          options={[{ value: '', label: t('co.all') }, ...['open', 'created', 'notice_sent', 'scheduled', 'executed', 'closed', 'cancelled'].map((s) => ({ value: s, label: tx('co.state', s) }))]} />
        {hasPermission(user, 'cutoff.handle') && <Button onClick={check} data-testid="co-check">{t('co.check')}</Button>}
      </Flex>
      {err && <Alert type="error" message={err} />}
      {isPhone ? (
        <List loading={loading} dataSource={data?.items ?? []}
          pagination={{ current: page, pageSize, total: data?.total ?? 0, onChange: (p, s) => (setPage(p), setPageSize(s)), size: 'small' }}
          renderItem={(o) => (
            <List.Item onClick={() => onOpen(o.id)} style={{ cursor: 'pointer' }}>
              <Flex vertical gap={2} style={{ width: '100%', minWidth: 0 }}>
                <Flex justify="space-between" gap={8}><span>#{o.id} {tx('co.kind', o.kind)}</span><Tag color={STATE_COLOR[o.state]}>{tx('co.state', o.state)}</Tag></Flex>
                <Flex justify="space-between" gap={8}><Mono value={o.accountNo} copyable={false} /><Money value={o.amountOwed} /></Flex>
                {o.sla && <SlaTag sla={o.sla} t={t} tx={tx} />}
              </Flex>
            </List.Item>
          )} />
      ) : (
        <Table rowKey="id" size="small" loading={loading} columns={columns} dataSource={data?.items ?? []}
          pagination={{ current: page, pageSize, total: data?.total ?? 0, showSizeChanger: true, pageSizeOptions: [10, 20, 50, 100], onChange: (p, s) => (setPage(p), setPageSize(s)) }} />
      )}
    </Space>
  );
}

function CandidatesTab({ onOpen, tick }: { onOpen: (id: number) => void; tick: number }) {
  const { t } = usePrepaidT();
  const shell = useI18n();
  const { message } = App.useApp();
  const isPhone = !Grid.useBreakpoint().md;
  const [page, setPage] = useState(1);
  const [data, setData] = useState<{ items: Candidate[]; minOverdueDays: number } | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = useCallback(() => {
    cutoffApi.candidates({ page, pageSize: 20 }).then((r) => (setData(r), setErr(null))).catch((e) => setErr(errorText(shell.t, e)));
  }, [page, shell.t]);
  useEffect(load, [load, tick]);

  const create = async (c: Candidate) => {
    setBusy(c.accountNo);
    try {
      const o = await cutoffApi.create(c.accountNo);
      message.success(t('co.created', { id: o.id }));
      load();
      onOpen(o.id);
    } catch (e) {
      message.error(errorText(shell.t, e));
    } finally {
      setBusy(null);
    }
  };
  const action = (c: Candidate) => (c.openOrderId
    ? <Button size="small" onClick={() => onOpen(c.openOrderId!)}>{t('co.openOrder', { id: c.openOrderId })}</Button>
    : <Button size="small" type="primary" danger loading={busy === c.accountNo} onClick={() => create(c)} data-testid={`co-create-${c.accountNo}`}>{t('co.create')}</Button>);

  if (err) return <Alert type="error" message={err} />;
  return isPhone ? (
    <List dataSource={data?.items ?? []} pagination={{ current: page, pageSize: 20, onChange: setPage, size: 'small', total: (page - 1) * 20 + (data?.items.length ?? 0) + ((data?.items.length ?? 0) === 20 ? 1 : 0) }}
      renderItem={(c) => (
        <List.Item>
          <Flex vertical gap={4} style={{ width: '100%', minWidth: 0 }}>
            <Flex justify="space-between" gap={8}><Mono value={c.accountNo} copyable={false} /><Money value={c.outstanding} /></Flex>
            <Flex justify="space-between" gap={8} align="center"><span>{t('co.daysOverdue')} {c.daysOverdue}</span>{action(c)}</Flex>
          </Flex>
        </List.Item>
      )} />
  ) : (
    <Table rowKey="accountId" size="small" dataSource={data?.items ?? []}
      pagination={{ current: page, pageSize: 20, onChange: setPage, total: (page - 1) * 20 + (data?.items.length ?? 0) + ((data?.items.length ?? 0) === 20 ? 1 : 0) }}
      columns={[
        { title: t('pp.account'), dataIndex: 'accountNo', render: (v: string) => <Mono value={v} /> },
        { title: t('pp.name'), dataIndex: 'accountName' },
        { title: t('co.oldestDue'), dataIndex: 'oldestDueDate' },
        { title: t('co.daysOverdue'), dataIndex: 'daysOverdue', align: 'right' as const },
        { title: t('co.outstanding'), dataIndex: 'outstanding', align: 'right' as const, render: (v: string) => <Money value={v} /> },
        { title: '', key: 'a', render: (_: unknown, c: Candidate) => action(c) },
      ]} />
  );
}

function SettingsTab({ settings, onSaved }: { settings: ControlSettings | null; onSaved: (s: ControlSettings) => void }) {
  const { t } = usePrepaidT();
  const shell = useI18n();
  const { user } = useAuth();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const canEdit = hasPermission(user, 'payment.supervise');
  useEffect(() => {
    if (settings) form.setFieldsValue(settings);
  }, [settings, form]);
  if (!settings) return null;
  const save = async (v: ControlSettings) => {
    try {
      onSaved(await prepaidApi.saveSettings(v));
      message.success(t('pp.saved'));
    } catch (e) {
      message.error(errorText(shell.t, e));
    }
  };
  const num = (name: keyof ControlSettings, min: number, max: number) => (
    <Form.Item name={name} label={t(`set.${name}` as never)} style={{ flex: '1 1 180px' }}><InputNumber min={min} max={max} precision={0} disabled={!canEdit} style={{ width: '100%' }} /></Form.Item>
  );
  return (
    <Card size="small">
      <Form form={form} layout="vertical" onFinish={save} disabled={!canEdit}>
        <Flex gap={12} wrap>
          <Form.Item name="alertBalance" label={t('set.alertBalance')} style={{ flex: '1 1 180px' }}><Input inputMode="decimal" /></Form.Item>
          <Form.Item name="cutoffFloor" label={t('set.cutoffFloor')} style={{ flex: '1 1 180px' }}><Input inputMode="decimal" /></Form.Item>
          {num('noticeDays', 1, 60)}
          {num('renoticeMinutes', 0, 1440)}
          {num('minOverdueDays', 0, 365)}
          {num('reconnectTargetHours', 1, 168)}
          <Form.Item name="executeFrom" label={t('set.executeFrom')} style={{ flex: '1 1 140px' }}><Input type="time" /></Form.Item>
          <Form.Item name="executeTo" label={t('set.executeTo')} style={{ flex: '1 1 140px' }}><Input type="time" /></Form.Item>
          <Form.Item name="noCutoffOnNonWorkingDays" label={t('set.noCutoffOnNonWorkingDays')} valuePropName="checked" style={{ flex: '1 1 180px' }}><Switch /></Form.Item>
        </Flex>
        {canEdit && <Button type="primary" htmlType="submit">{t('set.save')}</Button>}
      </Form>
    </Card>
  );
}

function OrderDrawer({ id, onClose, onChanged }: { id: number | null; onClose: () => void; onChanged: () => void }) {
  const { t, tx } = usePrepaidT();
  const shell = useI18n();
  const { user } = useAuth();
  const { message } = App.useApp();
  const [o, setO] = useState<OrderDetail | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [noticeForm] = Form.useForm();
  const [scheduleForm] = Form.useForm();
  const [cancelForm] = Form.useForm();

  useEffect(() => {
    if (id === null) return;
    setO(null);
    setErr(null);
    cutoffApi.get(id).then(setO).catch((e) => setErr(errorText(shell.t, e)));
  }, [id, shell.t]);

  const act = async (fn: () => Promise<OrderDetail>) => {
    setBusy(true);
    setErr(null);
    try {
      setO(await fn());
      onChanged();
      noticeForm.resetFields();
      cancelForm.resetFields();
    } catch (e) {
      const text = errorText(shell.t, e);
      setErr(text);
      message.error(text);
    } finally {
      setBusy(false);
    }
  };

  const canHandle = hasPermission(user, 'cutoff.handle');
  const canExecute = hasPermission(user, 'cutoff.execute');
  const noticeKind = o?.state === 'created' ? 'notice' : o?.state === 'scheduled' ? 'renotice' : null;

  return (
    <Drawer open={id !== null} onClose={onClose} title={id !== null ? t('co.detail', { id }) : ''} width="min(640px, 100vw)" destroyOnHidden>
      {err && <Alert type="error" message={err} style={{ marginBottom: 12 }} data-testid="co-error" />}
      {o && (
        <Space direction="vertical" size={16} style={{ width: '100%' }}>
          <Descriptions size="small" column={{ xs: 1, sm: 2 }} bordered>
            <Descriptions.Item label={t('co.kind')}>{tx('co.kind', o.kind)}</Descriptions.Item>
            <Descriptions.Item label={t('co.state')}><Tag color={STATE_COLOR[o.state]} data-testid="co-state">{tx('co.state', o.state)}</Tag></Descriptions.Item>
            <Descriptions.Item label={t('pp.account')}><Mono value={o.accountNo} /></Descriptions.Item>
            <Descriptions.Item label={t('pp.name')}>{o.accountName}</Descriptions.Item>
            <Descriptions.Item label={t('co.reason')}>{tx('co.reason', o.reason)}</Descriptions.Item>
            <Descriptions.Item label={t('co.owed')}><Money value={o.amountOwed} /></Descriptions.Item>
            {o.kind === 'cutoff' && <Descriptions.Item label={t('co.earliest')}>{cst(o.earliestCutoff)}</Descriptions.Item>}
            {o.kind === 'cutoff' && <Descriptions.Item label={t('co.scheduledAt')}>{cst(o.scheduledAt)}</Descriptions.Item>}
            {o.sla && <Descriptions.Item label={t('co.sla')} span={2}><SlaTag sla={o.sla} t={t} tx={tx} /></Descriptions.Item>}
          </Descriptions>

          {canHandle && o.kind === 'cutoff' && noticeKind && (
            <Card size="small" title={t(noticeKind === 'notice' ? 'co.notice' : 'co.renotice')}>
              <Form form={noticeForm} layout="vertical" onFinish={(v) => act(() => cutoffApi.notice(o.id, { kind: noticeKind, method: v.method, evidence: v.evidence, deliveredAt: v.deliveredAt ? localToIso(v.deliveredAt) : undefined }))}>
                <Flex gap={8} wrap>
                  <Form.Item name="method" label={t('co.method')} rules={[{ required: true, message: t('co.required') }]} style={{ flex: '1 1 160px' }}>
                    <Select data-testid="co-method" options={METHODS.map((m) => ({ value: m, label: tx('co.method', m) }))} />
                  </Form.Item>
                  <Form.Item name="deliveredAt" label={t('co.deliveredAt')} style={{ flex: '1 1 200px' }}><Input type="datetime-local" /></Form.Item>
                </Flex>
                <Form.Item name="evidence" label={t('co.evidence')} rules={[{ required: true, message: t('co.required') }]}><Input.TextArea rows={2} maxLength={1000} data-testid="co-evidence" /></Form.Item>
                <Button type="primary" htmlType="submit" loading={busy} data-testid="co-notice-save">{t(noticeKind === 'notice' ? 'co.notice' : 'co.renotice')}</Button>
              </Form>
            </Card>
          )}
          {canHandle && o.kind === 'cutoff' && o.state === 'notice_sent' && (
            <Card size="small" title={t('co.schedule')}>
              <Form form={scheduleForm} layout="vertical" onFinish={(v) => act(() => cutoffApi.schedule(o.id, localToIso(v.scheduledAt)))}>
                <Form.Item name="scheduledAt" label={t('co.scheduledAt')} rules={[{ required: true, message: t('co.required') }]}><Input type="datetime-local" data-testid="co-scheduled-at" /></Form.Item>
                <Button type="primary" htmlType="submit" loading={busy} data-testid="co-schedule">{t('co.schedule')}</Button>
              </Form>
            </Card>
          )}
          <Flex gap={8} wrap>
            {o.kind === 'cutoff' && o.state === 'scheduled' && canExecute && (
              <Button type="primary" danger loading={busy} onClick={() => act(() => cutoffApi.execute(o.id))} data-testid="co-execute">{t('co.execute')}</Button>
            )}
            {o.kind === 'reconnect' && o.state === 'created' && canHandle && (
              <Button type="primary" loading={busy} onClick={() => act(() => cutoffApi.execute(o.id))} data-testid="co-execute">{t('co.executeReconnect')}</Button>
            )}
            {o.state === 'executed' && canHandle && <Button loading={busy} onClick={() => act(() => cutoffApi.close(o.id))} data-testid="co-close">{t('co.close')}</Button>}
          </Flex>
          {o.actions.includes('cancel') && (
            <Form form={cancelForm} layout="inline" onFinish={(v) => act(() => cutoffApi.cancel(o.id, v.reason))} style={{ rowGap: 8 }}>
              <Form.Item name="reason" rules={[{ required: true, message: t('co.required') }]} style={{ flex: '1 1 200px' }}><Input placeholder={t('co.cancelReason')} /></Form.Item>
              <Button htmlType="submit" loading={busy}>{t('co.cancel')}</Button>
            </Form>
          )}

          {o.command && (
            <Card size="small" title={t('co.command')}>
              {o.command.meters.map((m) => (
                <Flex key={m.address} vertical gap={2} style={{ minWidth: 0 }}>
                  <span><Mono value={m.address} copyable={false} /> · {m.commandName} · <Tag color={m.result === 'ack' ? 'green' : 'red'}>{m.result}</Tag>{m.simulated ? t('co.simulated') : ''}</span>
                  <Typography.Text code style={{ overflowWrap: 'anywhere', fontSize: 11 }}>{m.requestHex}</Typography.Text>
                  <Typography.Text code style={{ overflowWrap: 'anywhere', fontSize: 11 }}>{m.replyHex}</Typography.Text>
                </Flex>
              ))}
              {o.command.note && <Typography.Text type="secondary">{o.command.note}</Typography.Text>}
            </Card>
          )}
          <Typography.Title level={5} style={{ margin: 0 }}>{t('co.notices')}</Typography.Title>
          <List size="small" dataSource={o.notices} locale={{ emptyText: t('pp.none') }}
            renderItem={(n) => <List.Item><Typography.Text style={{ overflowWrap: 'anywhere' }}>{tx('co', n.kind === 'notice' ? 'notice' : 'renotice')} · {tx('co.method', n.method)} · {cst(n.deliveredAt)} · {n.evidence}</Typography.Text></List.Item>} />
          <Typography.Title level={5} style={{ margin: 0 }}>{t('co.events')}</Typography.Title>
          <Timeline items={o.events.map((e) => ({ children: <Typography.Text style={{ overflowWrap: 'anywhere' }}>{cst(e.at)} · {e.actor} · {e.from ? `${tx('co.state', e.from)} → ` : ''}{tx('co.state', e.to)}{e.note ? ` · ${e.note}` : ''}</Typography.Text> }))} />
        </Space>
      )}
    </Drawer>
  );
}
