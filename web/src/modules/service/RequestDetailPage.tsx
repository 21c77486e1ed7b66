/**
 * One service request: the plan of stages with limits, the timeline of stage visits (dates,
 * decision, actor, pauses, on time or late), documents (required ones flagged, upload), the
 * actions this user may take (pass with the stage's data, return / reject / cancel with a
 * reason, pause / resume the clock), messages sent to the customer, archive changes, rating.
 * Also the customer's progress view (portal) — the server decides what each user may do.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import {
  Alert, App, Button, Card, Col, Descriptions, Flex, Form, Input, List, Modal, Popconfirm, Rate, Row, Select, Space, Steps, Tag, Timeline, Typography, Upload,
} from 'antd';
import { PauseCircleOutlined, PlayCircleOutlined, UploadOutlined } from '@ant-design/icons';
import { PageContainer } from '../../components/PageContainer';
import { Mono } from '../../components/Mono';
import { errorText } from '../../components/errors';
import { useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { fileToBase64, hasPerm, serviceApi, SLA_COLORS, type RequestDetail, type TypesResponse } from './api';
import { useL, useST, type SKey } from './i18n';
import { DaysLeft } from './QueuePage';
import { ClosingFields, closingFormData, placeFieldError, SettlementCard, SmsTag } from './SettlementCard';

const FIELD_LABELS: Record<string, SKey> = {
  effectiveOn: 'svc.effectiveOn', until: 'svc.until', newAddress: 'svc.newAddress', newName: 'svc.newName', newTariffCode: 'svc.newTariffCode',
  newVoltageLevel: 'svc.newVoltageLevel', newLocation: 'svc.newLocation', splitKva: 'svc.splitKva', mergeAccountId: 'svc.mergeAccountId',
  decreaseKva: 'svc.decreaseKva', newCapacityKva: 'svc.newCapacityKva',
};
const FIELD_EN: Record<string, string> = {
  tariffCode: '电价代码 tariff code', meterAssetNo: '表计资产号 meter asset no.', commAddress: '通信地址 comm. address (12 digits)', initialReading: '装表示数 initial reading',
  finalReading: '拆表示数 final reading', newAccountNo: '新户号 new account no.', mergeFinalReading: '并入户拆表示数 final reading',
};
const DATE_FIELDS = new Set(['effectiveOn', 'until']);

export default function RequestDetailPage() {
  const { id } = useParams();
  const st = useST();
  const l = useL();
  const { t, lang } = useI18n();
  const { user } = useAuth();
  const { message } = App.useApp();
  const [r, setR] = useState<RequestDetail | null>(null);
  const [types, setTypes] = useState<TypesResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [reasonFor, setReasonFor] = useState<'return' | 'reject' | 'cancel' | null>(null);
  const [pauseOpen, setPauseOpen] = useState(false);
  const [docKind, setDocKind] = useState<string | undefined>(undefined);
  const [rating, setRating] = useState(5);
  const [comment, setComment] = useState('');
  const [form] = Form.useForm();
  const [reasonForm] = Form.useForm();
  const [pauseForm] = Form.useForm();
  const staff = hasPerm(user?.permissions, 'request.handle');

  const load = useCallback(async () => {
    try {
      const [d, ty] = await Promise.all([serviceApi.get(Number(id)), types ? Promise.resolve(types) : serviceApi.types()]);
      setR(d);
      setTypes(ty);
      setError(null);
      const firstMissing = d.requiredDocuments.find((x) => !x.present);
      setDocKind((k) => k ?? firstMissing?.kind);
    } catch (e) {
      setError(errorText(t, e));
    }
  }, [id, t, types]);

  useEffect(() => {
    void load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id]);

  const stageDef = useMemo(() => types?.items.find((x) => x.code === r?.type)?.stages.find((s) => s.code === r?.stage), [types, r]);

  async function run(fn: () => Promise<unknown>, ok = st('svc.done')) {
    setBusy(true);
    setActionError(null);
    try {
      await fn();
      message.success(ok);
      form.resetFields();
      await load();
      return true;
    } catch (e) {
      setActionError(errorText(t, e));
      placeFieldError(form, e, lang);
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function pass() {
    const values = form.getFieldsValue();
    const formData: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(values)) if (k !== 'doneOn' && v !== undefined && v !== '') formData[k] = k === 'mergeAccountId' ? Number(v) : v;
    await run(() => serviceApi.transition(r!.id, { action: 'pass', form: r!.type === 'close' ? closingFormData(formData) : formData, ...(values.doneOn ? { on: values.doneOn } : {}), version: r!.version }));
  }

  async function upload(file: File) {
    if (!docKind) {
      setActionError(st('svc.uploadKind'));
      return;
    }
    const dataBase64 = await fileToBase64(file);
    await run(() => serviceApi.upload(r!.id, { kind: docKind, fileName: file.name, contentType: file.type || 'application/octet-stream', dataBase64 }), st('svc.uploaded', { name: file.name }));
  }

  if (error) return <Alert type="error" showIcon message={error} />;
  if (!r) return <Card loading />;

  const planIndex = r.plan.findIndex((p) => p.code === r.stage);
  const done = r.status !== 'open';
  const fields = r.requiredFields ?? [];
  const crumbs = staff ? [{ title: st('svc.group') }, { title: st('svc.queue'), path: '/service' }, { title: r.requestNo }] : [{ title: st('svc.my'), path: '/service/my' }, { title: r.requestNo }];

  return (
    <PageContainer crumbs={crumbs} title={<span data-testid="req-title">{l(r.typeName)} · {r.requestNo}</span>}>
      {actionError && <Alert type="error" showIcon closable onClose={() => setActionError(null)} message={actionError} style={{ marginBottom: 12 }} data-testid="req-error" />}
      <Card size="small" style={{ marginBottom: 12 }}>
        <Descriptions size="small" column={{ xs: 1, sm: 2, lg: 3 }} data-testid="req-summary">
          <Descriptions.Item label={st('svc.requestNo')}><Mono value={r.requestNo} /></Descriptions.Item>
          <Descriptions.Item label={st('svc.status')}><Tag data-testid="req-status">{st(`svc.status.${r.status}` as SKey)}</Tag></Descriptions.Item>
          <Descriptions.Item label={st('svc.stage')}><span data-testid="req-stage">{r.stageName ? l(r.stageName) : '-'}</span></Descriptions.Item>
          <Descriptions.Item label={st('svc.applicant')}>{r.applicantName}</Descriptions.Item>
          <Descriptions.Item label={st('svc.orgUnit')}>{r.orgUnitName}</Descriptions.Item>
          <Descriptions.Item label={st('svc.receivedOn')}>{r.receivedOn}</Descriptions.Item>
          <Descriptions.Item label={st('svc.promisedOn')}><b data-testid="req-promised">{r.promisedOn ?? '-'}</b></Descriptions.Item>
          {r.current && (
            <Descriptions.Item label={st('svc.dueOn')}>
              <Space size={4} wrap>
                <span data-testid="req-due">{r.current.dueOn ?? '-'}</span>
                <DaysLeft item={{ daysLeft: r.current.sla.remainingDays, slaStatus: r.current.sla.status, paused: r.paused, status: r.status }} />
              </Space>
            </Descriptions.Item>
          )}
          {r.nextStage && <Descriptions.Item label={st('svc.next')}><span data-testid="req-next">{l(r.nextStage.name)}</span></Descriptions.Item>}
          {r.account && (
            <Descriptions.Item label={st('svc.account')}>
              {staff ? <Link to={`/archive/accounts/${r.account.id}`}><Mono value={r.account.accountNo} copyable={false} /></Link> : <Mono value={r.account.accountNo} />} {r.account.name}
            </Descriptions.Item>
          )}
          {r.completedOn && <Descriptions.Item label={st('svc.completedOn')}>{r.completedOn}</Descriptions.Item>}
        </Descriptions>
      </Card>

      <Card size="small" title={st('svc.plan')} style={{ marginBottom: 12 }}>
        <Steps
          size="small" direction="vertical" current={done ? r.plan.length : planIndex} status={r.status === 'rejected' || r.status === 'cancelled' ? 'error' : done ? 'finish' : 'process'}
          items={r.plan.map((p) => ({ title: l(p.name), description: p.limit ? st('svc.days', { n: p.limit.days }) : st('svc.noLimit') }))}
          data-testid="req-plan"
        />
      </Card>

      <Row gutter={[12, 12]}>
        <Col xs={24} lg={12}>
          <Card size="small" title={st('svc.timeline')} data-testid="req-timeline">
            <Timeline
              items={r.stages.map((s) => ({
                color: s.completedOn === null ? 'blue' : s.decision === 'pass' ? (s.onTime === false ? 'red' : 'green') : 'gray',
                children: (
                  <div data-testid="timeline-item">
                    <Space wrap size={4}>
                      <b>{l(s.stageName)}</b>
                      {s.completedOn && s.decision && <Tag>{st(`svc.${s.decision}` as SKey)}</Tag>}
                      {s.slaDays !== null && (s.completedOn ? <Tag color={SLA_COLORS[s.onTime ? 'on_time' : 'late']}>{st(s.onTime ? 'svc.sla.on_time' : 'svc.sla.late')}</Tag> : null)}
                    </Space>
                    <div>
                      <Typography.Text type="secondary">
                        {s.enteredOn} → {s.completedOn ?? '…'} {s.slaDays !== null ? `(${st('svc.days', { n: s.slaDays })}, ${st('svc.dueOn')} ${s.dueOn ?? '-'})` : ''}
                      </Typography.Text>
                    </div>
                    {s.actorName && <div><Typography.Text type="secondary">{s.actorName}</Typography.Text></div>}
                    {s.reason && <div>{st('svc.reason')}: {s.reason}</div>}
                    {s.pauses.map((p, i) => (
                      <div key={i}><Tag icon={<PauseCircleOutlined />}>{p.from} → {p.to ?? '…'} {types ? l(types.pauseReasons[p.reason]) : p.reason}{p.note ? `（${p.note}）` : ''}</Tag></div>
                    ))}
                  </div>
                ),
              }))}
            />
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          {!done && (
            <Card size="small" title={st('svc.documents')} style={{ marginBottom: 12 }} data-testid="req-documents">
              {r.requiredDocuments.length > 0 && (
                <div style={{ marginBottom: 8 }}>
                  <Typography.Text type="secondary">{st('svc.required')}: </Typography.Text>
                  {r.requiredDocuments.map((d) => (
                    <Tag key={d.kind} color={d.present ? 'green' : 'red'} data-testid={`doc-req-${d.kind}`}>{l(d.name)} · {st(d.present ? 'svc.present' : 'svc.missing')}</Tag>
                  ))}
                </div>
              )}
              <Flex gap={8} wrap>
                <Select
                  style={{ minWidth: 160 }} placeholder={st('svc.uploadKind')} value={docKind} onChange={setDocKind} data-testid="doc-kind"
                  options={Object.entries(types?.documentKinds ?? {}).map(([k, v]) => ({ value: k, label: l(v) }))}
                />
                <Upload accept="image/jpeg,image/png,image/webp,application/pdf" showUploadList={false} beforeUpload={(f) => { void upload(f); return false; }}>
                  <Button icon={<UploadOutlined />} loading={busy} data-testid="doc-upload">{st('svc.upload')}</Button>
                </Upload>
              </Flex>
            </Card>
          )}
          {r.documents.length > 0 && (
            <Card size="small" title={`${st('svc.documents')} (${r.documents.length})`} style={{ marginBottom: 12 }}>
              <List size="small" dataSource={r.documents} renderItem={(d) => (
                <List.Item key={d.id} data-testid="doc-item">
                  <Space wrap size={4}>
                    <Tag>{d.kindName ? l(d.kindName) : d.kind}</Tag>
                    {d.reference ? <Typography.Text>{d.fileName} ({d.reference})</Typography.Text> : <a href={`/api/v1/service/requests/${r.id}/documents/${d.id}`} target="_blank" rel="noreferrer">{d.fileName}</a>}
                  </Space>
                </List.Item>
              )} />
            </Card>
          )}
          {r.actions.length > 0 && (
            <Card size="small" title={`${st('svc.actions')} · ${r.stageName ? l(r.stageName) : ''}`} style={{ marginBottom: 12 }} data-testid="req-actions">
              <Form form={form} layout="vertical" size="middle">
                {fields.map((f) => (
                  <Form.Item key={f} name={f} label={FIELD_LABELS[f] ? st(FIELD_LABELS[f]) : lang === 'en' ? (FIELD_EN[f]?.split(' ').slice(1).join(' ') ?? f) : (FIELD_EN[f]?.split(' ')[0] ?? f)} style={{ marginBottom: 8 }}>
                    <Input type={DATE_FIELDS.has(f) ? 'date' : 'text'} data-testid={`field-${f}`} />
                  </Form.Item>
                ))}
                {r.type === 'close' && fields.includes('finalReading') && <ClosingFields />}
                <Form.Item name="doneOn" label={st('svc.doneOn')} style={{ marginBottom: 8 }}>
                  <Input type="date" data-testid="field-doneOn" />
                </Form.Item>
              </Form>
              <Flex gap={8} wrap>
                {r.actions.includes('pass') && (
                  <Popconfirm
                    title={st('svc.confirmPass', { stage: r.stageName ? l(r.stageName) : '' })}
                    description={stageDef?.effect ? st('svc.confirmEffect', { effect: stageDef.effect }) : undefined}
                    onConfirm={() => void pass()} okButtonProps={{ 'data-testid': 'confirm-pass' } as never}
                  >
                    <Button type="primary" loading={busy} data-testid="action-pass">{st('svc.pass')}</Button>
                  </Popconfirm>
                )}
                {(['return', 'reject', 'cancel'] as const).filter((a) => r.actions.includes(a)).map((a) => (
                  <Button key={a} danger={a !== 'return'} onClick={() => setReasonFor(a)} data-testid={`action-${a}`}>{st(`svc.${a}`)}</Button>
                ))}
                {r.canPause && !r.paused && <Button icon={<PauseCircleOutlined />} onClick={() => setPauseOpen(true)} data-testid="action-pause">{st('svc.pause')}</Button>}
              </Flex>
            </Card>
          )}
          {r.canPause && r.paused && (
            <Card size="small" style={{ marginBottom: 12 }}>
              <Button icon={<PlayCircleOutlined />} onClick={() => void run(() => serviceApi.resume(r.id))} data-testid="action-resume">{st('svc.resume')}</Button>
            </Card>
          )}
          {r.canRate && (
            <Card size="small" title={st('svc.rating')} style={{ marginBottom: 12 }} data-testid="req-rating">
              <Space direction="vertical" style={{ width: '100%' }}>
                <Rate value={rating} onChange={setRating} />
                <Input.TextArea rows={2} value={comment} onChange={(e) => setComment(e.target.value)} maxLength={500} />
                <Button type="primary" onClick={() => void run(() => serviceApi.rate(r.id, { rating, comment: comment || null }), st('svc.rated'))} data-testid="rate-submit">{st('svc.rateSubmit')}</Button>
              </Space>
            </Card>
          )}
          {r.rating !== null && (
            <Card size="small" title={st('svc.rating')} style={{ marginBottom: 12 }}>
              <Rate disabled value={r.rating} /> {r.ratingComment}
            </Card>
          )}
          {r.type === 'close' && <SettlementCard effects={r.effects} />}
          {r.effects.length > 0 && (
            <Card size="small" title={st('svc.effects')} style={{ marginBottom: 12 }} data-testid="req-effects">
              {r.effects.map((e, i) => (
                <div key={i}>
                  <Tag color="blue">{e.effect}</Tag> {st('svc.effectiveOn')} {e.effectiveOn}
                  <Typography.Paragraph type="secondary" style={{ fontSize: 12, wordBreak: 'break-all', marginBottom: 4 }}>{JSON.stringify(e.summary)}</Typography.Paragraph>
                </div>
              ))}
            </Card>
          )}
          <Card size="small" title={st('svc.messages')} data-testid="req-messages">
            <List size="small" dataSource={r.notifications} locale={{ emptyText: st('svc.empty') }} renderItem={(n) => (
              <List.Item key={n.id}>
                <div>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>{new Date(n.createdAt).toLocaleString()}</Typography.Text> <SmsTag n={n} />
                  <div>{lang === 'en' ? n.en : n.zh}</div>
                </div>
              </List.Item>
            )} />
          </Card>
        </Col>
      </Row>

      <Modal
        open={!!reasonFor} title={reasonFor ? st(`svc.${reasonFor}`) : ''} onCancel={() => setReasonFor(null)} okButtonProps={{ loading: busy, 'data-testid': 'reason-ok' } as never}
        onOk={async () => {
          const v = reasonForm.getFieldsValue();
          if (await run(() => serviceApi.transition(r.id, { action: reasonFor, reason: v.reason, version: r.version }))) {
            setReasonFor(null);
            reasonForm.resetFields();
          }
        }}
      >
        <Form form={reasonForm} layout="vertical">
          <Form.Item name="reason" label={st('svc.reason')}><Input.TextArea rows={3} maxLength={500} data-testid="reason-input" /></Form.Item>
        </Form>
      </Modal>
      <Modal
        open={pauseOpen} title={st('svc.pause')} onCancel={() => setPauseOpen(false)} okButtonProps={{ loading: busy, 'data-testid': 'pause-ok' } as never}
        onOk={async () => {
          const v = pauseForm.getFieldsValue();
          if (await run(() => serviceApi.pause(r.id, { reason: v.reason, note: v.note || null }))) {
            setPauseOpen(false);
            pauseForm.resetFields();
          }
        }}
      >
        <Form form={pauseForm} layout="vertical" initialValues={{ reason: 'documents_incomplete' }}>
          <Form.Item name="reason" label={st('svc.reason')}>
            <Select options={Object.entries(types?.pauseReasons ?? {}).map(([k, v]) => ({ value: k, label: l(v) }))} data-testid="pause-reason" />
          </Form.Item>
          <Form.Item name="note" label={st('svc.note')}><Input maxLength={500} data-testid="pause-note" /></Form.Item>
        </Form>
      </Modal>
    </PageContainer>
  );
}
