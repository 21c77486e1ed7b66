import { useEffect, useRef, useState } from 'react';
import { Alert, App, Button, Col, DatePicker, Drawer, Form, Grid, Input, InputNumber, Row, Select, Space, Switch } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { api, ApiError } from '../../api/client';
import type { Account360 } from '../../api/types';
import { useI18n } from '../../i18n';
import { useDict } from '../../app/dict';
import { errorText, fieldMessage } from '../../components/errors';
import { OrgUnitSelect, useOrgUnits } from '../../components/orgUnits';
import { RemoteSelect } from '../../components/RemoteSelect';

/** Effective-dated account fields the drawer edits (docs/api.md PATCH /accounts/:id). */
const FIELDS = [
  'name',
  'address',
  'customerClass',
  'voltageLevel',
  'tariffCode',
  'contractCapacityKva',
  'contractDemandKw',
  'basicChargeMethod',
  'pfStandard',
  'householdSize',
  'sharedMeter',
  'paymentMode',
  'readingRouteId',
  'transformerAreaId',
  'orgUnitId',
  'status',
] as const;

type FieldName = (typeof FIELDS)[number];
type FormValues = Partial<Record<FieldName, unknown>> & { effectiveFrom?: Dayjs; reason?: string };

function norm(v: unknown): string {
  return v === undefined || v === null ? '' : String(v);
}

/** Maps the API's `details.field` (e.g. `contractCapacityKva`, `body.orgUnitId`) to a form field. */
function formFieldOf(field: string | undefined): string | undefined {
  if (!field) return undefined;
  const all: string[] = [...FIELDS, 'effectiveFrom', 'reason'];
  if (all.includes(field)) return field;
  const last = field.split(/[./]/).pop();
  return last && all.includes(last) ? last : undefined;
}

export function AccountEditDrawer({ open, data, onClose, onSaved }: { open: boolean; data: Account360; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const { options } = useDict();
  const { message } = App.useApp();
  const screens = Grid.useBreakpoint();
  const org = useOrgUnits();
  const [form] = Form.useForm<FormValues>();
  const [saving, setSaving] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const errorRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (formError) errorRef.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [formError]);
  const a = data.account;

  useEffect(() => {
    if (!open) return;
    setFormError(null);
    form.resetFields();
    const init: FormValues = { effectiveFrom: dayjs(), reason: '' };
    for (const f of FIELDS) init[f] = a[f] ?? (f === 'orgUnitId' ? data.orgUnit?.id : undefined);
    form.setFieldsValue(init);
  }, [open, a, data.orgUnit, form]);

  const submit = async () => {
    let v: FormValues;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    const changes: Record<string, unknown> = {};
    for (const f of FIELDS) {
      const before = a[f] ?? (f === 'orgUnitId' ? data.orgUnit?.id : undefined);
      if (norm(v[f]) !== norm(before)) changes[f] = v[f] === undefined ? null : v[f];
    }
    if (!Object.keys(changes).length) {
      setFormError(t('accountEdit.noChanges'));
      return;
    }
    setSaving(true);
    setFormError(null);
    try {
      await api.patch(`/accounts/${a.id}`, {
        ...changes,
        version: a.version,
        effectiveFrom: v.effectiveFrom ? v.effectiveFrom.format('YYYY-MM-DD') : undefined,
        reason: v.reason?.trim(),
      });
      message.success(t('common.saved'));
      onSaved();
    } catch (e) {
      const field = e instanceof ApiError ? formFieldOf(e.field) : undefined;
      if (field) {
        form.setFields([{ name: field as FieldName, errors: [fieldMessage(e)] }]);
        form.scrollToField(field);
      } else if (e instanceof ApiError && e.code === 'CONFLICT') {
        setFormError(t('accountEdit.conflict'));
      } else {
        setFormError(errorText(t, e));
      }
    } finally {
      setSaving(false);
    }
  };

  const half = { xs: 24, sm: 12 };
  return (
    <Drawer
      open={open}
      onClose={onClose}
      title={t('accountEdit.title', { accountNo: a.accountNo })}
      size={screens.md === false ? '100%' : 640}
      destroyOnHidden
      data-testid="account-edit-drawer"
      extra={
        <Space>
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button type="primary" loading={saving} onClick={submit} data-testid="account-edit-save">
            {t('common.save')}
          </Button>
        </Space>
      }
    >
      <Alert type="info" showIcon title={t('accountEdit.hint')} style={{ marginBottom: 16 }} />
      <div ref={errorRef}>{formError && <Alert type="error" showIcon title={formError} style={{ marginBottom: 16 }} data-testid="account-edit-error" />}</div>
      <Form form={form} layout="vertical">
        <Row gutter={16}>
          <Col {...half}>
            <Form.Item name="name" label={t('account.name')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
              <Input maxLength={200} />
            </Form.Item>
          </Col>
          <Col {...half}>
            <Form.Item name="address" label={t('customer.address')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
              <Input maxLength={300} />
            </Form.Item>
          </Col>
          <Col {...half}>
            <Form.Item name="customerClass" label={t('account.customerClass')}>
              <Select options={options('customerClasses')} />
            </Form.Item>
          </Col>
          <Col {...half}>
            <Form.Item name="voltageLevel" label={t('account.voltageLevel')}>
              <Select options={options('voltageLevels')} />
            </Form.Item>
          </Col>
          <Col {...half}>
            <Form.Item name="tariffCode" label={t('account.tariff')}>
              <Input className="vl-mono" />
            </Form.Item>
          </Col>
          <Col {...half}>
            <Form.Item name="contractCapacityKva" label={`${t('account.contractCapacity')} (kVA)`}>
              <Input inputMode="decimal" />
            </Form.Item>
          </Col>
          <Col {...half}>
            <Form.Item name="contractDemandKw" label={t('field.contractDemandKw')}>
              <Input inputMode="decimal" />
            </Form.Item>
          </Col>
          <Col {...half}>
            <Form.Item name="basicChargeMethod" label={t('account.basicChargeMethod')}>
              <Select allowClear options={options('basicChargeMethods')} />
            </Form.Item>
          </Col>
          <Col {...half}>
            <Form.Item name="pfStandard" label={t('account.pfStandard')}>
              <Select allowClear options={options('pfStandards')} />
            </Form.Item>
          </Col>
          <Col {...half}>
            <Form.Item name="householdSize" label={t('account.householdSize')}>
              <InputNumber min={0} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col {...half}>
            <Form.Item name="sharedMeter" label={t('field.sharedMeter')} valuePropName="checked">
              <Switch />
            </Form.Item>
          </Col>
          <Col {...half}>
            <Form.Item name="paymentMode" label={t('account.paymentMode')}>
              <Select options={options('paymentModes')} />
            </Form.Item>
          </Col>
          <Col {...half}>
            <Form.Item name="status" label={t('account.status')}>
              <Select options={options('accountStatuses')} />
            </Form.Item>
          </Col>
          <Col {...half}>
            <Form.Item name="orgUnitId" label={t('account.orgUnit')}>
              <OrgUnitSelect tree={org.tree} allowClear={false} />
            </Form.Item>
          </Col>
          <Col {...half}>
            <Form.Item name="transformerAreaId" label={t('account.transformerArea')}>
              <RemoteSelect path="/transformer-areas" initial={data.transformerArea ? { id: data.transformerArea.id, code: data.transformerArea.code, name: data.transformerArea.name } : null} />
            </Form.Item>
          </Col>
          <Col {...half}>
            <Form.Item name="readingRouteId" label={t('account.readingRoute')}>
              <RemoteSelect path="/reading-routes" initial={data.readingRoute ? { id: data.readingRoute.id, code: data.readingRoute.code, name: data.readingRoute.name } : null} />
            </Form.Item>
          </Col>
          <Col {...half}>
            <Form.Item name="effectiveFrom" label={t('account.effectiveFrom')} rules={[{ required: true, message: t('validation.required') }]}>
              <DatePicker style={{ width: '100%' }} format="YYYY-MM-DD" />
            </Form.Item>
          </Col>
          <Col xs={24}>
            <Form.Item name="reason" label={t('accountEdit.reason')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
              <Input.TextArea rows={3} maxLength={500} showCount data-testid="account-edit-reason" />
            </Form.Item>
          </Col>
        </Row>
      </Form>
    </Drawer>
  );
}
