import { useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { Alert, Button, Card, Col, Descriptions, Empty, Flex, Row, Select, Spin, Table, Tag, Typography } from 'antd';
import { SwapOutlined } from '@ant-design/icons';
import { useI18n } from '../../i18n';
import { PageContainer } from '../../components/PageContainer';
import { errorText } from '../../components/errors';
import { tariffApi, type CompareResult, type Period, type TariffChange, type TariffSummary } from './api';
import { useTT, useTTx } from './i18n';
import { PeriodPriceTags, TariffBody } from './TariffViewPage';
import { StatusTag } from './TariffListPage';

function Value({ v }: { v: unknown }) {
  const tx = useTTx();
  if (v === undefined || v === null) return <Typography.Text type="secondary">-</Typography.Text>;
  if (Array.isArray(v) && v.every((x) => x && typeof x === 'object' && 'period' in x && 'from' in x)) {
    return (
      <Flex gap={4} wrap>
        {(v as Array<{ period: Period; from: string; to: string }>).map((b, i) => (
          <Tag key={i}>
            {tx(`tariffs.period.${b.period}`, b.period)} {b.from}–{b.to}
          </Tag>
        ))}
      </Flex>
    );
  }
  if (typeof v === 'object') return <span className="vl-mono" style={{ fontSize: 12, wordBreak: 'break-all' }}>{JSON.stringify(v)}</span>;
  return <span className="vl-mono">{String(v)}</span>;
}

export default function TariffComparePage() {
  const { t, pick } = useI18n();
  const tt = useTT();
  const tx = useTTx();
  const [sp, setSp] = useSearchParams();
  const a = sp.get('a');
  const b = sp.get('b');
  const [all, setAll] = useState<TariffSummary[]>([]);
  const [data, setData] = useState<CompareResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    tariffApi.list({}).then((r) => setAll(r.items)).catch(setError);
  }, []);
  useEffect(() => {
    if (!a || !b) {
      setData(null);
      return;
    }
    let live = true;
    setLoading(true);
    setError(null);
    tariffApi
      .compare(a, b)
      .then((d) => live && setData(d))
      .catch((e) => live && setError(e))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [a, b]);

  const set = (k: 'a' | 'b', v: number | undefined) => {
    const next = new URLSearchParams(sp);
    if (v) next.set(k, String(v));
    else next.delete(k);
    setSp(next);
  };
  // versions of the same code first
  const codeA = all.find((x) => String(x.id) === a)?.code;
  const options = [...all]
    .sort((x, y) => Number(y.code === codeA) - Number(x.code === codeA) || x.code.localeCompare(y.code) || x.effectiveFrom.localeCompare(y.effectiveFrom))
    .map((x) => ({ value: x.id, label: `${x.code} · ${x.version} (${x.effectiveFrom} – ${x.effectiveTo ?? tt('tariffs.open')})` }));

  const changedSections = useMemo(() => new Set(data?.diff.sections ?? []), [data]);
  const changedMonths = useMemo(() => {
    const m = new Map<number, boolean[]>();
    if (!data) return m;
    const slotsOf = (side: CompareResult['a'], month: number) => side.derived.seasons.find((s) => s.months.includes(month))?.slots ?? new Array(96).fill(null);
    for (let month = 1; month <= 12; month++) {
      const sa = slotsOf(data.a, month);
      const sb = slotsOf(data.b, month);
      const diff = sa.map((p, i) => p !== sb[i]);
      if (diff.some(Boolean)) m.set(month, diff);
    }
    return m;
  }, [data]);
  const changedPeriodPrices = useMemo(
    () => new Set((data?.diff.changes ?? []).filter((c) => c.section === 'periodPrices').map((c) => c.path.split('.').pop()!)),
    [data],
  );
  const changedGeneral = new Set((data?.diff.changes ?? []).filter((c) => c.section === 'general').map((c) => c.path));

  const side = (s: CompareResult['a'], label: string, testId: string) => (
    <div data-testid={testId}>
      <Card size="small" style={{ marginBottom: 16 }} title={<span>{label}: <Link to={`/tariffs/${s.id}`} className="vl-mono">{s.code} · {s.version}</Link> <StatusTag status={s.status} /></span>}>
        <Descriptions size="small" column={1}>
          {(['name', 'effectiveFrom', 'effectiveTo', 'customerClasses', 'voltageLevels'] as const).map((k) => (
            <Descriptions.Item key={k} label={tt(`tariffs.${k}` as 'tariffs.name')}>
              <span className={changedGeneral.has(k) ? 'vl-compare-changed' : undefined} style={changedGeneral.has(k) ? { background: '#fff1b8', padding: '0 4px' } : undefined}>
                {k === 'name' ? pick(s.name.zh, s.name.en) : k === 'effectiveTo' ? s.effectiveTo ?? tt('tariffs.open') : Array.isArray(s[k]) ? (s[k] as string[]).join('、') : String(s[k])}
              </span>
            </Descriptions.Item>
          ))}
          <Descriptions.Item label={tt('tariffs.periodPrices')}>
            <PeriodPriceTags prices={s.derived.periodPrices} changed={changedPeriodPrices} />
          </Descriptions.Item>
        </Descriptions>
      </Card>
      <TariffBody doc={s.document} derived={s.derived} changedSections={changedSections} changedMonths={changedMonths} />
    </div>
  );

  return (
    <PageContainer crumbs={[{ title: tt('tariffs.group') }, { title: tt('tariffs.title'), path: '/tariffs' }, { title: tt('tariffs.compare') }]} title={tt('tariffs.compare')}>
      <Card style={{ marginBottom: 16 }}>
        <Flex gap={8} wrap align="center">
          <Typography.Text strong>{tt('tariffs.compareA')}</Typography.Text>
          <Select showSearch={{ optionFilterProp: 'label' }} style={{ minWidth: 380 }} value={a ? Number(a) : undefined} options={options} onChange={(v) => set('a', v)} data-testid="compare-a" />
          <Button icon={<SwapOutlined />} disabled={!a || !b} onClick={() => setSp(new URLSearchParams({ a: b!, b: a! }))} />
          <Typography.Text strong>{tt('tariffs.compareB')}</Typography.Text>
          <Select showSearch={{ optionFilterProp: 'label' }} style={{ minWidth: 380 }} value={b ? Number(b) : undefined} options={options} onChange={(v) => set('b', v)} data-testid="compare-b" />
        </Flex>
      </Card>
      {error != null && <Alert type="error" showIcon title={errorText(t, error)} style={{ marginBottom: 16 }} />}
      {loading && <Spin style={{ display: 'block', margin: '40px auto' }} />}
      {!data && !loading && <Empty description={tt('tariffs.selectTwo')} />}
      {data && !loading && (
        <>
          <Card
            size="small"
            style={{ marginBottom: 16 }}
            title={data.diff.changes.length ? tt('tariffs.changeCount', { n: data.diff.changes.length }) : tt('tariffs.noChanges')}
            data-testid="compare-changes"
          >
            {data.diff.changes.length > 0 && (
              <Table<TariffChange>
                size="small"
                rowKey={(r) => r.path}
                pagination={false}
                dataSource={data.diff.changes}
                rowClassName={() => 'vl-diff-changed'}
                columns={[
                  { title: tt('tariffs.section'), dataIndex: 'section', width: 120, render: (s) => <Tag color="gold">{tx(`tariffs.section.${s}`, s)}</Tag> },
                  { title: tt('tariffs.path'), dataIndex: 'path', width: 260, render: (p) => <span className="vl-mono" data-testid="compare-change-path">{p}</span> },
                  { title: '', dataIndex: 'change', width: 80, render: (c) => <Tag color={c === 'added' ? 'green' : c === 'removed' ? 'red' : 'orange'}>{tx(`tariffs.change.${c}`, c)}</Tag> },
                  { title: tt('tariffs.before'), dataIndex: 'before', render: (v) => <span style={{ color: '#cf1322' }}><Value v={v} /></span> },
                  { title: tt('tariffs.after'), dataIndex: 'after', render: (v) => <span style={{ color: '#389e0d' }}><Value v={v} /></span> },
                ]}
              />
            )}
          </Card>
          <Row gutter={16}>
            <Col xs={24} xl={12}>{side(data.a, tt('tariffs.compareA'), 'compare-side-a')}</Col>
            <Col xs={24} xl={12}>{side(data.b, tt('tariffs.compareB'), 'compare-side-b')}</Col>
          </Row>
        </>
      )}
    </PageContainer>
  );
}
