import { useEffect, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { Alert, Button, Card, Col, Collapse, Descriptions, Empty, Flex, Form, Input, Radio, Row, Select, Space, Statistic, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { CalculatorOutlined } from '@ant-design/icons';
import { api, ApiError } from '../../api/client';
import type { Page } from '../../api/types';
import { useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { PageContainer } from '../../components/PageContainer';
import { Money } from '../../components/Money';
import { errorText, fieldMessage } from '../../components/errors';
import { hasPerm, PERIODS, tariffApi, type BillLine, type Period, type QuoteResult, type TariffSummary, type TariffView } from './api';
import { useTT, useTTx } from './i18n';
import { PERIOD_COLOURS } from './TouBar';

interface AccountOption {
  id: number;
  accountNo: string;
  name: string;
  customerClass: string;
  tariffCode: string | null;
}

const QTY = /^\d+(\.\d{1,2})?$/;

function lastMonth(): [string, string] {
  const now = new Date(Date.now() + 8 * 3600_000);
  const y = now.getUTCMonth() === 0 ? now.getUTCFullYear() - 1 : now.getUTCFullYear();
  const m = now.getUTCMonth() === 0 ? 12 : now.getUTCMonth();
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const mm = String(m).padStart(2, '0');
  return [`${y}-${mm}-01`, `${y}-${mm}-${days}`];
}

export default function QuotePage() {
  const { t, pick, lang } = useI18n();
  const tt = useTT();
  const tx = useTTx();
  const { user } = useAuth();
  const [sp] = useSearchParams();
  const [form] = Form.useForm();
  const canAccounts = hasPerm(user?.permissions, 'account.read');
  const [by, setBy] = useState<'account' | 'tariff'>(sp.get('tariffCode') || !canAccounts ? 'tariff' : 'account');
  const [accounts, setAccounts] = useState<AccountOption[]>([]);
  const [account, setAccount] = useState<AccountOption | null>(null);
  const [tariffs, setTariffs] = useState<TariffSummary[]>([]);
  const [tariffCode, setTariffCode] = useState<string | undefined>(sp.get('tariffCode') ?? undefined);
  const [view, setView] = useState<TariffView | null>(null);
  const [result, setResult] = useState<QuoteResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const searchSeq = useRef(0);
  const [start, end] = useMemo(lastMonth, []);

  useEffect(() => {
    tariffApi.list({ status: 'active' }).then((r) => setTariffs(r.items)).catch(() => undefined);
  }, []);

  const code = by === 'account' ? account?.tariffCode ?? undefined : tariffCode;
  // the latest version of the chosen tariff: which usage fields it needs
  useEffect(() => {
    if (!code) {
      setView(null);
      return;
    }
    const latest = tariffs.filter((x) => x.code === code).sort((x, y) => y.effectiveFrom.localeCompare(x.effectiveFrom))[0];
    if (!latest) return;
    let live = true;
    tariffApi.get(latest.id).then((v) => live && setView(v)).catch(() => undefined);
    return () => {
      live = false;
    };
  }, [code, tariffs]);

  const searchAccounts = (q: string) => {
    const seq = ++searchSeq.current;
    if (!q.trim()) return;
    api
      .get<Page<AccountOption>>('/accounts', { q: q.trim(), pageSize: 10 })
      .then((p) => seq === searchSeq.current && setAccounts(p.items))
      .catch(() => undefined);
  };

  const doc = view?.document;
  const periods: Period[] = doc?.tou ? PERIODS.filter((p) => view!.derived.usedPeriods.includes(p) || doc.tou!.holidayOverrides.some((h) => h.bands.some((b) => b.period === p))) : [];
  const hasBasic = !!doc?.basicCharge;
  const hasPf = !!doc?.powerFactor;

  const submit = async (v: Record<string, unknown>) => {
    setError(null);
    setResult(null);
    if (by === 'account' && !account) return setError(new Error(tt('quote.needSource')));
    if (by === 'tariff' && !tariffCode) return setError(new Error(tt('quote.needSource')));
    const usage: Record<string, unknown> = { periodStart: String(v.periodStart).trim(), periodEnd: String(v.periodEnd).trim() };
    const str = (x: unknown) => (x === undefined || x === null || String(x).trim() === '' ? undefined : String(x).trim());
    for (const k of ['kwh', 'ladderPrevCum', 'maxDemandKw', 'capacityKva', 'contractDemandKw'] as const) if (str(v[k]) !== undefined) usage[k] = str(v[k]);
    if (str(v.householdSize) !== undefined) usage.householdSize = Number(v.householdSize);
    if (v.basicChargeMethod) usage.basicChargeMethod = v.basicChargeMethod;
    if (v.pfStandard) usage.pfStandard = v.pfStandard;
    const tou: Record<string, string> = {};
    for (const p of PERIODS) {
      const x = str((v.tou as Record<string, unknown> | undefined)?.[p]);
      if (x !== undefined) tou[p] = x;
    }
    if (Object.keys(tou).length) usage.tou = tou;
    const r = v.reactiveKvarh as Record<string, unknown> | undefined;
    if (str(r?.forward) !== undefined || str(r?.reverse) !== undefined) usage.reactiveKvarh = { ...(str(r?.forward) ? { forward: str(r?.forward) } : {}), ...(str(r?.reverse) ? { reverse: str(r?.reverse) } : {}) };
    const body = by === 'account' ? { accountId: account!.id, usage } : { tariffCode, usage };
    setBusy(true);
    try {
      setResult(await tariffApi.quote(body));
    } catch (e) {
      setError(e);
      if (e instanceof ApiError && e.field?.startsWith('usage.')) {
        const name = e.field.slice(6).split('.');
        form.setFields([{ name: name.length === 1 && name[0] === 'tou' ? ['tou', periods[0] ?? 'PEAK'] : name, errors: [fieldMessage(e)] }]);
      }
    } finally {
      setBusy(false);
    }
  };

  const qtyRule = [{ pattern: QTY, message: '≥ 0, ≤ 2 dp' }];
  const lineColumns: ColumnsType<BillLine> = [
    { title: tt('quote.line.code'), dataIndex: 'code', width: 150, render: (v: string, l) => <span className="vl-mono" style={{ fontSize: 12, wordBreak: 'break-all' }} data-testid="quote-line-code">{v}{l.segment !== undefined ? ` #${l.segment + 1}` : ''}</span> },
    {
      title: `${tt('quote.line.name')} / ${tt('quote.line.rule')}`,
      dataIndex: 'name',
      render: (n: BillLine['name'], l) => (
        <span data-testid="quote-line-name">
          {pick(n.zh, n.en)} <Typography.Text type="secondary" style={{ fontSize: 12 }}>{lang === 'en' ? n.zh : n.en}</Typography.Text>
          <br />
          <Typography.Text type="secondary" style={{ fontSize: 11 }} data-testid="quote-line-rule">{l.rule}</Typography.Text>
        </span>
      ),
    },
    { title: tt('quote.line.quantity'), dataIndex: 'quantity', align: 'right', width: 130, render: (q: string, l) => <span className="vl-mono">{q} {l.unit}</span> },
    { title: tt('quote.line.unitPrice'), dataIndex: 'unitPrice', align: 'right', width: 100, render: (v: string) => <span className="vl-mono">{v}</span> },
    { title: tt('quote.line.amount'), dataIndex: 'amount', align: 'right', width: 120, render: (v: string) => <span data-testid="quote-line-amount"><Money value={v} /></span> },
  ];

  return (
    <PageContainer crumbs={[{ title: tt('tariffs.group') }, { title: tt('quote.title') }]} title={tt('quote.title')}>
      <Row gutter={16}>
        <Col xs={24} xl={8}>
          <Card data-testid="quote-form">
            <Form form={form} layout="vertical" onFinish={submit} initialValues={{ periodStart: start, periodEnd: end }}>
              <Form.Item label={tt('quote.by')}>
                <Radio.Group value={by} onChange={(e) => { setBy(e.target.value); setResult(null); setError(null); }} optionType="button" data-testid="quote-by">
                  {canAccounts && <Radio.Button value="account"><span data-testid="quote-by-account">{tt('quote.byAccount')}</span></Radio.Button>}
                  <Radio.Button value="tariff"><span data-testid="quote-by-tariff">{tt('quote.byTariff')}</span></Radio.Button>
                </Radio.Group>
              </Form.Item>
              {by === 'account' ? (
                <Form.Item label={tt('quote.account')} required>
                  <Select
                    data-testid="quote-account"
                    value={account?.id}
                    placeholder={tt('quote.accountPlaceholder')}
                    showSearch={{ filterOption: false, onSearch: searchAccounts }}
                    options={accounts.map((a) => ({ value: a.id, label: `${a.accountNo} ${a.name}` }))}
                    onChange={(id: number) => setAccount(accounts.find((a) => a.id === id) ?? null)}
                    notFoundContent={null}
                  />
                  {account && (
                    <Flex gap={8} wrap style={{ marginTop: 6 }} data-testid="quote-account-info">
                      <Tag>{account.customerClass}</Tag>
                      <Tag color="blue" className="vl-mono">{account.tariffCode ?? '-'}</Tag>
                    </Flex>
                  )}
                </Form.Item>
              ) : (
                <Form.Item label={tt('quote.tariff')} required>
                  <Select
                    data-testid="quote-tariff"
                    value={tariffCode}
                    showSearch={{ optionFilterProp: 'label' }}
                    onChange={(c: string) => setTariffCode(c)}
                    options={[...new Map(tariffs.map((x) => [x.code, x])).values()].map((x) => ({ value: x.code, label: `${x.code} ${pick(x.name.zh, x.name.en)}` }))}
                  />
                </Form.Item>
              )}
              <Row gutter={12}>
                <Col span={12}>
                  <Form.Item name="periodStart" label={tt('quote.periodStart')} rules={[{ required: true, message: t('validation.required') }, { pattern: /^\d{4}-\d{2}-\d{2}$/, message: 'YYYY-MM-DD' }]}>
                    <Input data-testid="quote-period-start" />
                  </Form.Item>
                </Col>
                <Col span={12}>
                  <Form.Item name="periodEnd" label={tt('quote.periodEnd')} rules={[{ required: true, message: t('validation.required') }, { pattern: /^\d{4}-\d{2}-\d{2}$/, message: 'YYYY-MM-DD' }]}>
                    <Input data-testid="quote-period-end" />
                  </Form.Item>
                </Col>
                <Col span={12}>
                  <Form.Item name="kwh" label={tt('quote.kwh')} rules={[{ pattern: /^-?\d+(\.\d+)?$/, message: 'kWh' }]}>
                    <Input className="vl-mono" data-testid="quote-kwh" />
                  </Form.Item>
                </Col>
                {doc?.ladder && (
                  <Col span={12}>
                    <Form.Item name="ladderPrevCum" label={tt('quote.ladderPrevCum')} rules={qtyRule}>
                      <Input className="vl-mono" data-testid="quote-ladder-prev" />
                    </Form.Item>
                  </Col>
                )}
                {doc?.ladder && (
                  <Col span={12}>
                    <Form.Item name="householdSize" label={tt('quote.householdSize')} rules={[{ pattern: /^\d+$/, message: '1, 2, …' }]}>
                      <Input placeholder={by === 'account' ? tt('quote.fromAccountDefault') : '1'} />
                    </Form.Item>
                  </Col>
                )}
              </Row>
              {periods.length > 0 && (
                <>
                  <Typography.Text strong>{tt('quote.touKwh')}</Typography.Text>
                  <Row gutter={12} style={{ marginTop: 8 }}>
                    {periods.map((p) => (
                      <Col span={8} key={p}>
                        <Form.Item name={['tou', p]} label={<span><span style={{ display: 'inline-block', width: 8, height: 8, background: PERIOD_COLOURS[p], marginRight: 4 }} />{tx(`tariffs.period.${p}`, p)}</span>} rules={[{ pattern: /^-?\d+(\.\d+)?$/, message: 'kWh' }]}>
                          <Input className="vl-mono" data-testid={`quote-tou-${p}`} />
                        </Form.Item>
                      </Col>
                    ))}
                  </Row>
                </>
              )}
              <Collapse
                size="small"
                style={{ marginBottom: 16 }}
                defaultActiveKey={hasBasic || hasPf ? ['more'] : []}
                key={String(hasBasic || hasPf)}
                items={[{
                  key: 'more',
                  label: tt('quote.more'),
                  children: (
                    <Row gutter={12}>
                      <Col span={12}>
                        <Form.Item name="maxDemandKw" label={tt('quote.maxDemandKw')} rules={qtyRule}>
                          <Input className="vl-mono" data-testid="quote-max-demand" />
                        </Form.Item>
                      </Col>
                      <Col span={12}>
                        <Form.Item name="basicChargeMethod" label={tt('quote.basicChargeMethod')}>
                          <Select allowClear placeholder={by === 'account' ? tt('quote.fromAccountDefault') : undefined}
                            options={(['CAPACITY', 'CONTRACT_DEMAND', 'ACTUAL_DEMAND'] as const).map((m) => ({ value: m, label: tx(`tariffs.basic.${m}`, m) }))} />
                        </Form.Item>
                      </Col>
                      <Col span={12}>
                        <Form.Item name="capacityKva" label={tt('quote.capacityKva')} rules={qtyRule}>
                          <Input className="vl-mono" placeholder={by === 'account' ? tt('quote.fromAccountDefault') : undefined} />
                        </Form.Item>
                      </Col>
                      <Col span={12}>
                        <Form.Item name="contractDemandKw" label={tt('quote.contractDemandKw')} rules={qtyRule}>
                          <Input className="vl-mono" placeholder={by === 'account' ? tt('quote.fromAccountDefault') : undefined} />
                        </Form.Item>
                      </Col>
                      <Col span={12}>
                        <Form.Item name={['reactiveKvarh', 'forward']} label={tt('quote.reactiveForward')} rules={qtyRule}>
                          <Input className="vl-mono" data-testid="quote-reactive" />
                        </Form.Item>
                      </Col>
                      <Col span={12}>
                        <Form.Item name={['reactiveKvarh', 'reverse']} label={tt('quote.reactiveReverse')} rules={qtyRule}>
                          <Input className="vl-mono" />
                        </Form.Item>
                      </Col>
                      <Col span={12}>
                        <Form.Item name="pfStandard" label={tt('quote.pfStandard')}>
                          <Select allowClear placeholder={by === 'account' ? tt('quote.fromAccountDefault') : undefined} options={['0.90', '0.85', '0.80'].map((s) => ({ value: s, label: s }))} />
                        </Form.Item>
                      </Col>
                    </Row>
                  ),
                }]}
              />
              <Button type="primary" htmlType="submit" icon={<CalculatorOutlined />} loading={busy} block data-testid="quote-run">
                {tt('quote.run')}
              </Button>
            </Form>
          </Card>
        </Col>
        <Col xs={24} xl={16}>
          {error != null && <Alert type="error" showIcon title={errorText(t, error)} style={{ marginBottom: 16 }} data-testid="quote-error" />}
          {!result && !error && (
            <Card>
              <Empty description={tt('quote.empty')} />
            </Card>
          )}
          {result && (
            <Card
              data-testid="quote-result"
              title={tt('quote.result')}
              extra={<Statistic title={tt('quote.total')} value={result.total} prefix="¥" valueStyle={{ fontSize: 24 }} data-testid="quote-total" />}
            >
              <Descriptions size="small" column={{ xs: 1, md: 2 }} style={{ marginBottom: 12 }}>
                <Descriptions.Item label={tt('quote.usedTariffs')}>
                  <Space wrap>
                    {result.tariffs.map((x, i) => (
                      <Tag key={i} className="vl-mono">{x.code} · {x.version}</Tag>
                    ))}
                  </Space>
                </Descriptions.Item>
                {result.account && (
                  <Descriptions.Item label={tt('quote.account')}>
                    <span className="vl-mono">{result.account.accountNo}</span> {result.account.name}
                  </Descriptions.Item>
                )}
                {Object.keys(result.fromAccount ?? {}).length > 0 && (
                  <Descriptions.Item label={tt('quote.fromAccount')}>
                    <span className="vl-mono" style={{ fontSize: 12 }} data-testid="quote-from-account">
                      {Object.entries(result.fromAccount).map(([k, v]) => `${k}=${v}`).join(', ')}
                    </span>
                  </Descriptions.Item>
                )}
                {result.details.powerFactor && (
                  <Descriptions.Item label={tt('quote.powerFactor')}>
                    {result.details.powerFactor} ({tt('quote.pfAdjust', { pct: result.details.pfAdjustmentPercent ?? '0' })})
                  </Descriptions.Item>
                )}
                {result.details.tiers && <Descriptions.Item label={tt('quote.tiers')}>{result.details.tiers.join(' / ')} kWh</Descriptions.Item>}
                {result.details.segments.length > 1 && (
                  <Descriptions.Item label={tt('quote.segments')}>
                    {result.details.segments.map((s) => `${s.version ?? s.tariffCode}: ${s.from} – ${s.to} (${s.days}d, ${s.kwh} kWh)`).join('; ')}
                  </Descriptions.Item>
                )}
              </Descriptions>
              {result.warnings.length > 0 && (
                <Alert type="warning" showIcon style={{ marginBottom: 12 }} title={tt('quote.warnings')} description={result.warnings.join('\n')} data-testid="quote-warnings" />
              )}
              <Table<BillLine>
                size="small"
                rowKey={(l, i) => `${l.code}-${l.segment ?? 0}-${i}`}
                columns={lineColumns}
                dataSource={result.lines}
                pagination={false}
                scroll={{ x: 700 }}
                data-testid="quote-lines"
                summary={() => (
                  <Table.Summary.Row>
                    <Table.Summary.Cell index={0} colSpan={4}>
                      <Typography.Text strong>{tt('quote.total')}</Typography.Text>
                    </Table.Summary.Cell>
                    <Table.Summary.Cell index={4} align="right">
                      <Typography.Text strong data-testid="quote-total-cell"><Money value={result.total} /></Typography.Text>
                    </Table.Summary.Cell>
                  </Table.Summary.Row>
                )}
              />
            </Card>
          )}
        </Col>
      </Row>
    </PageContainer>
  );
}
