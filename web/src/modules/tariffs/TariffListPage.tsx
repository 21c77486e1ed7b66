import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { Alert, App, Button, Card, Col, Form, Input, Modal, Row, Select, Space, Table, Tag, Tooltip, Typography, Upload } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { DiffOutlined, DownloadOutlined, ExclamationCircleOutlined, UploadOutlined } from '@ant-design/icons';
import { useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { PageContainer } from '../../components/PageContainer';
import { errorText } from '../../components/errors';
import { downloadJson, hasPerm, tariffApi, type TariffSummary } from './api';
import { useTT } from './i18n';

const FILTERS = ['q', 'province', 'customerClass', 'onDate', 'status'] as const;

export function StatusTag({ status }: { status: string }) {
  const tt = useTT();
  const colour = status === 'active' ? 'green' : status === 'draft' ? 'blue' : 'default';
  return <Tag color={colour}>{tt(`tariffs.status.${status}` as 'tariffs.status.active')}</Tag>;
}

export function WarningsTag({ warnings }: { warnings: Array<{ code: string; message: string }> }) {
  if (!warnings?.length) return null;
  return (
    <Tooltip title={warnings.map((w) => `${w.code}: ${w.message}`).join('\n')}>
      <Tag color="warning" icon={<ExclamationCircleOutlined />} data-testid="tariff-warning-tag">
        {warnings.map((w) => w.code).join(', ')}
      </Tag>
    </Tooltip>
  );
}

export default function TariffListPage() {
  const { t, pick } = useI18n();
  const tt = useTT();
  const { user } = useAuth();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [sp, setSp] = useSearchParams();
  const [form] = Form.useForm();
  const filters = useMemo(() => Object.fromEntries(FILTERS.map((k) => [k, sp.get(k) ?? undefined])) as Record<string, string | undefined>, [sp]);
  const [items, setItems] = useState<TariffSummary[]>([]);
  const [all, setAll] = useState<TariffSummary[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<number[]>([]);
  const [importOpen, setImportOpen] = useState(false);
  const [tick, setTick] = useState(0);
  const canWrite = hasPerm(user?.permissions, 'tariff.write');
  const filtersJson = JSON.stringify(filters);

  useEffect(() => {
    let live = true;
    setLoading(true);
    setError(null);
    tariffApi
      .list(JSON.parse(filtersJson))
      .then((r) => live && setItems(r.items))
      .catch((e) => live && setError(e))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [filtersJson, tick]);

  // filter options come from the whole catalogue
  useEffect(() => {
    tariffApi.list({}).then((r) => setAll(r.items)).catch(() => undefined);
  }, [tick]);
  useEffect(() => form.setFieldsValue(filters), [form, filters]);

  const distinct = (f: (x: TariffSummary) => string[]) => [...new Set(all.flatMap(f))].sort().map((v) => ({ value: v, label: v }));

  const search = (v: Record<string, string | undefined>) => {
    const next = new URLSearchParams();
    for (const k of FILTERS) if (v[k]) next.set(k, String(v[k]).trim());
    setSp(next);
  };

  const exportJson = async (code?: string) => {
    try {
      const docs = await tariffApi.export(code);
      downloadJson(code ? `${code}.json` : 'tariffs.json', docs);
    } catch (e) {
      message.error(errorText(t, e));
    }
  };

  const columns: ColumnsType<TariffSummary> = [
    {
      title: tt('tariffs.code'),
      dataIndex: 'code',
      width: 200,
      render: (v: string, r) => (
        <Link to={`/tariffs/${r.id}`} className="vl-mono" data-testid="tariff-link">
          {v}
        </Link>
      ),
    },
    { title: tt('tariffs.version'), dataIndex: 'version', width: 100, render: (v) => <span className="vl-mono">{v}</span> },
    { title: tt('tariffs.name'), dataIndex: 'name', width: 280, ellipsis: true, render: (n: TariffSummary['name']) => pick(n.zh, n.en) },
    { title: tt('tariffs.province'), dataIndex: 'province', width: 90 },
    { title: tt('tariffs.customerClasses'), dataIndex: 'customerClasses', width: 150, render: (v: string[]) => v.join('、') },
    { title: tt('tariffs.voltageLevels'), dataIndex: 'voltageLevels', width: 120, render: (v: string[]) => v.join('、') },
    { title: tt('tariffs.effectiveFrom'), dataIndex: 'effectiveFrom', width: 115 },
    { title: tt('tariffs.effectiveTo'), dataIndex: 'effectiveTo', width: 115, render: (v: string | null) => v ?? <Typography.Text type="secondary">{tt('tariffs.open')}</Typography.Text> },
    { title: tt('tariffs.status'), dataIndex: 'status', width: 90, render: (v: string) => <StatusTag status={v} /> },
    { title: tt('tariffs.warnings'), dataIndex: 'warnings', width: 180, render: (w: TariffSummary['warnings']) => <WarningsTag warnings={w} /> },
    {
      title: t('common.actions'),
      key: 'actions',
      width: 90,
      render: (_, r) => (
        <Button type="link" size="small" icon={<DownloadOutlined />} onClick={() => exportJson(r.code)} title={tt('tariffs.export')} />
      ),
    },
  ];

  return (
    <PageContainer
      crumbs={[{ title: tt('tariffs.group') }, { title: tt('tariffs.title') }]}
      title={tt('tariffs.title')}
      extra={
        <Space wrap>
          <Button icon={<DiffOutlined />} disabled={selected.length !== 2} onClick={() => navigate(`/tariffs/compare?a=${selected[0]}&b=${selected[1]}`)} data-testid="tariff-compare-selected">
            {selected.length === 2 ? tt('tariffs.compareSelected') : tt('tariffs.selectTwo')}
          </Button>
          <Button icon={<DownloadOutlined />} onClick={() => exportJson()} data-testid="tariff-export-all">
            {tt('tariffs.exportAll')}
          </Button>
          {canWrite && (
            <Button type="primary" icon={<UploadOutlined />} onClick={() => setImportOpen(true)} data-testid="tariff-import-open">
              {tt('tariffs.import')}
            </Button>
          )}
        </Space>
      }
    >
      <Card style={{ marginBottom: 16 }} styles={{ body: { paddingBottom: 4 } }}>
        <Form form={form} layout="vertical" className="vl-query-form" onFinish={search} initialValues={filters}>
          <Row gutter={16}>
            <Col xs={24} md={8} lg={6}>
              <Form.Item name="q" label={tt('tariffs.keyword')}>
                <Input allowClear placeholder={tt('tariffs.keywordPlaceholder')} data-testid="tariff-search-input" onPressEnter={() => form.submit()} />
              </Form.Item>
            </Col>
            <Col xs={12} md={8} lg={4}>
              <Form.Item name="province" label={tt('tariffs.province')}>
                <Select allowClear placeholder={t('common.all')} options={distinct((x) => [x.province])} />
              </Form.Item>
            </Col>
            <Col xs={12} md={8} lg={4}>
              <Form.Item name="customerClass" label={tt('tariffs.customerClasses')}>
                <Select allowClear placeholder={t('common.all')} options={distinct((x) => x.customerClasses)} data-testid="tariff-class-filter" />
              </Form.Item>
            </Col>
            <Col xs={12} md={8} lg={4}>
              <Form.Item name="onDate" label={tt('tariffs.onDate')} rules={[{ pattern: /^\d{4}-\d{2}-\d{2}$/, message: 'YYYY-MM-DD' }]}>
                <Input allowClear placeholder="YYYY-MM-DD" />
              </Form.Item>
            </Col>
            <Col xs={12} md={8} lg={3}>
              <Form.Item name="status" label={tt('tariffs.status')}>
                <Select
                  allowClear
                  placeholder={t('common.all')}
                  options={(['active', 'draft', 'retired'] as const).map((s) => ({ value: s, label: tt(`tariffs.status.${s}`) }))}
                />
              </Form.Item>
            </Col>
            <Col xs={24} lg={3} style={{ display: 'flex', alignItems: 'end', paddingBottom: 12 }}>
              <Space>
                <Button type="primary" htmlType="submit" data-testid="tariff-query">
                  {t('common.query')}
                </Button>
                <Button onClick={() => { form.resetFields(); setSp(new URLSearchParams()); }}>{t('common.reset')}</Button>
              </Space>
            </Col>
          </Row>
        </Form>
      </Card>
      {error != null && <Alert type="error" showIcon title={errorText(t, error)} style={{ marginBottom: 16 }} />}
      <Card styles={{ body: { padding: 0 } }}>
        <Table<TariffSummary>
          rowKey="id"
          size="middle"
          columns={columns}
          dataSource={items}
          loading={loading}
          scroll={{ x: 1400 }}
          data-testid="tariff-results"
          pagination={{ pageSize: 20, hideOnSinglePage: true, showTotal: (total) => t('common.total', { total }) }}
          rowSelection={{
            selectedRowKeys: selected,
            onChange: (keys) => setSelected((keys as number[]).slice(-2)),
          }}
          onRow={(r) => ({ onDoubleClick: () => navigate(`/tariffs/${r.id}`) })}
        />
      </Card>
      <ImportModal open={importOpen} onClose={() => setImportOpen(false)} onDone={() => setTick((x) => x + 1)} />
    </PageContainer>
  );
}

function ImportModal({ open, onClose, onDone }: { open: boolean; onClose: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const tt = useTT();
  const { message } = App.useApp();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<string[] | null>(null);

  const run = async () => {
    setError(null);
    setResult(null);
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch (e) {
      setError(tt('tariffs.importBadJson', { msg: (e as Error).message }));
      return;
    }
    setBusy(true);
    try {
      const r = await tariffApi.import(payload);
      const lines = [
        tt('tariffs.importDone', { created: r.created.length, unchanged: r.unchanged.length }),
        ...r.created.map((c) => `+ ${c.code} ${c.version} (${c.effectiveFrom} – ${c.effectiveTo ?? tt('tariffs.open')})`),
        ...r.warnings.flatMap((w) => w.warnings.map((x) => `⚠ ${w.code} ${w.version}: ${x.code} ${x.message}`)),
      ];
      setResult(lines);
      message.success(lines[0]);
      onDone();
    } catch (e) {
      setError(errorText(t, e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open={open}
      title={tt('tariffs.importTitle')}
      onCancel={() => { setText(''); setError(null); setResult(null); onClose(); }}
      width={760}
      footer={[
        <Button key="c" onClick={() => { setText(''); setError(null); setResult(null); onClose(); }}>{t('common.cancel')}</Button>,
        <Button key="ok" type="primary" loading={busy} disabled={!text.trim()} onClick={run} data-testid="tariff-import-run">
          {tt('tariffs.importRun')}
        </Button>,
      ]}
    >
      <Typography.Paragraph type="secondary">{tt('tariffs.importHint')}</Typography.Paragraph>
      <Upload
        accept=".json,application/json"
        showUploadList={false}
        beforeUpload={(file) => {
          file.text().then(setText);
          return false;
        }}
      >
        <Button icon={<UploadOutlined />} style={{ marginBottom: 8 }}>
          {tt('tariffs.importFile')}
        </Button>
      </Upload>
      <Input.TextArea value={text} onChange={(e) => setText(e.target.value)} rows={12} className="vl-mono" data-testid="tariff-import-text" placeholder='[{ "code": "…", "effectiveFrom": "2025-01-01", … }]' />
      {error && <Alert type="error" showIcon title={error} style={{ marginTop: 12 }} data-testid="tariff-import-error" />}
      {result && (
        <Alert type="success" showIcon style={{ marginTop: 12 }} data-testid="tariff-import-result" title={result[0]} description={<pre style={{ margin: 0, whiteSpace: 'pre-wrap' }}>{result.slice(1).join('\n')}</pre>} />
      )}
    </Modal>
  );
}
