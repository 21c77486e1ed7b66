/**
 * 对账 (reconciliation): import a channel's daily statement CSV (payment.collect), see the
 * statements with matched / long / short / mismatch counts, open one and resolve each
 * difference with an audited action and a note (payment.supervise).
 */
import { useCallback, useEffect, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { Alert, App, Button, Card, Col, Empty, Flex, Form, Input, List, Modal, Row, Segmented, Select, Space, Spin, Tag, Typography } from 'antd';
import { ReloadOutlined, UploadOutlined } from '@ant-design/icons';
import { PageContainer } from '../../components/PageContainer';
import { Money } from '../../components/Money';
import { Mono } from '../../components/Mono';
import { errorText } from '../../components/errors';
import { ApiError } from '../../api/client';
import { formatDateTime, todayCst } from '../../app/format';
import { useAuth } from '../../app/auth';
import { useI18n } from '../../i18n';
import { paymentsApi, type StatementItem, type StatementSummary } from './api';
import { canCollect, canSupervise } from './perm';
import { usePT, type PKey } from './i18n';

const ACTIONS: Record<string, string[]> = { long: ['posted', 'channel_error'], short: ['reversed', 'accepted'], mismatch: ['accepted', 'channel_error'], matched: [] };
const KIND_COLOR: Record<string, string> = { matched: 'green', long: 'orange', short: 'red', mismatch: 'purple' };

export default function ReconcilePage() {
  const { t } = usePT();
  const shell = useI18n();
  const { user } = useAuth();
  const { message } = App.useApp();
  const [params, setParams] = useSearchParams();
  const selected = params.get('statement') ? Number(params.get('statement')) : null;
  const [channels, setChannels] = useState<Array<{ code: string; name: string }>>([]);
  const [list, setList] = useState<StatementSummary[] | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [channel, setChannel] = useState<string | undefined>();
  const [day, setDay] = useState(todayCst());
  const [csv, setCsv] = useState('');
  const [fileName, setFileName] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [importErr, setImportErr] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const r = await paymentsApi.statements();
      setChannels(r.channels);
      setList(r.items);
      setChannel((c) => c ?? r.channels[0]?.code);
      setErr(null);
    } catch (e) {
      setErr(errorText(shell.t, e));
      setList([]);
    }
  }, [shell.t]);
  useEffect(() => {
    void load();
  }, [load]);

  async function readFile(f: File | undefined) {
    if (!f) return;
    setFileName(f.name);
    setCsv(await f.text());
  }

  async function doImport() {
    if (!channel || !csv.trim()) return setImportErr(`${t('rec.file')}: ${t('rec.fileHint')}`);
    setBusy(true);
    setImportErr(null);
    try {
      const r = await paymentsApi.importStatement({ channelCode: channel, statementDate: day, csv, ...(fileName ? { fileName } : {}) });
      message.success(t('rec.imported', { matched: r.matched, long: r.long, short: r.short, mismatch: r.mismatch }));
      setCsv('');
      setFileName(undefined);
      await load();
      setParams({ statement: String(r.statementId) });
    } catch (e) {
      setImportErr(e instanceof ApiError && e.field ? `${e.field}: ${e.message}` : errorText(shell.t, e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <PageContainer crumbs={[{ title: t('module') }, { title: t('menu.reconcile') }]} title={t('rec.title')} extra={<Button icon={<ReloadOutlined />} onClick={() => void load()} aria-label={t('common.refresh')} />}>
      {err && <Alert type="error" message={err} style={{ marginBottom: 12 }} />}
      <Row gutter={[12, 12]}>
        <Col xs={24} lg={9}>
          <Space direction="vertical" size={12} style={{ width: '100%' }}>
            <Card size="small" title={<><UploadOutlined /> {t('rec.import')}</>} data-testid="rec-import">
              {!canCollect(user) ? (
                <Typography.Text type="secondary">{t('rec.importNeedsCollect')}</Typography.Text>
              ) : channels.length === 0 && list !== null ? (
                <Typography.Text type="secondary">{t('rec.noChannel')}</Typography.Text>
              ) : (
                <Form layout="vertical" onFinish={() => void doImport()}>
                  <Form.Item label={t('rec.channel')} style={{ marginBottom: 8 }}>
                    <Select value={channel} onChange={setChannel} options={channels.map((c) => ({ value: c.code, label: `${c.code} ${c.name}` }))} data-testid="rec-channel" />
                  </Form.Item>
                  <Form.Item label={t('rec.date')} style={{ marginBottom: 8 }}>
                    <Input type="date" value={day} onChange={(e) => setDay(e.target.value)} data-testid="rec-date" />
                  </Form.Item>
                  <Form.Item label={t('rec.file')} extra={t('rec.fileHint')} style={{ marginBottom: 8 }}>
                    <input type="file" accept=".csv,text/csv,text/plain" onChange={(e) => void readFile(e.target.files?.[0])} data-testid="rec-file" style={{ maxWidth: '100%' }} />
                    <Input.TextArea value={csv} onChange={(e) => setCsv(e.target.value)} rows={4} style={{ marginTop: 8, fontFamily: 'monospace' }} placeholder="idempotencyKey,accountNo,amount" data-testid="rec-csv" />
                  </Form.Item>
                  {importErr && <Alert type="error" showIcon message={importErr} style={{ marginBottom: 8 }} data-testid="rec-error" />}
                  <Button type="primary" htmlType="submit" loading={busy} block data-testid="rec-upload">{t('rec.upload')}</Button>
                </Form>
              )}
            </Card>
            <Card size="small" title={t('rec.statements')}>
              <List
                loading={list === null}
                dataSource={list ?? []}
                locale={{ emptyText: t('rec.noStatements') }}
                data-testid="rec-statements"
                renderItem={(s) => (
                  <List.Item
                    onClick={() => setParams({ statement: String(s.id) })}
                    style={{ display: 'block', cursor: 'pointer', background: selected === s.id ? '#e6f4ff' : undefined, paddingInline: 8 }}
                    data-testid={`rec-statement-${s.id}`}
                  >
                    <Flex justify="space-between" wrap gap={4}>
                      <span><b>#{s.id}</b> {s.channelCode} · {s.statementDate}</span>
                      {(s.unresolved ?? 0) > 0 ? <Tag color="red">{t('rec.unresolved')} {s.unresolved}</Tag> : <Tag color="green">{t('rec.resolved')}</Tag>}
                    </Flex>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {t('rec.lines')} {s.lines} · {t('rec.kind.matched')} {s.matched} · {t('rec.kind.long')} {s.long} · {t('rec.kind.short')} {s.short} · {t('rec.kind.mismatch')} {s.mismatch}
                    </Typography.Text>
                  </List.Item>
                )}
              />
            </Card>
          </Space>
        </Col>
        <Col xs={24} lg={15}>
          {selected ? <StatementView id={selected} supervise={canSupervise(user)} onChanged={() => void load()} /> : <Card size="small"><Empty description={t('rec.statements')} /></Card>}
        </Col>
      </Row>
    </PageContainer>
  );
}

function StatementView({ id, supervise, onChanged }: { id: number; supervise: boolean; onChanged: () => void }) {
  const { t } = usePT();
  const shell = useI18n();
  const { message } = App.useApp();
  const [kind, setKind] = useState<string>('open');
  const [data, setData] = useState<(StatementSummary & { items: StatementItem[] }) | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [resolving, setResolving] = useState<{ item: StatementItem; action: string } | null>(null);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [noteErr, setNoteErr] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setData(await paymentsApi.statement(id));
      setErr(null);
    } catch (e) {
      setErr(errorText(shell.t, e));
    }
  }, [id, shell.t]);
  useEffect(() => {
    setData(null);
    void load();
  }, [load]);

  async function resolve() {
    if (!resolving) return;
    if (note.trim().length < 2) return setNoteErr(t('common.reasonRequired'));
    setBusy(true);
    try {
      await paymentsApi.resolveItem(resolving.item.id, resolving.action, note.trim());
      message.success(t('rec.resolved'));
      setResolving(null);
      await load();
      onChanged();
    } catch (e) {
      setNoteErr(errorText(shell.t, e));
    } finally {
      setBusy(false);
    }
  }

  if (err) return <Alert type="error" message={err} />;
  if (!data) return <Card size="small"><Spin /></Card>;
  const items = data.items.filter((i) => (kind === 'open' ? i.kind !== 'matched' && !i.resolution : kind === 'all' ? true : i.kind === kind));
  return (
    <Card size="small" title={`#${data.id} ${data.channelCode} · ${data.statementDate}${data.fileName ? ` · ${data.fileName}` : ''}`} data-testid="rec-view">
      <Segmented
        value={kind}
        onChange={(v) => setKind(String(v))}
        style={{ marginBottom: 12, maxWidth: '100%', overflowX: 'auto' }}
        options={[
          { value: 'open', label: `${t('rec.unresolved')} (${data.items.filter((i) => i.kind !== 'matched' && !i.resolution).length})` },
          ...(['long', 'short', 'mismatch', 'matched'] as const).map((k) => ({ value: k, label: `${t(`rec.kind.${k}` as PKey).replace(/（.*）|\s\(.*\)/, '')} (${data[k]})` })),
          { value: 'all', label: t('rec.all') },
        ]}
        data-testid="rec-kind"
      />
      {!supervise && <Alert type="info" showIcon message={t('rec.supervisorOnly')} style={{ marginBottom: 8 }} />}
      <List
        dataSource={items}
        locale={{ emptyText: t('rec.resolved') }}
        renderItem={(i) => (
          <List.Item style={{ display: 'block' }} data-testid={`rec-item-${i.id}`}>
            <Flex justify="space-between" wrap gap={8}>
              <div style={{ minWidth: 0 }}>
                <Space wrap size={[8, 0]}>
                  <Tag color={KIND_COLOR[i.kind]}>{t(`rec.kind.${i.kind}` as PKey)}</Tag>
                  {i.accountNo && <Mono value={i.accountNo} copyable={false} />}
                </Space>
                <div style={{ fontSize: 12, wordBreak: 'break-all' }}><Typography.Text type="secondary">{t('rec.key')}: {i.idempotencyKey}</Typography.Text></div>
                <div style={{ fontSize: 12 }}>
                  {t('rec.stmtAmount')} <Money value={i.statementAmount} /> · {t('rec.postedAmount')} <Money value={i.postedAmount} />
                </div>
                {i.resolution && (
                  <div style={{ fontSize: 12 }}>
                    <Tag color="blue">{t(`rec.action.${i.resolution}` as PKey)}</Tag>
                    <Typography.Text type="secondary">{i.resolutionNote} · {formatDateTime(i.resolvedAt)}</Typography.Text>
                  </div>
                )}
              </div>
              {supervise && !i.resolution && ACTIONS[i.kind].length > 0 && (
                <Space wrap>
                  {ACTIONS[i.kind].map((a) => (
                    <Button key={a} size="small" onClick={() => { setResolving({ item: i, action: a }); setNote(''); setNoteErr(null); }} data-testid={`rec-resolve-${i.id}-${a}`}>
                      {t(`rec.action.${a}` as PKey)}
                    </Button>
                  ))}
                </Space>
              )}
            </Flex>
          </List.Item>
        )}
      />
      <Modal
        open={!!resolving}
        title={resolving ? `${t('rec.resolve')} · ${t(`rec.action.${resolving.action}` as PKey)}` : ''}
        onCancel={() => setResolving(null)}
        onOk={() => void resolve()}
        confirmLoading={busy}
        okText={t('common.confirm')}
        cancelText={t('common.cancel')}
        okButtonProps={{ 'data-testid': 'rec-resolve-ok' } as never}
        destroyOnHidden
      >
        <Typography.Paragraph>{t('common.note')}</Typography.Paragraph>
        <Input.TextArea value={note} onChange={(e) => setNote(e.target.value)} rows={2} maxLength={500} status={noteErr ? 'error' : undefined} data-testid="rec-note" />
        {noteErr && <Typography.Text type="danger">{noteErr}</Typography.Text>}
      </Modal>
    </Card>
  );
}
