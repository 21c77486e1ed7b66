/**
 * 示数复核: the billing checker's queue of readings that validation flagged (pending_review).
 * Filters route and rule (kept in the URL); per row accept, edit (new value + mandatory reason),
 * estimate (basis previous period / same period last year; shows the estimated value), reject
 * (reason); bulk accept of selected rows. Server errors are shown as they come.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { Alert, App, Button, Card, Checkbox, Descriptions, Flex, Form, Grid, Input, Modal, Radio, Select, Space, Table, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { CheckOutlined, CloseOutlined, EditOutlined, HistoryOutlined, PictureOutlined, ReloadOutlined, CalculatorOutlined } from '@ant-design/icons';
import { useI18n } from '../../i18n';
import { ApiError } from '../../api/client';
import { PageContainer } from '../../components/PageContainer';
import { Mono } from '../../components/Mono';
import { errorText, fieldMessage } from '../../components/errors';
import { formatDateTime, formatQuantity } from '../../app/format';
import { photoUrl, reviewApi, REVIEW_RULES, type EstimateBasis, type Reading } from './reviewApi';
import { routesApi, type RouteItem } from './routesApi';
import { usePT, usePTx } from './pages.i18n';

const SEVERITY_COLORS: Record<string, string> = { error: 'red', warning: 'orange', info: 'blue' };
const PAGE_SIZES = [20, 50, 100];

type Action = { kind: 'edit' | 'estimate' | 'reject'; reading: Reading };

function ActionModal({ action, onClose, onDone }: { action: Action | null; onClose: () => void; onDone: () => void }) {
  const pt = usePT();
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<{ value: string; consumption: string | null; original?: string | null } | null>(null);

  useEffect(() => {
    if (!action) return;
    setError(null);
    setResult(null);
    form.resetFields();
    form.setFieldsValue({ value: action.reading.value ?? '', reason: '', basis: 'previous_period' });
  }, [action, form]);

  if (!action) return null;
  const r = action.reading;
  const title = action.kind === 'edit' ? pt('review.editTitle') : action.kind === 'estimate' ? pt('review.estimateTitle') : pt('review.rejectTitle');

  const submit = async (v: { value?: string; reason?: string; basis?: EstimateBasis }) => {
    setBusy(true);
    setError(null);
    try {
      if (action.kind === 'edit') {
        const out = await reviewApi.edit(r.id, String(v.value ?? '').trim(), String(v.reason ?? '').trim());
        message.success(pt('review.editDone', { original: out.originalValue ?? r.value ?? '-', value: out.value, consumption: out.consumption ?? '-' }));
        onDone();
      } else if (action.kind === 'estimate') {
        const out = await reviewApi.estimate(r.id, v.basis ?? 'previous_period', v.reason?.trim() || undefined);
        setResult({ value: out.value, consumption: out.consumption });
      } else {
        await reviewApi.reject(r.id, String(v.reason ?? '').trim());
        message.success(pt('review.rejected'));
        onDone();
      }
    } catch (e) {
      if (e instanceof ApiError && (e.field === 'value' || e.field === 'reason')) form.setFields([{ name: e.field, errors: [fieldMessage(e)] }]);
      setError(errorText(t, e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={title}
      onCancel={result ? onDone : onClose}
      destroyOnHidden
      footer={
        result ? (
          <Button type="primary" onClick={onDone} data-testid="review-modal-close">
            {pt('mp.close')}
          </Button>
        ) : (
          <Space>
            <Button onClick={onClose}>{pt('mp.cancel')}</Button>
            <Button type="primary" danger={action.kind === 'reject'} loading={busy} onClick={() => form.submit()} data-testid="review-modal-ok">
              {title}
            </Button>
          </Space>
        )
      }
    >
      <Descriptions size="small" column={1} style={{ marginBottom: 12 }}>
        <Descriptions.Item label={pt('review.accountNo')}>
          <Mono value={r.accountNo} copyable={false} /> {r.accountName}
        </Descriptions.Item>
        <Descriptions.Item label={pt('review.meter')}>
          <Mono value={r.meterAssetNo} copyable={false} /> · {r.register}
        </Descriptions.Item>
        <Descriptions.Item label={pt('review.current')}>{r.value ?? '-'}</Descriptions.Item>
      </Descriptions>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} data-testid="review-modal-error" />}
      {result ? (
        <Alert
          type="success"
          showIcon
          title={pt('review.estimateResult')}
          description={<span data-testid="review-estimate-result">{pt('review.estimateDone', { value: result.value, consumption: result.consumption ?? '-' })}</span>}
        />
      ) : (
        <Form form={form} layout="vertical" onFinish={submit}>
          {action.kind === 'edit' && (
            <Form.Item name="value" label={pt('review.newValue')} rules={[{ required: true, whitespace: true, message: pt('review.valueRequired') }]}>
              <Input inputMode="decimal" maxLength={40} data-testid="review-value" />
            </Form.Item>
          )}
          {action.kind === 'estimate' && (
            <Form.Item name="basis" label={pt('review.basis')}>
              <Radio.Group data-testid="review-basis">
                <Radio value="previous_period">{pt('review.basis.previous_period')}</Radio>
                <Radio value="same_period_last_year">{pt('review.basis.same_period_last_year')}</Radio>
              </Radio.Group>
            </Form.Item>
          )}
          <Form.Item
            name="reason"
            label={pt('review.reason')}
            rules={action.kind === 'estimate' ? [] : [{ required: true, whitespace: true, message: pt('review.reasonRequired') }]}
          >
            <Input.TextArea rows={2} maxLength={500} data-testid="review-reason" />
          </Form.Item>
        </Form>
      )}
    </Modal>
  );
}

export default function ReviewPage() {
  const pt = usePT();
  const ptx = usePTx();
  const { t, pick } = useI18n();
  const { message } = App.useApp();
  const [sp, setSp] = useSearchParams();
  const routeId = sp.get('routeId') ? Number(sp.get('routeId')) : undefined;
  const rule = sp.get('rule') ?? undefined;
  const page = Math.max(1, Number(sp.get('page') ?? 1) || 1);
  const pageSize = PAGE_SIZES.includes(Number(sp.get('pageSize'))) ? Number(sp.get('pageSize')) : PAGE_SIZES[0];
  const [routes, setRoutes] = useState<RouteItem[]>([]);
  const [items, setItems] = useState<Reading[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<number[]>([]);
  const [action, setAction] = useState<Action | null>(null);
  const [busyId, setBusyId] = useState<number | null>(null);
  const [bulkBusy, setBulkBusy] = useState(false);
  const screens = Grid.useBreakpoint();
  const phone = screens.md === false;

  useEffect(() => {
    routesApi.list({}).then((r) => setRoutes(r.items)).catch(() => undefined);
  }, []);

  const load = useCallback(() => {
    setLoading(true);
    setError(null);
    reviewApi
      .queue({ routeId, rule, page, pageSize })
      .then((r) => {
        setItems(r.items);
        setSelected((s) => s.filter((id) => r.items.some((i) => i.id === id)));
      })
      .catch((e) => setError(errorText(t, e)))
      .finally(() => setLoading(false));
  }, [routeId, rule, page, pageSize, t]);
  useEffect(load, [load]);

  const setFilter = (k: string, v: string | number | undefined) => {
    const next = new URLSearchParams(sp);
    if (v === undefined || v === '') next.delete(k);
    else next.set(k, String(v));
    if (k !== 'page') next.delete('page');
    setSp(next);
  };

  const accept = async (r: Reading) => {
    setBusyId(r.id);
    setError(null);
    try {
      await reviewApi.accept(r.id);
      message.success(pt('review.accepted'));
      load();
    } catch (e) {
      setError(`${r.accountNo ?? r.accountId} ${r.register}: ${errorText(t, e)}`);
    } finally {
      setBusyId(null);
    }
  };

  const bulkAccept = async () => {
    setBulkBusy(true);
    setError(null);
    let ok = 0;
    const failed: string[] = [];
    for (const id of selected) {
      const r = items.find((i) => i.id === id);
      try {
        await reviewApi.accept(id);
        ok++;
      } catch (e) {
        failed.push(`${r?.accountNo ?? id} ${r?.register ?? ''}: ${errorText(t, e)}`);
      }
    }
    setBulkBusy(false);
    setSelected([]);
    if (failed.length) setError(`${pt('review.bulkDone', { ok, failed: failed.length })} — ${failed.join('; ')}`);
    else message.success(pt('review.bulkDone', { ok, failed: 0 }));
    load();
  };

  const actions = (r: Reading) => (
        <Space size={0} wrap>
          <Button type="link" size="small" icon={<CheckOutlined />} loading={busyId === r.id} disabled={r.value === null} onClick={() => accept(r)} data-testid="review-accept">
            {pt('review.accept')}
          </Button>
          <Button type="link" size="small" icon={<EditOutlined />} onClick={() => setAction({ kind: 'edit', reading: r })} data-testid="review-edit">
            {pt('review.edit')}
          </Button>
          <Button type="link" size="small" icon={<CalculatorOutlined />} onClick={() => setAction({ kind: 'estimate', reading: r })} data-testid="review-estimate">
            {pt('review.estimate')}
          </Button>
          <Button type="link" size="small" danger icon={<CloseOutlined />} onClick={() => setAction({ kind: 'reject', reading: r })} data-testid="review-reject">
            {pt('review.reject')}
          </Button>
          <Tooltip title={pt('review.history')}>
            <Link to={`/archive/accounts/${r.accountId}`} data-testid="review-history">
              <HistoryOutlined />
            </Link>
          </Tooltip>
        </Space>
  );

  const messages = (r: Reading) => (
    <div data-testid="review-messages">
      {(r.ruleResults ?? []).map((x, i) => (
        <div key={i}>
          <Tag color={SEVERITY_COLORS[x.severity]} style={{ marginRight: 4 }}>
            {x.rule}
          </Tag>
          <Typography.Text style={{ fontSize: 12 }}>{pick(x.zh, x.en)}</Typography.Text>
        </div>
      ))}
    </div>
  );

  const routeOptions = useMemo(() => routes.map((r) => ({ value: r.id, label: `${r.code} ${r.name}` })), [routes]);

  const columns: ColumnsType<Reading> = [
    {
      title: pt('review.accountNo'),
      key: 'acc',
      width: 150,
      render: (_, r) => (
        <Link to={`/archive/accounts/${r.accountId}`} className="vl-mono" data-testid="review-account">
          {r.accountNo ?? r.accountId}
        </Link>
      ),
    },
    { title: pt('review.accountName'), dataIndex: 'accountName', width: 110, ellipsis: true },
    { title: pt('review.meter'), dataIndex: 'meterAssetNo', width: 130, render: (v: string) => <Mono value={v} copyable={false} /> },
    { title: pt('review.register'), dataIndex: 'register', width: 90 },
    { title: pt('review.readAt'), dataIndex: 'readAt', width: 160, render: (v: string) => formatDateTime(v) },
    { title: pt('review.value'), dataIndex: 'value', width: 110, align: 'right', render: (v: string | null) => <span className="vl-mono" data-testid="review-value-cell">{v ?? '-'}</span> },
    { title: pt('review.consumption'), dataIndex: 'consumption', width: 110, align: 'right', render: (v: string | null) => formatQuantity(v) },
    { title: pt('review.source'), dataIndex: 'source', width: 70, render: (v: string) => ptx(`review.source.${v}`, v) },
    {
      title: pt('review.flags'),
      dataIndex: 'qualityFlags',
      width: 150,
      render: (f: string[], r) => (
        <Flex wrap gap={2}>
          {(f ?? []).map((x) => (
            <Tag key={x} color={x === 'SPIKE' || x === 'DROP' ? 'orange' : undefined} data-testid="review-flag">
              {x}
            </Tag>
          ))}
          {r.exceptionCode && <Tag color="red">{r.exceptionCode}</Tag>}
        </Flex>
      ),
    },
    {
      title: pt('review.messages'),
      key: 'msg',
      width: 280,
      render: (_, r) => messages(r),
    },
    {
      title: pt('review.photo'),
      key: 'photo',
      width: 60,
      render: (_, r) =>
        r.photoRef ? (
          <a href={photoUrl(r.photoRef)} target="_blank" rel="noreferrer" title={r.photoRef} data-testid="review-photo">
            <PictureOutlined />
          </a>
        ) : null,
    },
    {
      title: pt('mp.actions'),
      key: 'actions',
      width: 250,
      fixed: 'right',
      render: (_, r) => actions(r),
    },
  ];

  return (
    <PageContainer crumbs={[{ title: pt('mp.group') }, { title: pt('review.title') }]} title={pt('review.title')}>
      <Typography.Paragraph type="secondary">{pt('review.subtitle')}</Typography.Paragraph>
      <Card style={{ marginBottom: 16 }} styles={{ body: { padding: 12 } }}>
        <Flex wrap gap={8} align="center">
          <Select
            allowClear
            showSearch
            optionFilterProp="label"
            placeholder={pt('review.route')}
            style={{ width: 240, maxWidth: '100%' }}
            options={routeOptions}
            value={routeId}
            onChange={(v) => setFilter('routeId', v)}
            data-testid="review-route-filter"
          />
          <Select
            allowClear
            placeholder={pt('review.rule')}
            style={{ width: 220, maxWidth: '100%' }}
            options={REVIEW_RULES.map((r) => ({ value: r, label: r }))}
            value={rule}
            onChange={(v) => setFilter('rule', v)}
            data-testid="review-rule-filter"
          />
          <Button icon={<ReloadOutlined />} onClick={load}>
            {pt('mp.reload')}
          </Button>
          <Button type="primary" icon={<CheckOutlined />} disabled={!selected.length} loading={bulkBusy} onClick={bulkAccept} data-testid="review-bulk-accept">
            {pt('review.bulkAccept', { n: selected.length })}
          </Button>
        </Flex>
      </Card>
      {error && <Alert type="error" showIcon closable title={error} style={{ marginBottom: 16 }} onClose={() => setError(null)} data-testid="review-error" />}
      {phone ? (
        <div data-testid="review-cards">
          {!loading && !items.length && <Card><Typography.Text type="secondary">{pt('review.empty')}</Typography.Text></Card>}
          {items.map((r) => (
            <Card key={r.id} size="small" style={{ marginBottom: 8 }} data-testid="review-card">
              <Flex justify="space-between" align="center" gap={8} wrap>
                <Space size={4}>
                  <Checkbox
                    checked={selected.includes(r.id)}
                    disabled={r.value === null}
                    onChange={(e) => setSelected((s) => (e.target.checked ? [...s, r.id] : s.filter((x) => x !== r.id)))}
                  />
                  <Link to={`/archive/accounts/${r.accountId}`} className="vl-mono" data-testid="review-account">
                    {r.accountNo ?? r.accountId}
                  </Link>
                  <span>{r.accountName}</span>
                </Space>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {formatDateTime(r.readAt)}
                </Typography.Text>
              </Flex>
              <div style={{ margin: '6px 0', wordBreak: 'break-all' }}>
                <span className="vl-mono">{r.meterAssetNo}</span> · {r.register} · {pt('review.value')} <b className="vl-mono" data-testid="review-value-cell">{r.value ?? '-'}</b> · {pt('review.consumption')} {formatQuantity(r.consumption)}
                {' · '}
                {ptx(`review.source.${r.source}`, r.source)}
                {r.photoRef && (
                  <a href={photoUrl(r.photoRef)} target="_blank" rel="noreferrer" style={{ marginLeft: 6 }} data-testid="review-photo">
                    <PictureOutlined /> {pt('review.photo')}
                  </a>
                )}
              </div>
              {messages(r)}
              <div style={{ marginTop: 4 }}>{actions(r)}</div>
            </Card>
          ))}
        </div>
      ) : (
        <Table
          rowKey="id"
          size="small"
          loading={loading}
          columns={columns}
          dataSource={items}
          rowSelection={{ selectedRowKeys: selected, onChange: (k) => setSelected(k as number[]), getCheckboxProps: (r) => ({ disabled: r.value === null }) }}
          scroll={{ x: 1800 }}
          pagination={false}
          locale={{ emptyText: pt('review.empty') }}
          data-testid="review-table"
        />
      )}
      <Flex justify="flex-end" align="center" gap={8} style={{ marginTop: 12 }}>
        <Button size="small" disabled={page <= 1} onClick={() => setFilter('page', page - 1)}>
          {pt('review.prev')}
        </Button>
        <span>{pt('review.page', { page })}</span>
        <Select
          size="small"
          value={pageSize}
          style={{ width: 100 }}
          options={PAGE_SIZES.map((n) => ({ value: n, label: pt('review.pageSize', { n }) }))}
          onChange={(n) => setFilter('pageSize', n)}
          data-testid="review-page-size"
        />
        <Button size="small" disabled={items.length < pageSize} onClick={() => setFilter('page', page + 1)}>
          {pt('review.next')}
        </Button>
      </Flex>
      <ActionModal
        action={action}
        onClose={() => setAction(null)}
        onDone={() => {
          setAction(null);
          load();
        }}
      />
    </PageContainer>
  );
}
