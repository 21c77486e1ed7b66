/**
 * One reading task on the phone: the account and meter, last readings and expected range, a
 * value per register (numeric keyboard) or a visit exception (门闭 …), a photo (camera,
 * downscaled to ≤ 1600 px JPEG), GPS, save into the offline queue. Values outside the expected
 * range or below the last reading ask for confirmation but never block. A rejected visit can be
 * corrected here (only its refused registers are sent again).
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { Alert, App, Button, Card, Descriptions, Flex, Input, Radio, Space, Spin, Typography } from 'antd';
import { ArrowLeftOutlined, AimOutlined, CameraOutlined, DeleteOutlined, SaveOutlined } from '@ant-design/icons';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { formatDateTime } from '../../../app/format';
import { useField } from './context';
import { useFT, type FT } from './i18n';
import { OutcomeView, taskState, TaskStateTag } from './parts';
import { downscalePhoto } from './photo';
import { checkValue, EXCEPTION_CODES, fmtReading, newUuid, registersToResend, shanghaiIso, touBalance, type CheckIssue, type ExceptionCode, type FieldVisit } from './queue';

type Gps = { state: 'locating' } | { state: 'ok'; lat: number; lon: number; accuracy: number } | { state: 'unavailable'; why: string };

function issueText(t: FT, i: CheckIssue): string {
  switch (i.kind) {
    case 'notNumber': return t('f.err.notNumber');
    case 'tooManyDigits': return t('f.err.tooManyDigits', { digits: i.digits });
    case 'tooManyDecimals': return t('f.err.tooManyDecimals', { decimals: i.decimals });
    case 'belowLast': return t('f.warn.belowLast', { last: i.last });
    case 'outOfRange': return t('f.warn.outOfRange', { low: i.low, high: i.high });
  }
}

function useGps(active: boolean, t: FT): [Gps, () => void] {
  const [gps, setGps] = useState<Gps>({ state: 'locating' });
  const [n, setN] = useState(0);
  useEffect(() => {
    if (!active) return;
    if (typeof navigator === 'undefined' || !navigator.geolocation || !window.isSecureContext) {
      setGps({ state: 'unavailable', why: t('f.gps.unsupported') });
      return;
    }
    let gone = false;
    setGps({ state: 'locating' });
    navigator.geolocation.getCurrentPosition(
      (p) => !gone && setGps({ state: 'ok', lat: Math.round(p.coords.latitude * 1e6) / 1e6, lon: Math.round(p.coords.longitude * 1e6) / 1e6, accuracy: Math.round(p.coords.accuracy) }),
      (e) => !gone && setGps({ state: 'unavailable', why: e.code === e.PERMISSION_DENIED ? t('f.gps.denied') : e.code === e.TIMEOUT ? t('f.gps.timeout') : e.message || String(e.code) }),
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 60_000 },
    );
    return () => {
      gone = true;
    };
    // t changes with the language only; the position does not need to be taken again
  }, [active, n]);
  return [gps, () => setN(n + 1)];
}

export default function TaskPage() {
  const f = useField();
  const { t, tx } = useFT();
  const { message, modal } = App.useApp();
  const navigate = useNavigate();
  const params = useParams();
  const routeId = Number(params.routeId);
  const taskId = Number(params.taskId);
  const rt = f.data?.routes.find((r) => r.route.id === routeId);
  const task = rt?.items.find((x) => x.taskId === taskId);
  const visit = f.visitOf(taskId);
  const [editing, setEditing] = useState(false);
  const formShown = !!task && (editing || (!visit && task.status === 'pending'));

  const [exception, setException] = useState<ExceptionCode | 'none'>('none');
  const [values, setValues] = useState<Record<string, string>>({});
  const [touched, setTouched] = useState(false);
  const [photo, setPhoto] = useState<{ blob: Blob; url: string; width: number; height: number } | null>(null);
  const [photoBusy, setPhotoBusy] = useState(false);
  const [saving, setSaving] = useState(false);
  const fileRef = useRef<HTMLInputElement>(null);
  const [gps, relocate] = useGps(formShown, t);

  useEffect(() => () => {
    if (photo) URL.revokeObjectURL(photo.url);
  }, [photo]);

  // registers already stored by the server (correction of a rejected visit): not sent again
  const storedRegs = useMemo(() => {
    if (!editing || !visit?.outcomes) return new Map<string, string>();
    return new Map(visit.outcomes.filter((o) => o.status !== 'rejected').map((o) => [o.register, o.value ?? '']));
  }, [editing, visit]);

  const startEdit = () => {
    if (!visit) return;
    setEditing(true);
    setException(visit.exceptionCode ?? 'none');
    const again = new Set(registersToResend(visit));
    setValues(Object.fromEntries(Object.entries(visit.readings).filter(([r]) => again.has(r))));
    setTouched(false);
  };

  if ((!task || !rt) && f.loading) return <Spin style={{ display: 'block', margin: '64px auto' }} data-testid="field-task-loading" />;
  if (!task || !rt) {
    return (
      <div style={{ maxWidth: 720, margin: '0 auto' }} data-testid="field-task-page">
        <Link to="/metering/field" data-testid="field-back"><ArrowLeftOutlined /> {t('f.back')}</Link>
        <Alert style={{ marginTop: 12 }} type="warning" showIcon message={t('f.taskNotFound')} />
      </div>
    );
  }

  const registers = task.meter.registers;
  const needValues = exception !== 'DOOR_LOCKED';
  const checks = Object.fromEntries(registers.map((r) => {
    const v = values[r]?.trim() ?? '';
    if (!needValues || storedRegs.has(r)) return [r, { error: null, warnings: [] as CheckIssue[], empty: true }];
    if (!v) return [r, { error: null, warnings: [] as CheckIssue[], empty: true }];
    const c = checkValue(v, { register: r, digits: task.meter.digits, decimals: task.meter.decimals, last: task.lastReadings[r]?.value ?? null, expected: r === 'TOTAL' ? task.expectedTotal : null });
    return [r, { ...c, empty: false }];
  })) as Record<string, { error: CheckIssue | null; warnings: CheckIssue[]; empty: boolean }>;
  const toSend = registers.filter((r) => needValues && !storedRegs.has(r));
  const missing = exception === 'none' ? toSend.filter((r) => checks[r].empty) : [];
  const nothing = exception === 'none' && toSend.length > 0 && toSend.every((r) => checks[r].empty);
  const tou = needValues ? touBalance(values, task.lastReadings) : null;

  const onPhoto = async (file: File | undefined) => {
    if (!file) return;
    setPhotoBusy(true);
    try {
      const d = await downscalePhoto(file);
      if (photo) URL.revokeObjectURL(photo.url);
      setPhoto({ blob: d.blob, url: URL.createObjectURL(d.blob), width: d.width, height: d.height });
    } catch (e) {
      message.error(t('f.photo.failed', { why: (e as Error).message || String(e) }));
    } finally {
      setPhotoBusy(false);
      if (fileRef.current) fileRef.current.value = '';
    }
  };

  const confirm = (warnings: string[]) => new Promise<boolean>((resolve) => {
    modal.confirm({
      title: t('f.warnTitle'),
      content: <ul style={{ paddingInlineStart: 18, margin: 0 }} data-testid="field-warnings">{warnings.map((w, i) => <li key={i}>{w}</li>)}</ul>,
      okText: t('f.warnOk'),
      cancelText: t('f.warnCancel'),
      onOk: () => resolve(true),
      onCancel: () => resolve(false),
    });
  });

  const save = async () => {
    setTouched(true);
    if (missing.length || nothing) return;
    if (Object.values(checks).some((c) => c.error)) return;
    const warnings: string[] = [];
    for (const r of toSend) for (const w of checks[r].warnings) warnings.push(`${tx(`f.reg.${r}`, r)}: ${issueText(t, w)}`);
    if (tou?.off) warnings.push(t('f.touOff', { tou: tou.tou, total: tou.total }));
    if (warnings.length && !(await confirm(warnings))) return;
    setSaving(true);
    try {
      const readings = needValues ? Object.fromEntries(toSend.filter((r) => !checks[r].empty).map((r) => [r, values[r].trim()])) : {};
      const now = new Date();
      const v: FieldVisit = {
        clientId: newUuid(), user: f.username, taskId: task.taskId, routeId, period: rt.period,
        accountId: task.account.id, meterId: task.meter.id, accountNo: task.account.accountNo, accountName: task.account.name,
        readAt: shanghaiIso(now), readings, exceptionCode: exception === 'none' ? null : exception,
        gps: gps.state === 'ok' ? { lat: gps.lat, lon: gps.lon, accuracy: gps.accuracy } : null,
        photo: photo ? { id: newUuid(), contentType: photo.blob.type || 'image/jpeg', sizeBytes: photo.blob.size, width: photo.width, height: photo.height, uploaded: false } : null,
        state: 'queued', attempts: 0, createdAt: now.toISOString(), replaces: editing && visit ? visit.clientId : null,
      };
      await f.saveVisit(v, photo?.blob ?? null, editing && visit ? visit : null);
      message.success(t('f.saved', { state: t('f.saved.queued') }));
      navigate(`/metering/field?route=${routeId}`);
    } finally {
      setSaving(false);
    }
  };

  const state = taskState(task, visit);
  return (
    <div style={{ maxWidth: 720, margin: '0 auto', display: 'flex', flexDirection: 'column', gap: 12 }} data-testid="field-task-page" data-task-id={task.taskId}>
      <Flex justify="space-between" align="center" gap={8}>
        <Link to={`/metering/field?route=${routeId}`} data-testid="field-back" style={{ fontSize: 16, padding: '6px 0' }}>
          <ArrowLeftOutlined /> {t('f.back')}
        </Link>
        <TaskStateTag state={state} exceptionCode={visit?.exceptionCode ?? task.exceptionCode} />
      </Flex>

      <Card size="small" styles={{ body: { padding: 12 } }}>
        <Typography.Title level={5} style={{ margin: 0, overflowWrap: 'anywhere' }} data-testid="field-task-name">
          #{task.sequence} {task.account.name}
        </Typography.Title>
        <Descriptions size="small" column={1} style={{ marginTop: 8 }} labelStyle={{ width: 88 }} items={[
          { key: 'no', label: t('f.accountNo'), children: <span className="vl-mono" data-testid="field-task-accountno">{task.account.accountNo}</span> },
          { key: 'addr', label: t('f.address'), children: <span style={{ overflowWrap: 'anywhere' }}>{task.account.address ?? '—'}</span> },
          { key: 'meter', label: t('f.meter'), children: <span className="vl-mono" data-testid="field-task-meter">{task.meter.assetNo}</span> },
          { key: 'mult', label: t('f.multiplier'), children: <span className="vl-mono">{task.meter.multiplier}</span> },
          { key: 'due', label: t('f.dueDate'), children: task.dueDate },
        ]} />
      </Card>

      {visit && !editing && (
        <Card size="small" title={t('f.result')} data-testid="field-result" styles={{ body: { padding: 12 } }}>
          <Space direction="vertical" size={6} style={{ width: '100%' }}>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('f.readAt')} {formatDateTime(visit.readAt)}</Typography.Text>
            {visit.exceptionCode && <div>{t('f.exception')}: <b>{tx(`f.exception.${visit.exceptionCode}`, visit.exceptionCode)}</b></div>}
            {visit.state === 'queued' && (
              <>
                <Alert type="warning" showIcon message={t('f.localOnly')} />
                {Object.entries(visit.readings).map(([r, v]) => (
                  <div key={r}>{tx(`f.reg.${r}`, r)} <span className="vl-mono">{v}</span></div>
                ))}
                {visit.lastError && <Typography.Text type="danger">{visit.lastError}</Typography.Text>}
              </>
            )}
            <OutcomeView visit={visit} />
            {visit.photo && (
              <Typography.Text type={visit.photo.error ? 'danger' : 'secondary'} style={{ fontSize: 12 }}>
                {visit.photo.error ? t('f.photo.refused', { why: visit.photo.error }) : visit.photo.uploaded ? t('f.photo.uploaded') : t('f.photo.kept')}
              </Typography.Text>
            )}
            {visit.state === 'rejected' && (
              <Button size="large" block danger onClick={startEdit} data-testid="field-edit">{t('f.edit')}</Button>
            )}
          </Space>
        </Card>
      )}

      {!visit && !formShown && task.status !== 'pending' && (
        <Alert type="success" showIcon message={t('f.alreadyRead', { time: task.readAt ? formatDateTime(task.readAt) : '' })} data-testid="field-already-read" />
      )}

      {formShown && (
        <>
          {editing && <Alert type="info" showIcon message={t('f.editHint')} />}
          <Card size="small" title={t('f.exception')} styles={{ body: { padding: 12 } }}>
            <Radio.Group
              value={exception}
              onChange={(e) => setException(e.target.value)}
              optionType="button"
              buttonStyle="solid"
              size="large"
              style={{ display: 'flex', flexWrap: 'wrap', gap: 8 }}
            >
              {(['none', ...EXCEPTION_CODES] as const).map((c) => (
                <Radio.Button key={c} value={c} style={{ borderRadius: 6, borderInlineStartWidth: 1 }}>
                  <span data-testid={`field-exception-${c}`}>{tx(`f.exception.${c}`, c)}</span>
                </Radio.Button>
              ))}
            </Radio.Group>
            {exception === 'DOOR_LOCKED' && <Typography.Paragraph type="secondary" style={{ margin: '8px 0 0', fontSize: 13 }}>{t('f.exceptionNoValues')}</Typography.Paragraph>}
          </Card>

          {needValues && (
            <Card size="small" title={t('f.registers')} styles={{ body: { padding: 12 } }}>
              <Space direction="vertical" size={12} style={{ width: '100%' }}>
                {registers.map((r) => {
                  const last = task.lastReadings[r];
                  const c = checks[r];
                  const err = touched && c.error ? issueText(t, c.error) : touched && exception === 'none' && c.empty && !storedRegs.has(r) ? t('f.err.required') : null;
                  return (
                    <div key={r}>
                      <Flex justify="space-between" align="baseline" wrap gap={4}>
                        <Typography.Text strong style={{ fontSize: 16 }}>{tx(`f.reg.${r}`, r)} <Typography.Text type="secondary" className="vl-mono" style={{ fontSize: 12 }}>{r}</Typography.Text></Typography.Text>
                        <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid={`field-last-${r}`}>
                          {last ? t('f.last', { value: fmtReading(last.value, task.meter.decimals), date: formatDateTime(last.readAt).slice(0, 10) }) : t('f.noLast')}
                        </Typography.Text>
                      </Flex>
                      {storedRegs.has(r) ? (
                        <Typography.Text type="success">{t('f.stored', { value: storedRegs.get(r) ?? '' })}</Typography.Text>
                      ) : (
                        <Input
                          size="large"
                          inputMode="decimal"
                          enterKeyHint="next"
                          autoComplete="off"
                          value={values[r] ?? ''}
                          onChange={(e) => setValues({ ...values, [r]: e.target.value.replace(/,/g, '.').replace(/[^\d.]/g, '') })}
                          status={err ? 'error' : c.warnings.length ? 'warning' : undefined}
                          className="vl-mono"
                          style={{ fontSize: 20, marginTop: 4 }}
                          data-testid={`field-reg-${r}`}
                          aria-label={`${tx(`f.reg.${r}`, r)} ${r}`}
                        />
                      )}
                      {r === 'TOTAL' && task.expectedTotal && (
                        <Typography.Text type="secondary" style={{ fontSize: 12, display: 'block' }} data-testid="field-expected">{t('f.expected', task.expectedTotal)}</Typography.Text>
                      )}
                      {err && <div style={{ color: '#cf1322', fontSize: 13 }} data-testid={`field-reg-error-${r}`}>{err}</div>}
                      {!err && c.warnings.map((w, i) => <div key={i} style={{ color: '#d48806', fontSize: 13 }} data-testid={`field-reg-warning-${r}`}>{issueText(t, w)}</div>)}
                    </div>
                  );
                })}
                {tou && (
                  <Typography.Text type={tou.off ? 'warning' : 'secondary'} style={{ fontSize: 13 }} data-testid="field-tou">
                    {tou.off ? t('f.touOff', { tou: tou.tou, total: tou.total }) : t('f.tou', { tou: tou.tou, total: tou.total })}
                  </Typography.Text>
                )}
              </Space>
            </Card>
          )}

          <Card size="small" title={t('f.photo')} styles={{ body: { padding: 12 } }}>
            <input ref={fileRef} type="file" accept="image/*" capture="environment" style={{ display: 'none' }} onChange={(e) => void onPhoto(e.target.files?.[0])} data-testid="field-photo-input" />
            {photo && (
              <div style={{ marginBottom: 8 }}>
                <img src={photo.url} alt="" style={{ maxWidth: '100%', maxHeight: 220, borderRadius: 6, display: 'block' }} data-testid="field-photo-preview" />
                <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="field-photo-info">
                  {t('f.photo.info', { w: photo.width, h: photo.height, kb: Math.round(photo.blob.size / 1024) })}
                </Typography.Text>
              </div>
            )}
            <Flex gap={8} wrap>
              <Button size="large" icon={<CameraOutlined />} loading={photoBusy} onClick={() => fileRef.current?.click()} data-testid="field-photo-take" style={{ flex: 1 }}>
                {photoBusy ? t('f.photo.processing') : photo ? t('f.photo.retake') : t('f.photo.take')}
              </Button>
              {photo && <Button size="large" danger icon={<DeleteOutlined />} onClick={() => setPhoto(null)} aria-label={t('f.photo.remove')} data-testid="field-photo-remove" />}
            </Flex>
          </Card>

          <Card size="small" title={t('f.gps')} styles={{ body: { padding: 12 } }}>
            <Flex justify="space-between" align="center" gap={8} wrap>
              <Typography.Text type={gps.state === 'unavailable' ? 'warning' : undefined} data-testid="field-gps" data-state={gps.state} style={{ minWidth: 0, overflowWrap: 'anywhere' }}>
                {gps.state === 'locating' ? t('f.gps.locating') : gps.state === 'ok' ? t('f.gps.ok', { lat: gps.lat.toFixed(5), lon: gps.lon.toFixed(5), acc: gps.accuracy }) : t('f.gps.unavailable', { why: gps.why })}
              </Typography.Text>
              {gps.state !== 'locating' && <Button icon={<AimOutlined />} onClick={relocate}>{t('f.gps.retry')}</Button>}
            </Flex>
          </Card>

          {touched && nothing && <Alert type="error" showIcon message={t('f.err.required')} />}
          <Button type="primary" size="large" block icon={<SaveOutlined />} loading={saving} onClick={() => void save()} data-testid="field-save" style={{ height: 52, fontSize: 18 }}>
            {editing ? t('f.saveCorrection') : t('f.save')}
          </Button>
        </>
      )}
    </div>
  );
}
