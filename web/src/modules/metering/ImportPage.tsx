/**
 * 抄表数据导入: download the CSV / Excel template, pick a .csv or .xlsx file, import it
 * (CSV as text, Excel as base64) and read the per-row report: summary counts, each row's
 * result with reason and message, filter by result, export the report as CSV. Importing the
 * same file again reports every stored row as DUPLICATE.
 */
import { useMemo, useState } from 'react';
import { Alert, App, Button, Card, Flex, Select, Statistic, Table, Tag, Typography, Upload } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { DownloadOutlined, FileExcelOutlined, FileTextOutlined, UploadOutlined } from '@ant-design/icons';
import { useI18n } from '../../i18n';
import { PageContainer } from '../../components/PageContainer';
import { errorText } from '../../components/errors';
import { formatDateTime } from '../../app/format';
import { csvField, csvLineKeys, downloadTemplate, importApi, saveBlob, toBase64, type ImportResult, type ImportRow } from './importApi';
import { usePT } from './pages.i18n';

type RowStatus = 'accepted' | 'pending_review' | 'rejected' | 'duplicate';
const STATUS_COLORS: Record<RowStatus, string> = { accepted: 'green', pending_review: 'orange', rejected: 'red', duplicate: 'default' };

const rowStatus = (r: ImportRow): RowStatus => (r.duplicate || r.reason === 'DUPLICATE' ? 'duplicate' : r.status);

interface ReportRow extends ImportRow {
  key: string;
  shownStatus: RowStatus;
  acc: string;
  meter: string;
}

export default function ImportPage() {
  const pt = usePT();
  const { t, pick, lang } = useI18n();
  const { message } = App.useApp();
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<{ fileName: string; data: ImportResult; keys: Map<number, { accountNo: string; meterAssetNo: string }> } | null>(null);
  const [filter, setFilter] = useState<RowStatus | undefined>();

  const template = async (format: 'csv' | 'xlsx') => {
    setError(null);
    try {
      await downloadTemplate(format);
    } catch (e) {
      setError(errorText(t, e));
    }
  };

  const upload = async () => {
    if (!file) {
      setError(pt('import.noFile'));
      return;
    }
    const lower = file.name.toLowerCase();
    if (!lower.endsWith('.csv') && !lower.endsWith('.xlsx')) {
      setError(pt('import.badType'));
      return;
    }
    setBusy(true);
    setError(null);
    setResult(null);
    setFilter(undefined);
    try {
      if (lower.endsWith('.csv')) {
        const text = await file.text();
        const data = await importApi.csv(text, file.name);
        setResult({ fileName: file.name, data, keys: csvLineKeys(text) });
        message.success(pt('import.done', { stored: data.summary.stored }));
      } else {
        const data = await importApi.xlsx(toBase64(await file.arrayBuffer()), file.name);
        setResult({ fileName: file.name, data, keys: new Map() });
        message.success(pt('import.done', { stored: data.summary.stored }));
      }
    } catch (e) {
      setError(errorText(t, e));
    } finally {
      setBusy(false);
    }
  };

  const rows: ReportRow[] = useMemo(() => {
    if (!result) return [];
    return result.data.rows.map((r, i) => {
      const k = result.keys.get(r.row);
      return {
        ...r,
        key: `${r.row}-${r.register}-${i}`,
        shownStatus: rowStatus(r),
        acc: r.accountNo ?? (k?.accountNo || ''),
        meter: r.meterAssetNo ?? (k?.meterAssetNo || ''),
      };
    });
  }, [result]);
  const shown = useMemo(() => (filter ? rows.filter((r) => r.shownStatus === filter) : rows), [rows, filter]);

  const exportCsv = () => {
    if (!result) return;
    const head = ['row', 'accountNo', 'meterAssetNo', 'register', 'readAt', 'value', 'consumption', 'status', 'reason', 'message', 'readingId'];
    const lines = [head.join(',')];
    for (const r of rows) {
      lines.push([r.row, r.acc, r.meter, r.register, r.readAt ?? '', r.value ?? '', r.consumption ?? '', r.shownStatus, r.reason ?? '', r.message ? pick(r.message.zh, r.message.en) : (r.ruleResults ?? []).map((x) => pick(x.zh, x.en)).join('; '), r.readingId ?? '']
        .map(csvField).join(','));
    }
    const base = result.fileName.replace(/\.(csv|xlsx)$/i, '');
    saveBlob(new Blob(['\uFEFF' + lines.join('\r\n') + '\r\n'], { type: 'text/csv;charset=utf-8' }), `${base}-report.csv`);
  };

  const columns: ColumnsType<ReportRow> = [
    { title: pt('import.row'), dataIndex: 'row', width: 64, render: (v: number) => <span data-testid="import-row-no">{v}</span> },
    {
      title: pt('import.accountMeter'),
      key: 'acc',
      width: 190,
      render: (_, r) => (
        <span className="vl-mono">
          {r.acc || (r.accountId ? `#${r.accountId}` : '')}
          {r.meter ? <Typography.Text type="secondary"> / {r.meter}</Typography.Text> : null}
        </span>
      ),
    },
    { title: pt('import.register'), dataIndex: 'register', width: 90 },
    { title: pt('import.readAt'), dataIndex: 'readAt', width: 160, render: (v?: string) => (v ? formatDateTime(v) : '') },
    { title: pt('import.value'), dataIndex: 'value', width: 110, align: 'right', render: (v?: string | null) => <span className="vl-mono">{v ?? ''}</span> },
    {
      title: pt('import.status'),
      key: 'status',
      width: 90,
      render: (_, r) => (
        <Tag color={STATUS_COLORS[r.shownStatus]} data-testid="import-status">
          {pt(`import.status.${r.shownStatus}`)}
        </Tag>
      ),
    },
    {
      title: pt('import.reason'),
      key: 'reason',
      width: 360,
      render: (_, r) => (
        <div data-testid="import-reason">
          {r.reason && <Tag>{r.reason}</Tag>}
          {r.message ? (
            <Typography.Text style={{ fontSize: 12 }}>{pick(r.message.zh, r.message.en)}</Typography.Text>
          ) : (
            (r.ruleResults ?? [])
              .filter((x) => x.severity !== 'info' || r.shownStatus !== 'accepted')
              .map((x, i) => (
                <div key={i} style={{ fontSize: 12 }}>
                  {x.rule}: {pick(x.zh, x.en)}
                </div>
              ))
          )}
        </div>
      ),
    },
  ];

  const s = result?.data.summary;
  const stat = (title: string, value: number, testId: string, color?: string) => (
    <Card size="small" style={{ minWidth: 96, flex: '1 1 96px' }}>
      <Statistic title={title} value={value} valueStyle={color ? { color } : undefined} data-testid={testId} />
    </Card>
  );

  return (
    <PageContainer crumbs={[{ title: pt('mp.group') }, { title: pt('import.title') }]} title={pt('import.title')}>
      <Typography.Paragraph type="secondary">{pt('import.subtitle')}</Typography.Paragraph>
      <Card style={{ marginBottom: 16 }} styles={{ body: { padding: 12 } }}>
        <Flex wrap gap={8} align="center" style={{ marginBottom: 8 }}>
          <Button icon={<FileTextOutlined />} onClick={() => template('csv')} data-testid="import-template-csv">
            {pt('import.templateCsv')}
          </Button>
          <Button icon={<FileExcelOutlined />} onClick={() => template('xlsx')} data-testid="import-template-xlsx">
            {pt('import.templateXlsx')}
          </Button>
        </Flex>
        <Flex wrap gap={8} align="center">
          <Upload
            accept=".csv,.xlsx"
            maxCount={1}
            showUploadList={false}
            beforeUpload={(f) => {
              setFile(f);
              setError(null);
              return false;
            }}
          >
            <Button icon={<UploadOutlined />} data-testid="import-pick">
              {pt('import.pick')}
            </Button>
          </Upload>
          <Typography.Text data-testid="import-file-name" ellipsis style={{ maxWidth: 220 }}>
            {file ? file.name : ''}
          </Typography.Text>
          <Button type="primary" loading={busy} disabled={!file} onClick={upload} data-testid="import-upload">
            {busy ? pt('import.uploading') : pt('import.upload')}
          </Button>
        </Flex>
        <Typography.Paragraph type="secondary" style={{ margin: '8px 0 0', fontSize: 12, wordBreak: 'break-word' }}>
          {pt('import.fileHint')}
        </Typography.Paragraph>
      </Card>
      {error && <Alert type="error" showIcon closable title={error} style={{ marginBottom: 16 }} onClose={() => setError(null)} data-testid="import-error" />}
      {result && s && (
        <Card
          title={`${pt('import.summary')} · ${result.fileName}`}
          style={{ marginBottom: 16 }}
          styles={{ body: { padding: 12 } }}
          data-testid="import-report"
          extra={
            <Button size="small" icon={<DownloadOutlined />} onClick={exportCsv} data-testid="import-export">
              {pt('import.export')}
            </Button>
          }
        >
          <Flex wrap gap={8} style={{ marginBottom: 12 }} key={lang}>
            {stat(pt('import.rows'), s.rows, 'import-sum-rows')}
            {stat(pt('import.stored'), s.stored, 'import-sum-stored')}
            {stat(pt('import.acceptedN'), s.accepted, 'import-sum-accepted', '#389e0d')}
            {stat(pt('import.pendingN'), s.pendingReview, 'import-sum-pending', '#d46b08')}
            {stat(pt('import.rejectedN'), s.rejected, 'import-sum-rejected', '#cf1322')}
            {stat(pt('import.duplicatesN'), s.duplicates, 'import-sum-duplicates')}
          </Flex>
          <Flex wrap gap={8} align="center" style={{ marginBottom: 8 }}>
            <span>{pt('import.filter')}</span>
            <Select
              allowClear
              placeholder={pt('mp.any')}
              style={{ width: 160 }}
              value={filter}
              onChange={(v) => setFilter(v)}
              options={(['accepted', 'pending_review', 'rejected', 'duplicate'] as const).map((k) => ({ value: k, label: `${pt(`import.status.${k}`)} (${rows.filter((r) => r.shownStatus === k).length})` }))}
              data-testid="import-filter"
            />
          </Flex>
          <Table
            rowKey="key"
            size="small"
            columns={columns}
            dataSource={shown}
            scroll={{ x: 1064 }}
            pagination={{ defaultPageSize: 50, showSizeChanger: true, pageSizeOptions: [20, 50, 100, 500], size: 'small' }}
            data-testid="import-table"
          />
        </Card>
      )}
    </PageContainer>
  );
}
