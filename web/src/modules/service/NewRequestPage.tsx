/**
 * 业务受理 (counter, journey 营业员 #3) and the customer's 我要办理 (portal, `portal` prop): pick the
 * type; a change needs an account (the counter finds it by 户号, the customer picks one of theirs);
 * the fields the type needs; documents to upload (一证受理 for residents: the ID is enough). On
 * success: the acceptance slip with the promised completion date, printable.
 */
import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { Alert, App, Button, Card, Checkbox, Descriptions, Flex, Form, Input, Select, Space, Tag, Typography, Upload } from 'antd';
import { PrinterOutlined, UploadOutlined } from '@ant-design/icons';
import { api } from '../../api/client';
import { PageContainer } from '../../components/PageContainer';
import { Mono } from '../../components/Mono';
import { errorText } from '../../components/errors';
import { useI18n } from '../../i18n';
import { OrgUnitSelect, useOrgUnits } from '../../components/orgUnits';
import { fileToBase64, serviceApi, type RequestTypeInfo, type TypesResponse } from './api';
import { useL, useST, type SKey } from './i18n';

interface AccountHit {
  id: number;
  accountNo: string;
  name: string;
  address: string;
}

/** Extra application fields per change type (data.<key>). */
const TYPE_FIELDS: Record<string, Array<{ key: string; label: SKey; date?: boolean }>> = {
  reduce_capacity: [{ key: 'decreaseKva', label: 'svc.decreaseKva' }],
  increase_capacity: [{ key: 'newCapacityKva', label: 'svc.newCapacityKva' }],
  temp_swap: [{ key: 'newCapacityKva', label: 'svc.newCapacityKva' }, { key: 'until', label: 'svc.until', date: true }],
  suspend: [{ key: 'effectiveOn', label: 'svc.effectiveOn', date: true }, { key: 'until', label: 'svc.until', date: true }],
  relocate: [{ key: 'newAddress', label: 'svc.newAddress' }],
  move_meter: [{ key: 'newLocation', label: 'svc.newLocation' }],
  transfer: [{ key: 'newName', label: 'svc.newName' }, { key: 'newIdNumber', label: 'svc.idNumber' }],
  split: [{ key: 'splitKva', label: 'svc.splitKva' }, { key: 'newName', label: 'svc.newName' }, { key: 'newIdNumber', label: 'svc.idNumber' }],
  merge: [{ key: 'mergeAccountId', label: 'svc.mergeAccountId' }],
  change_voltage: [{ key: 'newVoltageLevel', label: 'svc.newVoltageLevel' }],
  change_class: [{ key: 'newTariffCode', label: 'svc.newTariffCode' }],
};

export default function NewRequestPage({ portal = false, onDone }: { portal?: boolean; onDone?: () => void }) {
  const st = useST();
  const l = useL();
  const { t } = useI18n();
  const { message } = App.useApp();
  const [types, setTypes] = useState<TypesResponse | null>(null);
  const [type, setType] = useState<string>(portal ? 'transfer' : 'new_lv_resident');
  const [account, setAccount] = useState<AccountHit | null>(null);
  const [mine, setMine] = useState<AccountHit[]>([]);
  const [accountNo, setAccountNo] = useState('');
  const [files, setFiles] = useState<Array<{ kind: string; file: File }>>([]);
  const [docKind, setDocKind] = useState('id_proof');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [slip, setSlip] = useState<{ id: number; requestNo: string; promisedOn: string; receivedOn: string; typeName: string; applicant: string; docs: string[] } | null>(null);
  const [form] = Form.useForm();
  const org = useOrgUnits();

  useEffect(() => {
    serviceApi.types().then(setTypes).catch((e) => setError(errorText(t, e)));
    if (portal) api.get<{ items: AccountHit[] }>('/accounts', { page: 1, pageSize: 20 }).then((r) => { setMine(r.items); if (r.items[0]) setAccount(r.items[0]); }).catch(() => undefined);
  }, [portal, t]);

  const info: RequestTypeInfo | undefined = useMemo(() => types?.items.find((x) => x.code === type), [types, type]);
  const acceptDocs = info?.stages[0]?.documents ?? [];

  async function findAccount() {
    setError(null);
    try {
      const r = await api.get<{ items: AccountHit[] }>('/accounts', { q: accountNo.trim(), page: 1, pageSize: 5 });
      if (!r.items.length) setError(`${st('svc.account')}: ${accountNo} ?`);
      setAccount(r.items[0] ?? null);
    } catch (e) {
      setError(errorText(t, e));
    }
  }

  async function submit() {
    setError(null);
    const v = form.getFieldsValue();
    const data: Record<string, unknown> = {};
    if (info?.kind === 'new') {
      data.address = v.address;
      if (v.capacityKva) data.capacityKva = v.capacityKva;
      if (v.important) data.important = true;
      if (v.dualSupply) data.dualSupply = true;
      data.applicant = { name: v.applicantName, idType: v.idType ?? 'resident_id', idNumber: v.idNumber, phone: v.applicantPhone };
    }
    for (const f of TYPE_FIELDS[type] ?? []) {
      const x = v[f.key];
      if (x === undefined || x === '') continue;
      if (f.key === 'newIdNumber') continue;
      if (f.key === 'mergeAccountId') data.mergeAccountId = Number(x);
      else if ((type === 'transfer' || type === 'split') && f.key === 'newName') data.newCustomer = { name: x, idType: 'resident_id', idNumber: v.newIdNumber };
      else data[f.key] = x;
    }
    setBusy(true);
    try {
      const res = await serviceApi.apply({
        type, ...(info?.needsAccount ? { accountId: account?.id } : {}), ...(info?.kind === 'new' && v.orgUnitId ? { orgUnitId: v.orgUnitId } : {}), applicantName: v.applicantName || account?.name, applicantPhone: v.applicantPhone || null, data,
      });
      const uploaded: string[] = [];
      for (const f of files) {
        await serviceApi.upload(res.id, { kind: f.kind, fileName: f.file.name, contentType: f.file.type || 'application/octet-stream', dataBase64: await fileToBase64(f.file) });
        uploaded.push(f.kind);
      }
      message.success(st('svc.done'));
      setSlip({ ...res, typeName: info ? l(info.name) : type, applicant: v.applicantName || account?.name || '', docs: uploaded });
      setFiles([]);
      onDone?.();
    } catch (e) {
      setError(errorText(t, e));
    } finally {
      setBusy(false);
    }
  }

  if (slip) {
    return (
      <PageContainer crumbs={portal ? [{ title: st('svc.my'), path: '/service/my' }, { title: st('svc.slip') }] : [{ title: st('svc.group') }, { title: st('svc.new') }]} title={st('svc.slipTitle')}
        extra={<Space className="no-print"><Button icon={<PrinterOutlined />} onClick={() => window.print()} data-testid="slip-print">{st('svc.print')}</Button><Button onClick={() => { setSlip(null); form.resetFields(); }}>{st('svc.again')}</Button></Space>}>
        <style>{'@media print { .no-print, .ant-layout-sider, .ant-layout-header, .ant-breadcrumb { display: none !important; } }'}</style>
        <Card data-testid="slip">
          <Typography.Title level={4} style={{ textAlign: 'center' }}>{st('svc.slipTitle')}</Typography.Title>
          <Descriptions column={1} size="small" bordered>
            <Descriptions.Item label={st('svc.requestNo')}><Mono value={slip.requestNo} testId="slip-no" /></Descriptions.Item>
            <Descriptions.Item label={st('svc.type')}>{slip.typeName}</Descriptions.Item>
            <Descriptions.Item label={st('svc.applicant')}>{slip.applicant}</Descriptions.Item>
            <Descriptions.Item label={st('svc.receivedOn')}>{slip.receivedOn}</Descriptions.Item>
            <Descriptions.Item label={st('svc.promisedOn')}><b data-testid="slip-promised">{slip.promisedOn}</b></Descriptions.Item>
            <Descriptions.Item label={st('svc.documents')}>{slip.docs.map((d) => <Tag key={d}>{types ? l(types.documentKinds[d]) : d}</Tag>)}</Descriptions.Item>
          </Descriptions>
          <Typography.Paragraph style={{ marginTop: 12 }}>{st('svc.slipNote')}</Typography.Paragraph>
          <Link to={`/service/${slip.id}`} className="no-print" data-testid="slip-open">{st('svc.view')}</Link>
        </Card>
      </PageContainer>
    );
  }

  const body = (
    <Card>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} data-testid="apply-error" />}
      <Form form={form} layout="vertical" style={{ maxWidth: 640 }} initialValues={{ idType: 'resident_id' }}>
        <Form.Item label={st('svc.type')}>
          <Select
            value={type} onChange={(v) => { setType(v); setError(null); }} data-testid="apply-type" showSearch optionFilterProp="label"
            options={(types?.items ?? []).filter((x) => !portal || x.kind === 'change' || x.code.startsWith('new_lv')).map((x) => ({ value: x.code, label: l(x.name) }))}
          />
        </Form.Item>
        {info?.needsAccount && (
          <Form.Item label={st('svc.account')} extra={account ? `${account.accountNo} · ${account.name} · ${account.address}` : st('svc.accountHint')}>
            {portal ? (
              <Select value={account?.id} onChange={(id) => setAccount(mine.find((m) => m.id === id) ?? null)} options={mine.map((m) => ({ value: m.id, label: `${m.accountNo} ${m.name}` }))} data-testid="apply-my-account" />
            ) : (
              <Space.Compact style={{ width: '100%' }}>
                <Input value={accountNo} onChange={(e) => setAccountNo(e.target.value)} placeholder="户号" onPressEnter={() => void findAccount()} data-testid="apply-account-no" />
                <Button onClick={() => void findAccount()} data-testid="apply-account-find">{st('svc.query')}</Button>
              </Space.Compact>
            )}
          </Form.Item>
        )}
        {info?.kind === 'new' && (
          <>
            {!portal && !org.failed && (
              <Form.Item name="orgUnitId" label={st('svc.orgUnit')} extra={st('svc.orgHint')}>
                <OrgUnitSelect tree={org.tree} testId="apply-org" />
              </Form.Item>
            )}
            <Form.Item name="applicantName" label={st('svc.applicant')}><Input data-testid="apply-name" /></Form.Item>
            <Form.Item name="applicantPhone" label={st('svc.phone')}><Input inputMode="tel" data-testid="apply-phone" /></Form.Item>
            <Flex gap={8} wrap>
              <Form.Item name="idType" label={st('svc.idType')} style={{ minWidth: 160 }}>
                <Select options={['resident_id', 'credit_code'].map((x) => ({ value: x, label: st(`svc.idType.${x}` as SKey) }))} />
              </Form.Item>
              <Form.Item name="idNumber" label={st('svc.idNumber')} style={{ flex: 1, minWidth: 200 }}><Input data-testid="apply-id" /></Form.Item>
            </Flex>
            <Form.Item name="address" label={st('svc.address')}><Input data-testid="apply-address" /></Form.Item>
            <Form.Item name="capacityKva" label={st('svc.capacity')}><Input inputMode="decimal" data-testid="apply-capacity" /></Form.Item>
            {type === 'new_hv' && (
              <Flex gap={16}>
                <Form.Item name="important" valuePropName="checked"><Checkbox>{st('svc.important')}</Checkbox></Form.Item>
                <Form.Item name="dualSupply" valuePropName="checked"><Checkbox>{st('svc.dualSupply')}</Checkbox></Form.Item>
              </Flex>
            )}
          </>
        )}
        {info?.kind === 'change' && !portal && <Form.Item name="applicantPhone" label={st('svc.phone')}><Input inputMode="tel" /></Form.Item>}
        {(TYPE_FIELDS[type] ?? []).map((f) => (
          <Form.Item key={f.key} name={f.key} label={st(f.label)}><Input type={f.date ? 'date' : 'text'} data-testid={`apply-${f.key}`} /></Form.Item>
        ))}
        <Form.Item label={st('svc.documents')} extra={acceptDocs.length ? `${st('svc.required')}: ${acceptDocs.map((d) => (types ? l(types.documentKinds[d]) : d)).join('、')}` : undefined}>
          <Flex gap={8} wrap>
            <Select style={{ minWidth: 160 }} value={docKind} onChange={setDocKind} options={Object.entries(types?.documentKinds ?? {}).map(([k, v]) => ({ value: k, label: l(v) }))} data-testid="apply-doc-kind" />
            <Upload accept="image/jpeg,image/png,image/webp,application/pdf" showUploadList={false} beforeUpload={(f) => { setFiles((x) => [...x, { kind: docKind, file: f }]); return false; }}>
              <Button icon={<UploadOutlined />} data-testid="apply-doc-upload">{st('svc.upload')}</Button>
            </Upload>
          </Flex>
          <div style={{ marginTop: 6 }}>
            {files.map((f, i) => (
              <Tag key={i} closable onClose={() => setFiles((x) => x.filter((_, k) => k !== i))} data-testid="apply-doc">{types ? l(types.documentKinds[f.kind]) : f.kind}: {f.file.name}</Tag>
            ))}
          </div>
        </Form.Item>
        <Button type="primary" loading={busy} onClick={() => void submit()} data-testid="apply-submit">{st('svc.submit')}</Button>
      </Form>
    </Card>
  );
  if (portal) return body;
  return (
    <PageContainer crumbs={[{ title: st('svc.group') }, { title: st('svc.new') }]} title={st('svc.newTitle')}>
      {body}
    </PageContainer>
  );
}
