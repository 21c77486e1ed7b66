/**
 * 收费稽核 (payment.supervise): closed shifts awaiting approval with their 日结 figures (expected
 * vs counted, difference and reason, by method, voids; the shift's payments in a drawer),
 * approve / reject with a reason; late-fee waiver requests (违约金减免) approve / reject.
 */
import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Card, Drawer, Empty, Flex, Input, List, Modal, Segmented, Space, Spin, Tabs, Typography } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import { PageContainer } from '../../components/PageContainer';
import { Money } from '../../components/Money';
import { Mono } from '../../components/Mono';
import { errorText } from '../../components/errors';
import { formatDateTime, formatMoney } from '../../app/format';
import { useI18n } from '../../i18n';
import { paymentsApi, receiptUrl, type Shift, type ShiftDetail, type Waiver } from './api';
import { PaymentStatusTag, SettlementReport, ShiftStatusTag } from './CounterPage';
import { usePT } from './i18n';

type Decision = { kind: 'shift' | 'waiver'; id: number; decision: 'approve' | 'reject'; label: string };

export default function SupervisePage() {
  const { t, st } = usePT();
  const shell = useI18n();
  const { message } = App.useApp();
  const [status, setStatus] = useState<string>('closed');
  const [shifts, setShifts] = useState<Shift[] | null>(null);
  const [waivers, setWaivers] = useState<Waiver[] | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [deciding, setDeciding] = useState<Decision | null>(null);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [noteErr, setNoteErr] = useState<string | null>(null);
  const [open, setOpen] = useState<number | null>(null);

  const load = useCallback(async () => {
    try {
      const [s, w] = await Promise.all([paymentsApi.shifts(status === 'all' ? undefined : status), paymentsApi.waivers('requested')]);
      setShifts(s.items);
      setWaivers(w.items);
      setErr(null);
    } catch (e) {
      setErr(errorText(shell.t, e));
      setShifts([]);
      setWaivers([]);
    }
  }, [shell.t, status]);

  useEffect(() => {
    void load();
  }, [load]);

  function ask(d: Decision) {
    setDeciding(d);
    setNote('');
    setNoteErr(null);
  }

  async function decide() {
    if (!deciding) return;
    if (deciding.decision === 'reject' && note.trim().length < 2) return setNoteErr(t('common.reasonRequired'));
    setBusy(true);
    try {
      if (deciding.kind === 'shift') await paymentsApi.decideShift(deciding.id, deciding.decision, note.trim() || undefined);
      else await paymentsApi.decideWaiver(deciding.id, deciding.decision, note.trim() || undefined);
      message.success(deciding.decision === 'approve' ? t('sup.approved') : t('sup.rejected'));
      setDeciding(null);
      await load();
    } catch (e) {
      setNoteErr(errorText(shell.t, e));
    } finally {
      setBusy(false);
    }
  }

  const shiftList = (
    <>
      <Segmented
        value={status}
        onChange={(v) => setStatus(String(v))}
        options={['closed', 'approved', 'rejected', 'open', 'all'].map((s) => ({ value: s, label: s === 'all' ? t('sup.allShifts') : st(s) }))}
        style={{ marginBottom: 12, maxWidth: '100%', overflowX: 'auto' }}
        data-testid="shift-status-filter"
      />
      <List
        loading={shifts === null}
        dataSource={shifts ?? []}
        locale={{ emptyText: t('sup.noShifts') }}
        grid={{ gutter: 12, xs: 1, sm: 1, md: 2, lg: 2, xl: 3, xxl: 3 }}
        data-testid="sup-shifts"
        renderItem={(s) => (
          <List.Item data-testid={`sup-shift-${s.id}`}>
            <Card
              size="small"
              title={<Space wrap><a onClick={() => setOpen(s.id)}>{t('shift.no', { id: s.id })}</a><ShiftStatusTag status={s.status} /></Space>}
              extra={<Typography.Text type="secondary" style={{ fontSize: 12 }}>{s.collectorName}</Typography.Text>}
            >
              <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginBottom: 8 }}>
                {t('shift.openedAt')} {formatDateTime(s.openedAt)}{s.closedAt && <> · {t('shift.closedAt')} {formatDateTime(s.closedAt)}</>}
              </Typography.Paragraph>
              {s.status !== 'open' && <SettlementReport shift={s} />}
              {s.approvalNote && <Typography.Paragraph style={{ marginTop: 8 }}>{t('common.note')}: {s.approvalNote}</Typography.Paragraph>}
              {s.status === 'closed' && (
                <Flex gap={8} justify="end" style={{ marginTop: 8 }}>
                  <Button danger onClick={() => ask({ kind: 'shift', id: s.id, decision: 'reject', label: t('shift.no', { id: s.id }) })} data-testid={`shift-reject-${s.id}`}>{t('common.reject')}</Button>
                  <Button type="primary" onClick={() => ask({ kind: 'shift', id: s.id, decision: 'approve', label: t('shift.no', { id: s.id }) })} data-testid={`shift-approve-${s.id}`}>{t('common.approve')}</Button>
                </Flex>
              )}
            </Card>
          </List.Item>
        )}
      />
    </>
  );

  const waiverList = (
    <List
      loading={waivers === null}
      dataSource={waivers ?? []}
      locale={{ emptyText: t('sup.noWaivers') }}
      data-testid="sup-waivers"
      renderItem={(w) => (
        <List.Item style={{ display: 'block' }} data-testid={`sup-waiver-${w.id}`}>
          <Flex justify="space-between" wrap gap={8}>
            <div style={{ minWidth: 0 }}>
              <Space wrap size={[8, 0]}>
                <Mono value={w.accountNo} />
                <span>{w.period}</span>
                <span>{t('waive.through')} {w.waiveThrough}</span>
              </Space>
              <div><Typography.Text type="secondary">{t('common.reason')}: {w.reason} · {formatDateTime(w.requestedAt)}</Typography.Text></div>
            </div>
            <Space>
              <Button danger onClick={() => ask({ kind: 'waiver', id: w.id, decision: 'reject', label: `${w.accountNo} ${w.period}` })} data-testid={`waiver-reject-${w.id}`}>{t('common.reject')}</Button>
              <Button type="primary" onClick={() => ask({ kind: 'waiver', id: w.id, decision: 'approve', label: `${w.accountNo} ${w.period}` })} data-testid={`waiver-approve-${w.id}`}>{t('common.approve')}</Button>
            </Space>
          </Flex>
        </List.Item>
      )}
    />
  );

  return (
    <PageContainer crumbs={[{ title: t('module') }, { title: t('menu.supervise') }]} title={t('sup.title')} extra={<Button icon={<ReloadOutlined />} onClick={() => void load()} aria-label={t('common.refresh')} />}>
      {err && <Alert type="error" message={err} style={{ marginBottom: 12 }} />}
      <Tabs
        items={[
          { key: 'shifts', label: `${t('sup.shifts')}${status === 'closed' && shifts ? ` (${shifts.length})` : ''}`, children: shiftList },
          { key: 'waivers', label: `${t('sup.waivers')}${waivers ? ` (${waivers.length})` : ''}`, children: waiverList },
        ]}
      />
      <Modal
        open={!!deciding}
        title={deciding ? `${deciding.decision === 'approve' ? t('common.approve') : t('common.reject')} · ${deciding.label}` : ''}
        onCancel={() => setDeciding(null)}
        onOk={() => void decide()}
        confirmLoading={busy}
        okText={deciding?.decision === 'approve' ? t('common.approve') : t('common.reject')}
        okButtonProps={{ danger: deciding?.decision === 'reject', 'data-testid': 'decide-ok' } as never}
        cancelText={t('common.cancel')}
        destroyOnHidden
      >
        <Typography.Paragraph>{deciding?.decision === 'reject' ? t('sup.rejectNote') : t('common.note')}</Typography.Paragraph>
        <Input.TextArea value={note} onChange={(e) => setNote(e.target.value)} rows={2} maxLength={500} status={noteErr ? 'error' : undefined} data-testid="decide-note" />
        {noteErr && <Typography.Text type="danger" data-testid="decide-error">{noteErr}</Typography.Text>}
      </Modal>
      <ShiftDrawer id={open} onClose={() => setOpen(null)} />
    </PageContainer>
  );
}

function ShiftDrawer({ id, onClose }: { id: number | null; onClose: () => void }) {
  const { t, mt } = usePT();
  const shell = useI18n();
  const [d, setD] = useState<ShiftDetail | null>(null);
  const [err, setErr] = useState<string | null>(null);
  useEffect(() => {
    setD(null);
    setErr(null);
    if (id !== null) paymentsApi.shift(id).then(setD).catch((e) => setErr(errorText(shell.t, e)));
  }, [id, shell.t]);
  return (
    <Drawer open={id !== null} onClose={onClose} title={id !== null ? t('shift.no', { id }) : ''} width="min(560px, 100vw)" destroyOnHidden>
      {err ? <Alert type="error" message={err} /> : !d ? <Spin /> : (
        <>
          <Typography.Paragraph>{t('shift.collector')}: {d.collectorName ?? d.collectorId} · <ShiftStatusTag status={d.status} /></Typography.Paragraph>
          {d.status !== 'open' && <SettlementReport shift={d} />}
          <Typography.Title level={5} style={{ marginTop: 16 }}>{t('shift.paymentsList')}</Typography.Title>
          {d.items.length === 0 ? <Empty description={t('shift.noPayments')} /> : (
            <List
              size="small"
              dataSource={d.items}
              renderItem={(p) => (
                <List.Item style={{ display: 'block' }}>
                  <Flex justify="space-between" wrap gap={4}>
                    <span><Mono value={p.accountNo} copyable={false} /> {p.accountName}</span>
                    <span><Money value={p.amount} /> <PaymentStatusTag status={p.status} /></span>
                  </Flex>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {mt(p.method)} · {formatDateTime(p.receivedAt)} · {p.receiptNo && <a href={receiptUrl(p.receiptNo)} target="_blank" rel="noreferrer">{p.receiptNo}</a>}{p.voidReason && ` · ${p.voidReason}`}
                  </Typography.Text>
                </List.Item>
              )}
            />
          )}
          <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>{t('shift.total')} {formatMoney(d.total)}</Typography.Paragraph>
        </>
      )}
    </Drawer>
  );
}
