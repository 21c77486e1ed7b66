/**
 * 业扩及时率 (manager): on-time rate per stage and per 供电所 for stages completed in a date range
 * (bar charts, ECharts), totals, and the list of stages overdue now; export as CSV for Excel.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { Alert, Button, Card, Col, Flex, Input, Row, Statistic, Table, Typography } from 'antd';
import { DownloadOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { PageContainer } from '../../components/PageContainer';
import { EChart, type ChartOption } from '../../components/EChart';
import { errorText } from '../../components/errors';
import { useI18n } from '../../i18n';
import { serviceApi, type OnTimeReport } from './api';
import { useL, useST } from './i18n';

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export default function ReportPage() {
  const st = useST();
  const l = useL();
  const { t } = useI18n();
  const [from, setFrom] = useState(dayjs().startOf('year').format('YYYY-MM-DD'));
  const [to, setTo] = useState(dayjs().format('YYYY-MM-DD'));
  const [data, setData] = useState<OnTimeReport | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setData(await serviceApi.report({ from, to }));
      setError(null);
    } catch (e) {
      setError(errorText(t, e));
    }
  }, [from, to, t]);

  useEffect(() => {
    void load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const chart = (rows: Array<{ label: string; rate: string | null; total: number }>): ChartOption => ({
    tooltip: { trigger: 'axis' },
    grid: { left: 40, right: 16, top: 24, bottom: 60 },
    xAxis: { type: 'category', data: rows.map((r) => r.label), axisLabel: { interval: 0, rotate: rows.length > 4 ? 30 : 0 } },
    yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
    series: [{ type: 'bar', name: st('svc.rate'), data: rows.map((r) => (r.rate === null ? null : Number(r.rate))), label: { show: true, formatter: '{c}%' } }],
  });
  const stageChart = useMemo(() => chart((data?.byStage ?? []).map((s) => ({ label: l(s.stageName), rate: s.rate, total: s.total }))), [data, l]); // eslint-disable-line react-hooks/exhaustive-deps
  const orgChart = useMemo(() => chart((data?.byOrgUnit ?? []).map((s) => ({ label: s.orgUnitName, rate: s.rate, total: s.total }))), [data]); // eslint-disable-line react-hooks/exhaustive-deps

  function exportCsv() {
    if (!data) return;
    const lines = [[st('svc.byStage'), st('svc.total'), st('svc.onTime'), st('svc.late'), st('svc.rate')].join(',')];
    for (const s of data.byStage) lines.push([l(s.stageName), s.total, s.onTime, s.late, s.rate ?? ''].map(csvCell).join(','));
    lines.push('', [st('svc.byOrg'), st('svc.total'), st('svc.onTime'), st('svc.late'), st('svc.rate')].join(','));
    for (const s of data.byOrgUnit) lines.push([s.orgUnitName, s.total, s.onTime, s.late, s.rate ?? ''].map(csvCell).join(','));
    const blob = new Blob(['\ufeff' + lines.join('\r\n')], { type: 'text/csv;charset=utf-8' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `service-on-time-${data.from}-${data.to}.csv`;
    a.click();
    URL.revokeObjectURL(a.href);
  }

  const cols = [
    { title: st('svc.total'), dataIndex: 'total', align: 'right' as const },
    { title: st('svc.onTime'), dataIndex: 'onTime', align: 'right' as const },
    { title: st('svc.late'), dataIndex: 'late', align: 'right' as const },
    { title: st('svc.rate'), dataIndex: 'rate', align: 'right' as const, render: (v: string | null) => (v === null ? '-' : `${v}%`) },
  ];

  return (
    <PageContainer crumbs={[{ title: st('svc.group') }, { title: st('svc.report') }]} title={st('svc.reportTitle')}
      extra={<Button icon={<DownloadOutlined />} onClick={exportCsv} disabled={!data} data-testid="report-export">{st('svc.export')}</Button>}>
      <Card size="small" style={{ marginBottom: 12 }}>
        <Flex gap={8} wrap align="center">
          <span>{st('svc.from')}</span><Input type="date" style={{ width: 160 }} value={from} onChange={(e) => setFrom(e.target.value)} data-testid="report-from" />
          <span>{st('svc.to')}</span><Input type="date" style={{ width: 160 }} value={to} onChange={(e) => setTo(e.target.value)} data-testid="report-to" />
          <Button type="primary" onClick={() => void load()} data-testid="report-run">{st('svc.query')}</Button>
        </Flex>
      </Card>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} />}
      {data && (
        <>
          <Row gutter={[12, 12]} style={{ marginBottom: 12 }}>
            <Col xs={12} md={6}><Card size="small"><Statistic title={st('svc.total')} value={data.total.total} /></Card></Col>
            <Col xs={12} md={6}><Card size="small"><Statistic title={st('svc.onTime')} value={data.total.onTime} /></Card></Col>
            <Col xs={12} md={6}><Card size="small"><Statistic title={st('svc.late')} value={data.total.late} /></Card></Col>
            <Col xs={12} md={6}><Card size="small"><Statistic title={st('svc.rate')} value={data.total.rate ?? '-'} suffix={data.total.rate ? '%' : ''} valueStyle={{ color: '#1677ff' }} /><span data-testid="report-rate" hidden>{data.total.rate}</span></Card></Col>
          </Row>
          <Row gutter={[12, 12]}>
            <Col xs={24} lg={12}>
              <Card size="small" title={st('svc.byStage')}>
                <EChart option={stageChart} height={260} testId="report-stage-chart" />
                <Table size="small" rowKey="stage" pagination={false} dataSource={data.byStage} data-testid="report-stage-table"
                  columns={[{ title: st('svc.stage'), dataIndex: 'stageName', render: (v) => l(v) }, ...cols]} />
              </Card>
            </Col>
            <Col xs={24} lg={12}>
              <Card size="small" title={st('svc.byOrg')}>
                <EChart option={orgChart} height={260} testId="report-org-chart" />
                <Table size="small" rowKey="orgUnitId" pagination={false} dataSource={data.byOrgUnit} data-testid="report-org-table"
                  columns={[{ title: st('svc.orgUnit'), dataIndex: 'orgUnitName' }, ...cols]} />
              </Card>
            </Col>
          </Row>
          <Card size="small" title={`${st('svc.overdueList')} (${data.overdue.length})`} style={{ marginTop: 12 }}>
            {data.overdue.length === 0 ? <Typography.Text type="secondary">{st('svc.empty')}</Typography.Text> : (
              <Table size="small" rowKey={(r) => `${r.id}-${r.stage}`} pagination={{ pageSize: 10 }} dataSource={data.overdue} scroll={{ x: true }} data-testid="report-overdue"
                columns={[
                  { title: st('svc.requestNo'), dataIndex: 'requestNo', render: (v, r) => <Link to={`/service/${r.id}`}>{v}</Link> },
                  { title: st('svc.type'), dataIndex: 'typeName', render: (v) => l(v) },
                  { title: st('svc.stage'), dataIndex: 'stageName', render: (v) => l(v) },
                  { title: st('svc.dueOn'), dataIndex: 'dueOn' },
                  { title: st('svc.orgUnit'), dataIndex: 'orgUnitName' },
                ]} />
            )}
          </Card>
        </>
      )}
    </PageContainer>
  );
}
