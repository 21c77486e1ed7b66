/**
 * Monthly usage of one account: the last 12 months as bars with the same months a year earlier
 * as a line, totals with the year-on-year change, and (optionally) the TOU split.
 */
import { useEffect, useMemo, useState } from 'react';
import { Alert, Empty, Flex, Skeleton, Statistic, Typography } from 'antd';
import { EChart, type ChartOption } from '../../components/EChart';
import { errorText } from '../../components/errors';
import { useI18n } from '../../i18n';
import { portalApi, type UsageItem } from './api';
import { usePT, type PKey } from './i18n';

const num = (s: string | null | undefined) => (s == null ? null : Number(s));
/** kWh with thousands separators and at most 2 decimals (display only). */
export const kwh = (s: string | number | null | undefined) =>
  s == null || s === '' ? '-' : Number(s).toLocaleString('zh-CN', { maximumFractionDigits: 2 });

function sumKwh(items: UsageItem[], pick: (i: UsageItem) => string | null | undefined): number | null {
  let any = false;
  let hundredths = 0;
  for (const i of items) {
    const v = pick(i);
    if (v == null) continue;
    any = true;
    hundredths += Math.round(Number(v) * 100);
  }
  return any ? hundredths / 100 : null;
}

export function UsageChart({ accountId, months = 24, showTou = true, height = 260 }: { accountId: number; months?: number; showTou?: boolean; height?: number }) {
  const { t } = usePT();
  const shell = useI18n();
  const [items, setItems] = useState<UsageItem[] | null>(null);
  const [err, setErr] = useState<string | null>(null);

  useEffect(() => {
    setItems(null);
    setErr(null);
    portalApi.usage(accountId, months).then((r) => setItems(r.items)).catch((e) => setErr(errorText(shell.t, e)));
  }, [accountId, months, shell.t]);

  const last12 = useMemo(() => (items ?? []).slice(-12), [items]);
  const option = useMemo<ChartOption>(() => ({
    tooltip: { trigger: 'axis' },
    legend: { data: [t('usage.thisYear'), t('usage.lastYear')], top: 0 },
    grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: last12.map((i) => i.period.slice(2)), axisLabel: { fontSize: 10 } },
    yAxis: { type: 'value', axisLabel: { fontSize: 10 } },
    series: [
      { name: t('usage.thisYear'), type: 'bar', data: last12.map((i) => num(i.kwh)), itemStyle: { color: '#1677ff' } },
      { name: t('usage.lastYear'), type: 'line', data: last12.map((i) => num(i.lastYearKwh)), itemStyle: { color: '#fa8c16' }, connectNulls: true },
    ],
  }), [last12, t]);
  const tou = useMemo(() => {
    const regs = ['SHARP', 'PEAK', 'FLAT', 'VALLEY'] as const;
    return regs.map((r) => ({ r, v: sumKwh(last12, (i) => i.registers[r]) })).filter((x) => x.v !== null && x.v > 0);
  }, [last12]);

  if (err) return <Alert type="error" showIcon title={err} />;
  if (!items) return <Skeleton active />;
  const total = sumKwh(last12, (i) => i.kwh);
  const before = sumKwh(last12, (i) => i.lastYearKwh);
  if (total === null && before === null) return <Empty description={t('usage.empty')} />;
  const change = total !== null && before ? ((total - before) / before) * 100 : null;
  return (
    <div data-testid="portal-usage">
      <Typography.Text strong>{t('usage.title')}</Typography.Text>
      <EChart option={option} height={height} testId="portal-usage-chart" />
      <Flex wrap gap={16} style={{ marginTop: 8 }}>
        <Statistic title={t('usage.total')} value={kwh(total)} suffix="kWh" styles={{ content: { fontSize: 18 } }} />
        <Statistic title={t('usage.lastYearTotal')} value={kwh(before)} suffix="kWh" styles={{ content: { fontSize: 18 } }} />
        {change !== null && <Statistic title={t('usage.change')} value={`${change >= 0 ? '+' : ''}${change.toFixed(1)}%`} styles={{ content: { fontSize: 18, color: change > 0 ? '#cf1322' : '#389e0d' } }} />}
      </Flex>
      {showTou && tou.length > 0 && (
        <div style={{ marginTop: 12 }} data-testid="portal-usage-tou">
          <Typography.Text type="secondary">{t('usage.tou')}: </Typography.Text>
          {tou.map((x) => <Typography.Text key={x.r} style={{ marginRight: 12, whiteSpace: 'nowrap' }}>{t(`reg.${x.r}` as PKey)} {kwh(x.v)} kWh</Typography.Text>)}
          <div><Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('usage.tip')}</Typography.Text></div>
        </div>
      )}
    </div>
  );
}
