import { useCallback, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { Alert, App, Button, Card, Descriptions, Drawer, Form, Grid, Input, Result, Skeleton, Space, Table } from 'antd';
import { EditOutlined } from '@ant-design/icons';
import { api, ApiError } from '../../api/client';
import type { AccountRow, Customer } from '../../api/types';
import { useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { useDict } from '../../app/dict';
import { can } from '../../app/permissions';
import { Mono } from '../../components/Mono';
import { PageContainer } from '../../components/PageContainer';
import { AccountStatusTag } from '../../components/StatusTag';
import { errorText, fieldMessage } from '../../components/errors';
import { customerKindLabel } from './CustomersPage';

type Detail = Customer & { customer?: Customer };

function CustomerEditDrawer({ open, customer, onClose, onSaved }: { open: boolean; customer: Customer; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const screens = Grid.useBreakpoint();
  const [form] = Form.useForm<{ name: string; phone?: string; address?: string }>();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (open) {
      setError(null);
      form.setFieldsValue({ name: customer.name, address: customer.address ?? '', phone: '' });
    }
  }, [open, customer, form]);

  const submit = async () => {
    const v = await form.validateFields();
    const body: Record<string, unknown> = {};
    if (v.name !== customer.name) body.name = v.name;
    if ((v.address ?? '') !== (customer.address ?? '')) body.address = v.address;
    if (v.phone) body.phone = v.phone;
    if (customer.version !== undefined) body.version = customer.version;
    setSaving(true);
    setError(null);
    try {
      await api.patch(`/customers/${customer.id}`, body);
      message.success(t('common.saved'));
      onSaved();
    } catch (e) {
      const f = e instanceof ApiError ? e.field?.split(/[./]/).pop() : undefined;
      if (f && ['name', 'phone', 'address'].includes(f)) form.setFields([{ name: f as 'name', errors: [fieldMessage(e)] }]);
      else setError(errorText(t, e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Drawer
      open={open}
      onClose={onClose}
      title={t('customerEdit.title')}
      size={screens.md === false ? '100%' : 480}
      destroyOnHidden
      extra={
        <Space>
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button type="primary" loading={saving} onClick={submit}>
            {t('common.save')}
          </Button>
        </Space>
      }
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      <Form form={form} layout="vertical">
        <Form.Item name="name" label={t('customer.name')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
          <Input maxLength={100} />
        </Form.Item>
        <Form.Item name="phone" label={t('customer.phone')} extra={t('customerEdit.phoneHint')}>
          <Input inputMode="tel" maxLength={20} />
        </Form.Item>
        <Form.Item name="address" label={t('customer.address')}>
          <Input.TextArea rows={2} maxLength={200} />
        </Form.Item>
      </Form>
    </Drawer>
  );
}

export default function CustomerViewPage() {
  const { id } = useParams();
  const { t } = useI18n();
  const { label } = useDict();
  const { user } = useAuth();
  const screens = Grid.useBreakpoint();
  const [data, setData] = useState<Detail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState(false);

  const load = useCallback(async () => {
    setError(null);
    try {
      setData(await api.get<Detail>(`/customers/${encodeURIComponent(id ?? '')}`));
    } catch (e) {
      setError(e);
    }
  }, [id]);
  useEffect(() => {
    void load();
  }, [load]);

  const c: Customer | null = data ? (data.customer ?? data) : null;
  const accounts: AccountRow[] = (data?.accounts as AccountRow[] | undefined) ?? [];
  const crumbs = [{ title: t('menu.archive') }, { title: t('menu.customers'), path: '/archive/customers' }, { title: c?.name ?? t('common.detail') }];

  if (error) {
    return (
      <PageContainer crumbs={crumbs}>
        <Result status={error instanceof ApiError && error.status === 404 ? '404' : 'error'} title={t('common.loadFailed')} subTitle={errorText(t, error)} extra={<Link to="/archive/customers">{t('common.back')}</Link>} />
      </PageContainer>
    );
  }
  if (!c) {
    return (
      <PageContainer crumbs={crumbs}>
        <Card>
          <Skeleton active />
        </Card>
      </PageContainer>
    );
  }
  return (
    <PageContainer
      crumbs={crumbs}
      title={c.name}
      extra={
        can(user, 'customer.write') && (
          <Button type="primary" icon={<EditOutlined />} onClick={() => setEditing(true)}>
            {t('common.edit')}
          </Button>
        )
      }
    >
      <Card size="small" title={t('account.section.customer')} style={{ marginBottom: 16 }}>
        <Descriptions size="small" column={screens.md === false ? 1 : 2} colon={false} styles={{ label: { color: '#888' } }}>
          <Descriptions.Item label={t('customer.name')}>{c.name}</Descriptions.Item>
          <Descriptions.Item label={t('customer.kind')}>{customerKindLabel(t, c.kind)}</Descriptions.Item>
          <Descriptions.Item label={t('customer.idNumber')}>
            <span className="vl-mono">{c.idNumberMasked ?? c.idNumber ?? '-'}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('customer.phone')}>
            <span className="vl-mono">{c.phoneMasked ?? c.phone ?? '-'}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('customer.address')}>{c.address ?? '-'}</Descriptions.Item>
          <Descriptions.Item label={t('customer.customerNo')}>
            <Mono value={c.customerNo as string | undefined} />
          </Descriptions.Item>
        </Descriptions>
      </Card>
      {accounts.length > 0 && (
        <Card size="small" title={t('customer.accounts')}>
          <Table<AccountRow>
            size="small"
            rowKey="id"
            dataSource={accounts}
            pagination={false}
            scroll={{ x: 700 }}
            columns={[
              { title: t('account.accountNo'), dataIndex: 'accountNo', render: (v: string, r) => <Link className="vl-mono" to={`/archive/accounts/${r.id}`}>{v}</Link> },
              { title: t('account.name'), dataIndex: 'name', ellipsis: true },
              { title: t('account.customerClass'), dataIndex: 'customerClass', render: (v: string) => label('customerClasses', v) },
              { title: t('account.status'), dataIndex: 'status', render: (v: string) => <AccountStatusTag status={v} /> },
            ]}
          />
        </Card>
      )}
      <CustomerEditDrawer
        open={editing}
        customer={c}
        onClose={() => setEditing(false)}
        onSaved={() => {
          setEditing(false);
          void load();
        }}
      />
    </PageContainer>
  );
}
