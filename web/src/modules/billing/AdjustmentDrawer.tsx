/**
 * Rebilling (退补) drawers: create an adjustment from an issued bill (corrected readings,
 * multiplier or tariff; the per-line diff — charged, corrected, difference — is shown before
 * saving), and one adjustment with its actions (submit, approve, reject, post).
 */
import { useEffect, useState } from 'react';
import { Alert, Button, Descriptions, Drawer, Form, Input, Modal, Select, Skeleton, Space, Table, Tag, Typography, message } from 'antd';
import { useAuth } from '../../app/auth';
import { errorText } from '../../components/errors';
import { useI18n } from '../../i18n';
import { money, type BillDetail } from './api';
import { adjustmentsApi, type AdjLine, type AdjWarning, type AdjustmentBody, type AdjustmentDetail, type AdjustmentStatus, type Preview, type ReasonCategory } from './adjustmentsApi';
import { useAT } from './adjustments.i18n';

/** Raw permission check (codes not in the shell's capability table). */
export function useHas() {
  const { user } = useAuth();
  return (code: string) => !!user && (user.permissions ?? []).some((p: string) => p === '*' || p === code);
}

const right = { textAlign: 'right' as const };

export function AdjStatusTag({ status }: { status: AdjustmentStatus }) {
  const { t } = useAT();
  const color = status === 'posted' ? 'success' : status === 'approved' ? 'blue' : status === 'submitted' ? 'warning' : status === 'rejected' ? 'error' : 'default';
  return <Tag color={color} data-testid="adj-status">{t(`status.${status}`)}</Tag>;
}

export function DirTag({ direction }: { direction: 'debit' | 'credit' | 'none' }) {
  const { t } = useAT();
  return <Tag color={direction === 'debit' ? 'volcano' : direction === 'credit' ? 'green' : 'default'}>{t(`diff.${direction}`)}</Tag>;
}

/** The per-line diff: charged (original), corrected, difference. */
export function DiffTable({ lines, originalTotal, correctedTotal, amountTotal }: { lines: AdjLine[]; originalTotal: string; correctedTotal: string; amountTotal: string }) {
  const { t, lang } = useAT();
  const qa = (q: string | null, a: string) => (
    <div style={right}>
      <div>{money(a)}</div>
      {q != null ? <Typography.Text type="secondary" style={{ fontSize: 12 }}>{q}</Typography.Text> : null}
    </div>
  );
  return (
    <Table<AdjLine>
      size="small"
      rowKey="lineNo"
      pagination={false}
      scroll={{ x: 'max-content' }}
      dataSource={lines}
      data-testid="adj-diff"
      columns={[
        { title: t('diff.period'), dataIndex: 'period' },
        { title: t('diff.item'), render: (_, l) => <span>{lang === 'en' ? l.name.en : l.name.zh}{l.segment ? <Typography.Text type="secondary"> #{l.segment}</Typography.Text> : null}</span> },
        { title: t('diff.original'), render: (_, l) => qa(l.original.quantity, l.original.amount) },
        { title: t('diff.corrected'), render: (_, l) => qa(l.corrected.quantity, l.corrected.amount) },
        { title: t('diff.difference'), render: (_, l) => <div style={right} data-testid={`adj-diff-${l.code}`}>{money(l.difference)} {l.direction !== 'none' ? <DirTag direction={l.direction} /> : null}</div> },
      ]}
      summary={() => (
        <Table.Summary.Row>
          <Table.Summary.Cell index={0} colSpan={2}><strong>{t('diff.total')}</strong></Table.Summary.Cell>
          <Table.Summary.Cell index={1}><div style={right}>{money(originalTotal)}</div></Table.Summary.Cell>
          <Table.Summary.Cell index={2}><div style={right}>{money(correctedTotal)}</div></Table.Summary.Cell>
          <Table.Summary.Cell index={3}><div style={right}><strong data-testid="adj-total">{money(amountTotal)}</strong></div></Table.Summary.Cell>
        </Table.Summary.Row>
      )}
    />
  );
}

function Warnings({ items }: { items: AdjWarning[] }) {
  const { lang } = useAT();
  if (!items?.length) return null;
  return <Alert type="warning" showIcon style={{ marginBottom: 12 }} message={<ul style={{ margin: 0, paddingLeft: 16 }}>{items.map((w, i) => <li key={i}>{lang === 'en' ? w.en : w.zh}</li>)}</ul>} />;
}

const CATS: ReasonCategory[] = ['reading_error', 'multiplier_error', 'tariff_error', 'other'];

interface FormValues {
  reasonCategory: ReasonCategory;
  reason: string;
  readings?: Record<string, string>;
  billedMult?: string;
  correctMult?: string;
  tariffCode?: string;
  tariffFrom?: string;
}

/** Create an adjustment of one issued bill; preview the diff before saving. */
export function AdjustmentCreateDrawer({ bill, open, onClose, onCreated }: { bill: BillDetail | null; open: boolean; onClose: () => void; onCreated: (a: AdjustmentDetail) => void }) {
  const { t } = useAT();
  const shell = useI18n();
  const [form] = Form.useForm<FormValues>();
  const cat = Form.useWatch('reasonCategory', form);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setPreview(null);
    setErr(null);
    form.resetFields();
  }, [bill?.id, open, form]);

  function body(v: FormValues): AdjustmentBody {
    const readings = Object.entries(v.readings ?? {}).filter(([, val]) => val != null && String(val).trim() !== '').map(([id, val]) => ({ readingId: Number(id), value: String(val).trim() }));
    const c: AdjustmentBody['corrections'] = {};
    if (readings.length && (v.reasonCategory === 'reading_error' || v.reasonCategory === 'other')) c.readings = readings;
    if (v.correctMult && (v.reasonCategory === 'multiplier_error' || v.reasonCategory === 'other')) c.multiplier = { correct: v.correctMult.trim(), ...(v.billedMult ? { billed: v.billedMult.trim() } : {}) };
    if (v.tariffCode && (v.reasonCategory === 'tariff_error' || v.reasonCategory === 'other')) c.tariff = { code: v.tariffCode.trim(), ...(v.tariffFrom ? { from: v.tariffFrom.trim() } : {}) };
    return { accountId: bill!.accountId, periods: [bill!.period], reasonCategory: v.reasonCategory, reason: (v.reason ?? '').trim(), corrections: c };
  }

  async function doPreview() {
    const v = await form.validateFields();
    setBusy(true);
    try {
      setPreview(await adjustmentsApi.preview(body(v)));
      setErr(null);
    } catch (e) {
      setPreview(null);
      setErr(errorText(shell.t, e));
    } finally {
      setBusy(false);
    }
  }

  async function save(submit: boolean) {
    const v = await form.validateFields();
    setBusy(true);
    try {
      let a = await adjustmentsApi.create(body(v));
      if (submit) a = await adjustmentsApi.submit(a.id);
      message.success(t('new.created', { id: a.id }));
      onCreated(a);
    } catch (e) {
      setErr(errorText(shell.t, e));
    } finally {
      setBusy(false);
    }
  }

  const energy = (bill?.readings ?? []).filter((r) => r.value != null);
  return (
    <Drawer open={open} onClose={onClose} width="min(820px, 100vw)" title={bill ? t('new.title', { no: bill.accountNo, period: bill.period }) : ' '} destroyOnHidden data-testid="adj-create">
      {bill && (
        <Form form={form} layout="vertical" initialValues={{ reasonCategory: 'reading_error', billedMult: energy[0]?.multiplier ?? '' }} onValuesChange={() => setPreview(null)}>
          <Space wrap align="start" style={{ width: '100%' }}>
            <Form.Item name="reasonCategory" label={t('new.category')} style={{ minWidth: 180 }}>
              <Select data-testid="adj-category" options={CATS.map((c) => ({ value: c, label: t(`cat.${c}`) }))} />
            </Form.Item>
          </Space>
          <Form.Item name="reason" label={t('new.reason')} rules={[{ required: true, whitespace: true, message: t('new.reasonRequired') }]}>
            <Input.TextArea rows={2} maxLength={500} data-testid="adj-reason" />
          </Form.Item>
          {(cat === 'reading_error' || cat === 'other') && (
            <>
              <Typography.Text strong>{t('new.readings')}</Typography.Text>
              <Table
                size="small"
                rowKey="id"
                pagination={false}
                scroll={{ x: 'max-content' }}
                dataSource={energy}
                style={{ marginBottom: 12 }}
                columns={[
                  { title: t('new.register'), dataIndex: 'register' },
                  { title: t('new.stored'), dataIndex: 'value', align: 'right' },
                  {
                    title: t('new.correct'),
                    render: (_, r) => (
                      <Form.Item name={['readings', String(r.id)]} style={{ margin: 0 }} rules={[{ pattern: /^\d{1,10}(\.\d{1,4})?$/, message: '0.0000' }]}>
                        <Input style={{ width: 130 }} inputMode="decimal" data-testid={`adj-reading-${r.register}`} />
                      </Form.Item>
                    ),
                  },
                ]}
              />
            </>
          )}
          {(cat === 'multiplier_error' || cat === 'other') && (
            <Space wrap>
              <Form.Item name="billedMult" label={t('new.billedMult')}><Input style={{ width: 120 }} data-testid="adj-billed-mult" /></Form.Item>
              <Form.Item name="correctMult" label={t('new.correctMult')} rules={[{ required: cat === 'multiplier_error', pattern: /^\d{1,10}(\.\d{1,4})?$/ }]}><Input style={{ width: 120 }} data-testid="adj-correct-mult" /></Form.Item>
            </Space>
          )}
          {(cat === 'tariff_error' || cat === 'other') && (
            <Space wrap>
              <Form.Item name="tariffCode" label={t('new.tariff')} rules={[{ required: cat === 'tariff_error' }]}><Input style={{ width: 220 }} data-testid="adj-tariff" /></Form.Item>
              <Form.Item name="tariffFrom" label={t('new.tariffFrom')} rules={[{ pattern: /^\d{4}-\d{2}-\d{2}$/, message: 'YYYY-MM-DD' }]}><Input style={{ width: 130 }} placeholder={bill.periodStart ?? 'YYYY-MM-DD'} /></Form.Item>
            </Space>
          )}
          <Space wrap style={{ marginBottom: 12 }}>
            <Button onClick={() => void doPreview()} loading={busy} data-testid="adj-preview">{t('new.preview')}</Button>
            <Button onClick={() => void save(false)} disabled={!preview} loading={busy} data-testid="adj-save">{t('new.create')}</Button>
            <Button type="primary" onClick={() => void save(true)} disabled={!preview} loading={busy} data-testid="adj-save-submit">{t('new.createSubmit')}</Button>
          </Space>
        </Form>
      )}
      {err && <Alert type="error" message={err} style={{ marginBottom: 12 }} data-testid="adj-error" />}
      {preview && (
        <div data-testid="adj-preview-result">
          <Warnings items={preview.warnings} />
          <Space wrap size={[16, 4]} style={{ marginBottom: 8 }}>
            {preview.periods.map((p) => (
              <span key={p.period}>{p.period}: {t('diff.kwh')} {p.original.kwh} → {p.corrected.kwh}</span>
            ))}
            <DirTag direction={preview.direction} />
          </Space>
          <DiffTable lines={preview.lines} originalTotal={preview.originalTotal} correctedTotal={preview.correctedTotal} amountTotal={preview.amountTotal} />
          <Alert style={{ marginTop: 12 }} type={preview.requiresSecondApproval ? 'warning' : 'info'} message={preview.requiresSecondApproval ? t('diff.twoPerson', { t: preview.approvalThreshold }) : t('diff.autoApprove', { t: preview.approvalThreshold })} />
        </div>
      )}
    </Drawer>
  );
}

/** One adjustment: header, warnings, the diff, and the actions the user may take. */
export function AdjustmentDetailDrawer({ id, onClose, onChanged }: { id: number | null; onClose: () => void; onChanged?: () => void }) {
  const { t, lang } = useAT();
  const shell = useI18n();
  const has = useHas();
  const [a, setA] = useState<AdjustmentDetail | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [rejecting, setRejecting] = useState(false);
  const [rejectReason, setRejectReason] = useState('');

  useEffect(() => {
    setA(null);
    setErr(null);
    if (id == null) return;
    adjustmentsApi.get(id).then(setA).catch((e) => setErr(errorText(shell.t, e)));
  }, [id, shell.t]);

  async function act(fn: () => Promise<AdjustmentDetail>) {
    setBusy(true);
    try {
      setA(await fn());
      setErr(null);
      onChanged?.();
    } catch (e) {
      setErr(errorText(shell.t, e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Drawer open={id != null} onClose={onClose} width="min(820px, 100vw)" title={id != null ? t('detail.title', { id }) : ' '} destroyOnHidden>
      {err && <Alert type="error" message={err} style={{ marginBottom: 12 }} data-testid="adj-detail-error" />}
      {!a && !err && <Skeleton active />}
      {a && (
        <div data-testid="adj-detail">
          <Descriptions size="small" column={{ xs: 1, sm: 2 }} bordered style={{ marginBottom: 12 }}>
            <Descriptions.Item label={t('page.status')}><AdjStatusTag status={a.status} /></Descriptions.Item>
            <Descriptions.Item label={t('page.accountNo')}>{a.accountNo}</Descriptions.Item>
            <Descriptions.Item label={t('new.category')}>{t(`cat.${a.reasonCategory}`)}</Descriptions.Item>
            <Descriptions.Item label={t('list.periods')}>{a.periods.join(', ')}</Descriptions.Item>
            <Descriptions.Item label={t('new.reason')}>{a.reason}</Descriptions.Item>
            <Descriptions.Item label={t('list.amount')}><strong data-testid="adj-detail-total">{money(a.amountTotal)}</strong> <DirTag direction={a.direction} /></Descriptions.Item>
            <Descriptions.Item label={t('detail.createdBy')}>{a.createdByName ?? a.createdBy ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('detail.approvedBy')}>{a.approvedByName ?? '—'}{a.approvalNote ? ` · ${a.approvalNote}` : ''}</Descriptions.Item>
            {a.rejectReason ? <Descriptions.Item label={t('detail.rejectReason')}>{a.rejectReason}</Descriptions.Item> : null}
            {a.ledgerEntryId ? <Descriptions.Item label={t('detail.ledger')}>#{a.ledgerEntryId}{a.receivableId ? ` (${lang === 'en' ? 'receivable' : '应收'} #${a.receivableId})` : ''}</Descriptions.Item> : null}
          </Descriptions>
          <Alert style={{ marginBottom: 12 }} type={a.requiresSecondApproval ? 'warning' : 'info'} message={a.requiresSecondApproval ? t('diff.twoPerson', { t: a.approvalThreshold }) : t('diff.autoApprove', { t: a.approvalThreshold })} />
          <Warnings items={a.warnings} />
          <Space wrap style={{ marginBottom: 12 }}>
            {a.status === 'draft' && has('billing.adjust') ? <Button type="primary" loading={busy} onClick={() => void act(() => adjustmentsApi.submit(a.id))} data-testid="adj-submit">{t('detail.submit')}</Button> : null}
            {a.status === 'submitted' && has('billing.adjust.approve') ? <Button type="primary" loading={busy} onClick={() => void act(() => adjustmentsApi.approve(a.id))} data-testid="adj-approve">{t('detail.approve')}</Button> : null}
            {a.status === 'approved' && has('billing.adjust') ? <Button type="primary" loading={busy} onClick={() => void act(() => adjustmentsApi.post(a.id))} data-testid="adj-post">{t('detail.post')}</Button> : null}
            {['draft', 'submitted', 'approved'].includes(a.status) && has('billing.adjust.approve') ? <Button danger loading={busy} onClick={() => setRejecting(true)} data-testid="adj-reject">{t('detail.reject')}</Button> : null}
          </Space>
          <Typography.Title level={5}>{t('diff.title')}</Typography.Title>
          <DiffTable lines={a.lines} originalTotal={a.originalTotal} correctedTotal={a.correctedTotal} amountTotal={a.amountTotal} />
        </div>
      )}
      <Modal
        open={rejecting}
        title={t('detail.rejectReason')}
        onCancel={() => setRejecting(false)}
        okButtonProps={{ disabled: !rejectReason.trim(), danger: true }}
        onOk={() => {
          setRejecting(false);
          if (a) void act(() => adjustmentsApi.reject(a.id, rejectReason.trim()));
        }}
      >
        <Input.TextArea rows={3} maxLength={500} value={rejectReason} onChange={(e) => setRejectReason(e.target.value)} data-testid="adj-reject-reason" />
      </Modal>
    </Drawer>
  );
}

/** The "退补" button of the bill drawer: issued real bills, users with billing.adjust. */
export function AdjustmentButton({ bill }: { bill: BillDetail }) {
  const { t } = useAT();
  const has = useHas();
  const [open, setOpen] = useState(false);
  const [created, setCreated] = useState<number | null>(null);
  if (bill.status !== 'issued' || bill.trial || !has('billing.adjust')) return null;
  return (
    <>
      <Button onClick={() => setOpen(true)} data-testid="bill-rebill">{t('bill.rebill')}</Button>
      <AdjustmentCreateDrawer bill={open ? bill : null} open={open} onClose={() => setOpen(false)} onCreated={(a) => { setOpen(false); setCreated(a.id); }} />
      <AdjustmentDetailDrawer id={created} onClose={() => setCreated(null)} />
    </>
  );
}
