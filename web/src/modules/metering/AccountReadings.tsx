/**
 * 抄表记录 in the account 360° view: the latest value of each register, a monthly usage chart
 * (this year against last year, from accepted and estimated readings) and the reading history
 * with source, status and VEE flags. Data: GET /accounts/:id/usage and /accounts/:id/readings.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Alert, Card, Col, Empty, Grid, Row, Select, Space, Statistic, Table, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { api } from '../../api/client';
import { useI18n } from '../../i18n';
import { EChart, type ChartOption } from '../../components/EChart';
import { formatDateTime, formatQuantity } from '../../app/format';

type Lang = 'zh' | 'en';

const S = {
  zh: {
    latest: '最新示数', usage: '月度用电量（kWh，含倍率）', history: '抄表明细', register: '示数类型', all: '全部',
    readAt: '抄表时间', value: '示数', consumption: '电量 kWh', source: '来源', status: '状态', flags: '校核', period: '账期',
    thisYear: '本年', lastYear: '去年同期', estimated: '含估抄', none: '暂无抄表记录', error: '加载失败',
  },
  en: {
    latest: 'Latest readings', usage: 'Monthly consumption (kWh, × multiplier)', history: 'Reading history', register: 'Register', all: 'All',
    readAt: 'Read at', value: 'Reading', consumption: 'kWh', source: 'Source', status: 'Status', flags: 'Checks', period: 'Period',
    thisYear: 'This year', lastYear: 'Last year', estimated: 'includes estimate', none: 'No readings yet', error: 'Could not load',
  },
} as const;

const REGISTER_NAMES: Record<string, [string, string]> = {
  TOTAL: ['总', 'Total'], SHARP: ['尖', 'Critical peak'], PEAK: ['峰', 'Peak'], FLAT: ['平', 'Flat'], VALLEY: ['谷', 'Valley'],
  REVERSE: ['反向', 'Reverse'], REACTIVE: ['无功', 'Reactive'], REACTIVE_REV: ['反向无功', 'Reactive rev.'], MAX_DEMAND: ['最大需量', 'Max demand'],
};
const SOURCE_NAMES: Record<string, [string, string]> = {
  manual: ['人工', 'Manual'], phone: ['移动抄表', 'Phone'], import: ['导入', 'Import'], headend: ['自动采集', 'Head-end'], estimate: ['估抄', 'Estimate'], exchange: ['换表', 'Exchange'],
};
const STATUS: Record<string, [string, string, string]> = {
  accepted: ['有效', 'Accepted', 'green'], pending_review: ['待复核', 'To review', 'orange'], rejected: ['已驳回', 'Rejected', 'red'],
  estimated: ['估抄', 'Estimated', 'purple'], replaced: ['已替换', 'Replaced', 'default'],
};

interface Reading {
  id: number; register: string; readAt: string; billingPeriod: string; value: string | null; consumption: string | null;
  source: string; status: string; qualityFlags: string[]; meterAssetNo: string; exceptionCode: string | null;
  ruleResults: Array<{ rule: string; severity: string; zh: string; en: string }>;
}
interface Usage { items: Array<{ period: string; registers: Record<string, string | null>; estimated: boolean }> }

const name = (m: Record<string, [string, string] | [string, string, string]>, k: string, lang: Lang) => (m[k] ? m[k][lang === 'en' ? 1 : 0] : k);

export default function AccountReadings({ accountId }: { accountId: number }) {
  const { lang: l } = useI18n();
  const lang: Lang = l === 'en' ? 'en' : 'zh';
  const s = S[lang];
  const isPhone = !Grid.useBreakpoint().md;
  const [register, setRegister] = useState<string | undefined>();
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(10);
  const [rows, setRows] = useState<Reading[]>([]);
  const [latest, setLatest] = useState<Reading[]>([]);
  const [usage, setUsage] = useState<Usage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    let live = true;
    Promise.all([
      api.get<Usage>(`/accounts/${accountId}/usage`, { months: 24 }),
      api.get<{ items: Reading[] }>(`/accounts/${accountId}/readings`, { page: 1, pageSize: 40 }),
    ]).then(([u, r]) => {
      if (!live) return;
      setUsage(u);
      const seen = new Set<string>();
      setLatest(r.items.filter((x) => x.value !== null && x.status !== 'rejected' && !seen.has(x.register) && seen.add(x.register)));
    }).catch((e: Error) => live && setError(e.message));
    return () => { live = false; };
  }, [accountId]);

  const load = useCallback(async () => {
    setLoading(true);
    try {
      const r = await api.get<{ items: Reading[] }>(`/accounts/${accountId}/readings`, { page, pageSize, register });
      setRows(r.items);
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setLoading(false);
    }
  }, [accountId, page, pageSize, register]);
  useEffect(() => { void load(); }, [load]);

  const chart = useMemo<ChartOption | null>(() => {
    if (!usage || !usage.items.some((i) => i.registers.TOTAL)) return null;
    const items = usage.items;
    const recent = items.slice(-12);
    const prior = items.slice(-24, -12);
    const kwh = (v: string | null | undefined) => (v == null ? null : Number(v));
    return {
      tooltip: { trigger: 'axis' },
      legend: { data: [s.thisYear, s.lastYear] },
      grid: { left: 48, right: 12, top: 32, bottom: 28 },
      xAxis: { type: 'category', data: recent.map((i) => i.period.slice(2)) },
      yAxis: { type: 'value', name: 'kWh' },
      series: [
        { name: s.thisYear, type: 'bar', data: recent.map((i) => ({ value: kwh(i.registers.TOTAL), itemStyle: i.estimated ? { color: '#b37feb' } : undefined })) },
        { name: s.lastYear, type: 'line', data: recent.map((_, k) => kwh(prior[k]?.registers.TOTAL)) },
      ],
    };
  }, [usage, s]);

  const columns: ColumnsType<Reading> = [
    { title: s.readAt, dataIndex: 'readAt', width: 150, render: (v: string) => formatDateTime(v) },
    { title: s.register, dataIndex: 'register', width: 90, render: (v: string) => name(REGISTER_NAMES, v, lang) },
    { title: s.value, dataIndex: 'value', align: 'right', render: (v: string | null, r) => (v === null ? <Tag>{r.exceptionCode ?? '-'}</Tag> : <span className="vl-mono">{v}</span>) },
    { title: s.consumption, dataIndex: 'consumption', align: 'right', render: (v: string | null) => (v === null ? '-' : formatQuantity(v)) },
    ...(isPhone ? [] : [
      { title: s.period, dataIndex: 'billingPeriod', width: 90 },
      { title: s.source, dataIndex: 'source', width: 90, render: (v: string) => name(SOURCE_NAMES, v, lang) },
    ] as ColumnsType<Reading>),
    { title: s.status, dataIndex: 'status', width: 90, render: (v: string) => <Tag color={STATUS[v]?.[2]}>{name(STATUS, v, lang)}</Tag> },
    ...(isPhone ? [] : [{
      title: s.flags, dataIndex: 'ruleResults', render: (rr: Reading['ruleResults']) => (
        <Space size={2} wrap>
          {(rr ?? []).filter((x) => x.severity !== 'info').map((x) => (
            <Tooltip key={x.rule} title={lang === 'en' ? x.en : x.zh}><Tag color={x.severity === 'error' ? 'red' : 'orange'}>{x.rule}</Tag></Tooltip>
          ))}
        </Space>
      ),
    }] as ColumnsType<Reading>),
  ];

  if (error && !rows.length) return <Alert type="error" showIcon message={s.error} description={error} />;
  return (
    <div data-testid="account-readings">
      {latest.length ? (
        <Row gutter={[12, 12]} style={{ marginBottom: 12 }}>
          {latest.map((r) => (
            <Col key={r.register} xs={12} sm={8} md={6} lg={4}>
              <Card size="small">
                <Statistic title={`${s.latest} · ${name(REGISTER_NAMES, r.register, lang)}`} value={r.value ?? '-'} valueStyle={{ fontSize: 18, fontFamily: 'monospace' }} />
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>{formatDateTime(r.readAt)}</Typography.Text>
              </Card>
            </Col>
          ))}
        </Row>
      ) : (
        <Empty description={s.none} />
      )}
      {chart && (
        <Card size="small" title={s.usage} style={{ marginBottom: 12 }}>
          <EChart option={chart} height={isPhone ? 220 : 260} testId="account-usage-chart" />
        </Card>
      )}
      <Space style={{ marginBottom: 8 }} wrap>
        <Typography.Text strong>{s.history}</Typography.Text>
        <Select
          size="small"
          style={{ width: 140 }}
          value={register ?? ''}
          onChange={(v) => { setRegister(v || undefined); setPage(1); }}
          options={[{ value: '', label: s.all }, ...Object.keys(REGISTER_NAMES).map((k) => ({ value: k, label: name(REGISTER_NAMES, k, lang) }))]}
          data-testid="account-readings-register"
        />
      </Space>
      <Table<Reading>
        rowKey="id"
        size="small"
        loading={loading}
        columns={columns}
        dataSource={rows}
        scroll={isPhone ? undefined : { x: 900 }}
        pagination={{
          current: page, pageSize, pageSizeOptions: [10, 20, 50, 100], showSizeChanger: true,
          // the API pages without a total: allow "next" while a page is full
          total: (page - 1) * pageSize + rows.length + (rows.length === pageSize ? 1 : 0),
          onChange: (p, ps) => { setPage(ps !== pageSize ? 1 : p); setPageSize(ps); },
        }}
      />
    </div>
  );
}
