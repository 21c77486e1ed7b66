import { useState } from 'react';
import { Alert, App, Button, Col, Divider, Drawer, Form, Input, Row, Select, Space, Typography } from 'antd';
import { ApiError } from '../../api/client';
import { useI18n } from '../../i18n';
import { errorText, fieldMessage } from '../../components/errors';
import { PERIODS, tariffApi, type Period, type TariffView } from './api';
import { useTT, useTTx } from './i18n';

const DEC = /^\d+(\.\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

interface FormValues {
  effectiveFrom: string;
  effectiveTo?: string;
  version?: string;
  nameZh: string;
  nameEn: string;
  prices: Record<string, string>;
  ratios?: Partial<Record<Period, string>>;
  periodPrices?: Partial<Record<Period, string>>;
  thresholds?: string[];
  increments?: string[];
  capacityPrice?: string;
  demandPrice?: string;
  pfStandard?: string;
}

const dec = (s: string | undefined) => (s === undefined ? undefined : s.includes('.') ? s.replace(/\.?0+$/, '') : s);

/** "New version from this": copy the version, change prices / dates / ratios, save as a new version. */
export function NewVersionDrawer({ view, onClose, onCreated }: { view: TariffView; onClose: () => void; onCreated: (id: number) => void }) {
  const { t } = useI18n();
  const tt = useTT();
  const tx = useTTx();
  const { message } = App.useApp();
  const [form] = Form.useForm<FormValues>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const doc = view.document;
  const tou = doc.tou;

  const initial: FormValues = {
    effectiveFrom: '',
    nameZh: doc.name.zh,
    nameEn: doc.name.en,
    prices: Object.fromEntries(doc.energyComponents.map((c) => [c.code, c.price])),
    ratios: tou?.ratios,
    periodPrices: tou?.periodPrices,
    thresholds: doc.ladder?.thresholds.map(String),
    increments: doc.ladder?.increments,
    capacityPrice: doc.basicCharge?.capacityPrice,
    demandPrice: doc.basicCharge?.demandPrice,
    pfStandard: doc.powerFactor?.standard,
  };

  const submit = async (v: FormValues) => {
    setError(null);
    const changes: Record<string, unknown> = {};
    const comps: Record<string, { price: string }> = {};
    for (const c of doc.energyComponents) if (dec(v.prices[c.code]) !== dec(c.price)) comps[c.code] = { price: v.prices[c.code] };
    if (Object.keys(comps).length) changes.energyComponents = comps;
    const touCh: Record<string, unknown> = {};
    for (const key of ['ratios', 'periodPrices'] as const) {
      const before = tou?.[key];
      const after = v[key];
      if (!before || !after) continue;
      const diff: Record<string, string> = {};
      for (const p of PERIODS) if (after[p] !== undefined && dec(after[p]) !== dec(before[p])) diff[p] = after[p]!;
      if (Object.keys(diff).length) touCh[key] = diff;
    }
    if (Object.keys(touCh).length) changes.tou = touCh;
    if (doc.ladder && v.thresholds && v.increments) {
      const th = v.thresholds.map(Number);
      if (JSON.stringify(th) !== JSON.stringify(doc.ladder.thresholds) || v.increments.some((x, i) => dec(x) !== dec(doc.ladder!.increments[i]))) {
        changes.ladder = { thresholds: th, increments: v.increments };
      }
    }
    if (doc.basicCharge) {
      const b: Record<string, string> = {};
      if (v.capacityPrice && dec(v.capacityPrice) !== dec(doc.basicCharge.capacityPrice)) b.capacityPrice = v.capacityPrice;
      if (v.demandPrice && dec(v.demandPrice) !== dec(doc.basicCharge.demandPrice)) b.demandPrice = v.demandPrice;
      if (Object.keys(b).length) changes.basicCharge = b;
    }
    if (doc.powerFactor && v.pfStandard && v.pfStandard !== doc.powerFactor.standard) changes.powerFactor = { standard: v.pfStandard };
    const body = {
      effectiveFrom: v.effectiveFrom.trim(),
      ...(v.effectiveTo?.trim() ? { effectiveTo: v.effectiveTo.trim() } : {}),
      ...(v.version?.trim() ? { version: v.version.trim() } : {}),
      ...(v.nameZh !== doc.name.zh || v.nameEn !== doc.name.en ? { name: { zh: v.nameZh, en: v.nameEn } } : {}),
      changes,
    };
    setBusy(true);
    try {
      const r = await tariffApi.newVersion(view.tariff.id, body);
      message.success(tt('tariffs.newVersionCreated', { version: r.tariff.version }));
      if (r.warnings.length) {
        message.warning(`${tt('tariffs.warnings')}: ${r.warnings.map((w) => `${w.code} ${w.message}`).join('; ')}`, 8);
      }
      onCreated(r.tariff.id);
    } catch (e) {
      const f = e instanceof ApiError ? e.field : undefined;
      const name = f === 'effectiveFrom' || f === 'effectiveTo' || f === 'version' ? f : undefined;
      if (name) form.setFields([{ name, errors: [fieldMessage(e)] }]);
      setError(errorText(t, e));
    } finally {
      setBusy(false);
    }
  };

  const dec6 = [{ pattern: DEC, message: '0.000000' }];
  return (
    <Drawer
      open
      size={720}
      title={tt('tariffs.newVersionTitle', { code: view.tariff.code, version: view.tariff.version })}
      onClose={onClose}
      data-testid="tariff-new-version-drawer"
      extra={
        <Space>
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button type="primary" loading={busy} onClick={() => form.submit()} data-testid="tariff-new-version-save">
            {t('common.save')}
          </Button>
        </Space>
      }
    >
      <Typography.Paragraph type="secondary">{tt('tariffs.newVersionHint')}</Typography.Paragraph>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} data-testid="tariff-new-version-error" />}
      <Form form={form} layout="vertical" initialValues={initial} onFinish={submit}>
        <Row gutter={12}>
          <Col span={8}>
            <Form.Item name="effectiveFrom" label={tt('tariffs.effectiveFrom')} rules={[{ required: true, message: t('validation.required') }, { pattern: DATE, message: 'YYYY-MM-DD' }]}>
              <Input placeholder="YYYY-MM-DD" data-testid="nv-effective-from" />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="effectiveTo" label={tt('tariffs.effectiveTo')} extra={tt('tariffs.effectiveToHint')} rules={[{ pattern: DATE, message: 'YYYY-MM-DD' }]}>
              <Input placeholder="YYYY-MM-DD" />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="version" label={tt('tariffs.versionLabel')} extra={tt('tariffs.versionLabelHint')}>
              <Input data-testid="nv-version" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="nameZh" label={tt('tariffs.nameZh')} rules={[{ required: true, message: t('validation.required') }]}>
              <Input />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="nameEn" label={tt('tariffs.nameEn')} rules={[{ required: true, message: t('validation.required') }]}>
              <Input />
            </Form.Item>
          </Col>
        </Row>
        <Divider titlePlacement="start">{tt('tariffs.components')}</Divider>
        <Row gutter={12}>
          {doc.energyComponents.map((c) => (
            <Col span={12} key={c.code}>
              <Form.Item name={['prices', c.code]} label={`${c.code} · ${tx(`tariffs.kind.${c.kind}`, c.kind)}`} rules={[{ required: true, message: t('validation.required') }, ...dec6]}>
                <Input className="vl-mono" suffix="元/kWh" data-testid={`nv-price-${c.code}`} />
              </Form.Item>
            </Col>
          ))}
        </Row>
        {tou && (tou.ratios || tou.periodPrices) && (
          <>
            <Divider titlePlacement="start">{tt('tariffs.tou')}</Divider>
            <Row gutter={12}>
              {(['ratios', 'periodPrices'] as const).flatMap((key) =>
                PERIODS.filter((p) => tou[key]?.[p] !== undefined).map((p) => (
                  <Col span={8} key={`${key}.${p}`}>
                    <Form.Item name={[key, p]} label={`${key === 'ratios' ? tt('tariffs.tou.ratios') : tt('tariffs.tou.explicit')} · ${tx(`tariffs.period.${p}`, p)}`} rules={dec6}>
                      <Input className="vl-mono" data-testid={`nv-${key}-${p}`} />
                    </Form.Item>
                  </Col>
                )),
              )}
            </Row>
          </>
        )}
        {doc.ladder && (
          <>
            <Divider titlePlacement="start">{tt('tariffs.ladder')}</Divider>
            <Row gutter={12}>
              {doc.ladder.thresholds.map((_, i) => (
                <Col span={12} key={i}>
                  <Space.Compact style={{ width: '100%' }}>
                    <Form.Item name={['thresholds', i]} label={`${tt('tariffs.ladder.tierN', { n: i + 1 })} ≤ kWh`} rules={[{ pattern: /^\d+$/, message: 'kWh' }]} style={{ flex: 1 }}>
                      <Input className="vl-mono" />
                    </Form.Item>
                    <Form.Item name={['increments', i]} label={`${tt('tariffs.ladder.tierN', { n: i + 2 })} ${tt('tariffs.ladder.increment')}`} rules={dec6} style={{ flex: 1 }}>
                      <Input className="vl-mono" />
                    </Form.Item>
                  </Space.Compact>
                </Col>
              ))}
            </Row>
          </>
        )}
        {doc.basicCharge && (
          <>
            <Divider titlePlacement="start">{tt('tariffs.basic')}</Divider>
            <Row gutter={12}>
              <Col span={12}>
                <Form.Item name="capacityPrice" label={tt('tariffs.basic.capacityPrice')} rules={dec6}>
                  <Input className="vl-mono" />
                </Form.Item>
              </Col>
              <Col span={12}>
                <Form.Item name="demandPrice" label={tt('tariffs.basic.demandPrice')} rules={dec6}>
                  <Input className="vl-mono" data-testid="nv-demand-price" />
                </Form.Item>
              </Col>
            </Row>
          </>
        )}
        {doc.powerFactor && (
          <>
            <Divider titlePlacement="start">{tt('tariffs.pf')}</Divider>
            <Form.Item name="pfStandard" label={tt('tariffs.pf.standard')}>
              <Select style={{ width: 160 }} options={['0.90', '0.85', '0.80'].map((s) => ({ value: s, label: s }))} />
            </Form.Item>
          </>
        )}
      </Form>
    </Drawer>
  );
}
