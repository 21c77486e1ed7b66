import { useEffect, useState, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { Alert, Button, Card, Col, Descriptions, Empty, Flex, Row, Select, Space, Spin, Table, Tag, Typography } from 'antd';
import { CalculatorOutlined, DiffOutlined, DownloadOutlined, PlusOutlined } from '@ant-design/icons';
import { useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { PageContainer } from '../../components/PageContainer';
import { errorText } from '../../components/errors';
import { downloadJson, hasPerm, PERIODS, tariffApi, type Period, type TariffDocument, type TariffView } from './api';
import { useTT, useTTx } from './i18n';
import { PeriodLegend, TouBar, PERIOD_COLOURS } from './TouBar';
import { StatusTag, WarningsTag } from './TariffListPage';
import { NewVersionDrawer } from './NewVersionDrawer';

export function Section({ title, children, testId, highlight }: { title: ReactNode; children: ReactNode; testId?: string; highlight?: boolean }) {
  return (
    <Card size="small" title={title} style={{ marginBottom: 16, ...(highlight ? { borderColor: '#faad14', boxShadow: '0 0 0 1px #faad14' } : {}) }} data-testid={testId}>
      {children}
    </Card>
  );
}

export function PeriodPriceTags({ prices, changed }: { prices: Partial<Record<Period, string>>; changed?: Set<string> }) {
  const tx = useTTx();
  const list = PERIODS.filter((p) => prices[p] !== undefined);
  if (!list.length) return <Typography.Text type="secondary">-</Typography.Text>;
  return (
    <Flex gap={8} wrap>
      {list.map((p) => (
        <Tag key={p} color={PERIOD_COLOURS[p]} style={{ color: p === 'FLAT' ? '#614700' : undefined, outline: changed?.has(p) ? '2px solid #eb2f96' : undefined }} data-testid={`period-price-${p}`}>
          {tx(`tariffs.period.${p}`, p)} <span className="vl-mono">{prices[p]}</span>
        </Tag>
      ))}
    </Flex>
  );
}

/** The body of a tariff version (used by the view and, per side, by the compare page). */
export function TariffBody({ doc, derived, changedSections, changedMonths }: {
  doc: TariffDocument;
  derived: TariffView['derived'];
  changedSections?: Set<string>;
  changedMonths?: Map<number, boolean[]>;
}) {
  const { pick } = useI18n();
  const tt = useTT();
  const tx = useTTx();
  const hl = (s: string) => changedSections?.has(s) ?? false;
  const tou = doc.tou;
  return (
    <>
      <Section title={tt('tariffs.components')} testId="tariff-components" highlight={hl('components')}>
        <Table
          size="small"
          rowKey="code"
          pagination={false}
          dataSource={doc.energyComponents}
          columns={[
            { title: tt('tariffs.component.code'), dataIndex: 'code', render: (v) => <span className="vl-mono">{v}</span> },
            { title: tt('tariffs.name'), dataIndex: 'name', render: (n) => pick(n.zh, n.en) },
            { title: tt('tariffs.component.kind'), dataIndex: 'kind', render: (k) => tx(`tariffs.kind.${k}`, k) },
            { title: tt('tariffs.component.price'), dataIndex: 'price', align: 'right', render: (v) => <span className="vl-mono">{v}</span> },
            { title: tt('tariffs.component.monthly'), dataIndex: 'publishedMonthly', render: (v) => (v ? '✓' : '') },
          ]}
        />
        <Flex gap={16} wrap style={{ marginTop: 12 }} align="center">
          <Typography.Text strong>{tt('tariffs.periodPrices')}</Typography.Text>
          <PeriodPriceTags prices={derived.periodPrices} />
          <Typography.Text type="secondary">
            {tt('tariffs.energyLineMode')}: {tt(`tariffs.lineMode.${doc.energyLineMode ?? 'ALL_IN'}` as 'tariffs.lineMode.ALL_IN')}
          </Typography.Text>
        </Flex>
      </Section>

      {doc.ladder && (
        <Section title={`${tt('tariffs.ladder')} · ${tt(`tariffs.ladder.${doc.ladder.cycle}` as 'tariffs.ladder.ANNUAL')}`} testId="tariff-ladder" highlight={hl('ladder')}>
          <Table
            size="small"
            pagination={false}
            rowKey="n"
            dataSource={[...doc.ladder.thresholds, null].map((th, i, arr) => ({
              n: i + 1,
              range: `${i === 0 ? 0 : (arr[i - 1] as number) + 1} – ${th ?? '∞'}`,
              inc: i === 0 ? '0' : doc.ladder!.increments[i - 1],
            }))}
            columns={[
              { title: tt('tariffs.ladder.tier'), dataIndex: 'n', render: (n) => tt('tariffs.ladder.tierN', { n }) },
              { title: tt('tariffs.ladder.range'), dataIndex: 'range', render: (v) => <span className="vl-mono">{v}</span> },
              { title: tt('tariffs.ladder.increment'), dataIndex: 'inc', align: 'right', render: (v) => <span className="vl-mono">+{v}</span> },
            ]}
          />
        </Section>
      )}

      {tou && (
        <Section title={tt('tariffs.tou')} testId="tariff-tou" highlight={hl('bands') || hl('ratios')}>
          <Space orientation="vertical" style={{ width: '100%' }} size={12}>
            <PeriodLegend periods={PERIODS.filter((p) => derived.usedPeriods.includes(p) || derived.holidayOverrides.some((h) => h.bands.some((b) => b.period === p)))} />
            {derived.seasons.map((s, i) => {
              const changed = changedMonths ? s.months.map((m) => changedMonths.get(m)).find(Boolean) : undefined;
              return (
                <div key={i} data-testid="tou-season">
                  <Typography.Text strong>{s.name ?? `${tt('tariffs.tou.season')} ${i + 1}`}</Typography.Text>{' '}
                  <Typography.Text type="secondary">{tt('tariffs.tou.monthsList', { months: s.months.join(',') })}</Typography.Text>
                  <TouBar slots={s.slots} changed={changed} testId="tou-bar" />
                </div>
              );
            })}
            {derived.holidayOverrides.length > 0 && (
              <div>
                <Typography.Text strong>{tt('tariffs.tou.holidays')}</Typography.Text>
                {derived.holidayOverrides.map((h) => (
                  <div key={h.holidayCode}>
                    <Typography.Text className="vl-mono">{h.holidayCode}</Typography.Text> ({h.days}):{' '}
                    {h.bands.map((b, j) => (
                      <Tag key={j} color={PERIOD_COLOURS[b.period]}>
                        {tx(`tariffs.period.${b.period}`, b.period)} {b.from}–{b.to}
                      </Tag>
                    ))}
                  </div>
                ))}
              </div>
            )}
            <Descriptions size="small" column={{ xs: 1, md: 2 }} bordered>
              {tou.ratios && (
                <Descriptions.Item label={tt('tariffs.tou.ratios')}>
                  <Flex gap={8} wrap data-testid="tou-ratios">
                    {PERIODS.filter((p) => tou.ratios?.[p] !== undefined).map((p) => (
                      <span key={p}>
                        {tx(`tariffs.period.${p}`, p)} <span className="vl-mono">{tou.ratios![p]}</span>
                      </span>
                    ))}
                  </Flex>
                </Descriptions.Item>
              )}
              {tou.periodPrices && (
                <Descriptions.Item label={tt('tariffs.tou.explicit')}>
                  <PeriodPriceTags prices={tou.periodPrices} />
                </Descriptions.Item>
              )}
              {tou.ratios && (
                <Descriptions.Item label={tt('tariffs.tou.floatBase')}>
                  <span className="vl-mono">{tou.floatBase ? tou.floatBase.join(', ') : tt('tariffs.tou.floatAll')}</span>
                </Descriptions.Item>
              )}
            </Descriptions>
          </Space>
        </Section>
      )}

      {(doc.basicCharge || doc.powerFactor) && (
        <Row gutter={16}>
          {doc.basicCharge && (
            <Col xs={24} lg={doc.powerFactor ? 12 : 24}>
              <Section title={tt('tariffs.basic')} testId="tariff-basic" highlight={hl('basicCharge')}>
                <Descriptions size="small" column={1}>
                  <Descriptions.Item label={tt('tariffs.basic.method')}>{tx(`tariffs.basic.${doc.basicCharge.defaultMethod}`, doc.basicCharge.defaultMethod)}</Descriptions.Item>
                  <Descriptions.Item label={tt('tariffs.basic.capacityPrice')}><span className="vl-mono">{doc.basicCharge.capacityPrice ?? '-'}</span></Descriptions.Item>
                  <Descriptions.Item label={tt('tariffs.basic.demandPrice')}><span className="vl-mono">{doc.basicCharge.demandPrice ?? '-'}</span></Descriptions.Item>
                </Descriptions>
              </Section>
            </Col>
          )}
          {doc.powerFactor && (
            <Col xs={24} lg={doc.basicCharge ? 12 : 24}>
              <Section title={tt('tariffs.pf')} testId="tariff-pf" highlight={hl('powerFactor')}>
                <Descriptions size="small" column={1}>
                  <Descriptions.Item label={tt('tariffs.pf.standard')}><span className="vl-mono">{doc.powerFactor.standard}</span></Descriptions.Item>
                  <Descriptions.Item label={tt('tariffs.pf.qMode')}><span className="vl-mono">{doc.powerFactor.qMode}</span></Descriptions.Item>
                  <Descriptions.Item label={tt('tariffs.pf.base')}>
                    <span className="vl-mono">{doc.powerFactor.ptfBaseComponents?.join(', ') ?? tt('tariffs.pf.baseDefault')}</span>
                  </Descriptions.Item>
                </Descriptions>
              </Section>
            </Col>
          )}
        </Row>
      )}

      {(doc.fixedCharges?.length > 0 || doc.minimumCharge || Object.keys(doc.ruleSet ?? {}).length > 0) && (
        <Section title={`${tt('tariffs.fixed')} / ${tt('tariffs.minimum')} / ${tt('tariffs.ruleSet')}`} highlight={hl('fixedCharges') || hl('minimumCharge') || hl('ruleSet')}>
          <Descriptions size="small" column={1}>
            <Descriptions.Item label={tt('tariffs.fixed')}>
              {doc.fixedCharges?.length ? doc.fixedCharges.map((f) => `${pick(f.name.zh, f.name.en)} ¥${f.amount}`).join('; ') : tt('tariffs.none')}
            </Descriptions.Item>
            <Descriptions.Item label={tt('tariffs.minimum')}>{doc.minimumCharge ? `¥${doc.minimumCharge.amount}` : tt('tariffs.none')}</Descriptions.Item>
            {Object.keys(doc.ruleSet ?? {}).length > 0 && (
              <Descriptions.Item label={tt('tariffs.ruleSet')}>
                <pre className="vl-mono" style={{ margin: 0, fontSize: 12, whiteSpace: 'pre-wrap' }}>{JSON.stringify(doc.ruleSet, null, 1)}</pre>
              </Descriptions.Item>
            )}
          </Descriptions>
        </Section>
      )}
    </>
  );
}

export default function TariffViewPage() {
  const { id } = useParams();
  const { t, pick } = useI18n();
  const tt = useTT();
  const { user } = useAuth();
  const navigate = useNavigate();
  const [data, setData] = useState<TariffView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [drawer, setDrawer] = useState(false);

  useEffect(() => {
    let live = true;
    setData(null);
    setError(null);
    tariffApi.get(id!).then((d) => live && setData(d)).catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [id]);

  if (error) return <Alert type="error" showIcon title={errorText(t, error)} />;
  if (!data) return <Spin style={{ display: 'block', margin: '80px auto' }} />;
  const { tariff: v, document: doc } = data;
  const others = data.versions.filter((x) => x.id !== v.id);

  return (
    <PageContainer
      crumbs={[{ title: tt('tariffs.group') }, { title: tt('tariffs.title'), path: '/tariffs' }, { title: `${v.code} ${v.version}` }]}
      title={
        <span data-testid="tariff-view-title">
          <span className="vl-mono">{v.code}</span> · {v.version} <StatusTag status={v.status} />
        </span>
      }
      extra={
        <Space wrap>
          {hasPerm(user?.permissions, 'quote.create') && (
            <Button icon={<CalculatorOutlined />} onClick={() => navigate(`/tariffs/quote?tariffCode=${encodeURIComponent(v.code)}`)}>
              {tt('tariffs.quoteWith')}
            </Button>
          )}
          <Button icon={<DownloadOutlined />} onClick={() => downloadJson(`${v.code}-${v.version}.json`, doc)} data-testid="tariff-export-one">
            {tt('tariffs.export')}
          </Button>
          {hasPerm(user?.permissions, 'tariff.write') && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setDrawer(true)} data-testid="tariff-new-version">
              {tt('tariffs.newVersion')}
            </Button>
          )}
        </Space>
      }
    >
      <Card style={{ marginBottom: 16 }} data-testid="tariff-view">
        <Descriptions size="small" column={{ xs: 1, md: 2, xl: 3 }}>
          <Descriptions.Item label={tt('tariffs.name')}>{pick(v.name.zh, v.name.en)}</Descriptions.Item>
          <Descriptions.Item label={tt('tariffs.province')}>{v.province}</Descriptions.Item>
          <Descriptions.Item label={tt('tariffs.customerClasses')}>{v.customerClasses.join('、')}</Descriptions.Item>
          <Descriptions.Item label={tt('tariffs.voltageLevels')}>{v.voltageLevels.join('、')}</Descriptions.Item>
          <Descriptions.Item label={tt('tariffs.effectiveFrom')}>{v.effectiveFrom}</Descriptions.Item>
          <Descriptions.Item label={tt('tariffs.effectiveTo')}>{v.effectiveTo ?? tt('tariffs.open')}</Descriptions.Item>
          <Descriptions.Item label={tt('tariffs.warnings')}>{v.warnings.length ? <WarningsTag warnings={v.warnings} /> : tt('tariffs.noWarnings')}</Descriptions.Item>
          {doc.sourceDoc && <Descriptions.Item label={tt('tariffs.sourceDoc')} span={2}>{doc.sourceDoc}</Descriptions.Item>}
        </Descriptions>
        {v.warnings.length > 0 && (
          <Alert type="warning" showIcon style={{ marginTop: 8 }} title={v.warnings.map((w) => w.message).join('；')} data-testid="tariff-view-warnings" />
        )}
        <Flex gap={8} wrap align="center" style={{ marginTop: 12 }}>
          <Typography.Text strong>{tt('tariffs.versions')}:</Typography.Text>
          {data.versions.map((x) => (
            <Tag key={x.id} color={x.id === v.id ? 'blue' : undefined} data-testid="tariff-version-tag">
              {x.id === v.id ? (
                <span>{x.version} ({x.effectiveFrom} – {x.effectiveTo ?? tt('tariffs.open')})</span>
              ) : (
                <Link to={`/tariffs/${x.id}`}>{x.version} ({x.effectiveFrom} – {x.effectiveTo ?? tt('tariffs.open')})</Link>
              )}
            </Tag>
          ))}
          <Select
            size="small"
            style={{ minWidth: 220 }}
            placeholder={<span><DiffOutlined /> {tt('tariffs.compareWith')}</span>}
            options={others.map((x) => ({ value: x.id, label: `${x.version} (${x.effectiveFrom})` }))}
            onChange={(other: number) => navigate(`/tariffs/compare?a=${other}&b=${v.id}`)}
            data-testid="tariff-compare-with"
            notFoundContent={<Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />}
          />
          <Button size="small" type="link" onClick={() => navigate(`/tariffs/compare?a=${v.id}`)}>{tt('tariffs.compare')}</Button>
        </Flex>
      </Card>
      <TariffBody doc={doc} derived={data.derived} />
      {drawer && (
        <NewVersionDrawer
          view={data}
          onClose={() => setDrawer(false)}
          onCreated={(newId) => {
            setDrawer(false);
            navigate(`/tariffs/${newId}`);
          }}
        />
      )}
    </PageContainer>
  );
}
