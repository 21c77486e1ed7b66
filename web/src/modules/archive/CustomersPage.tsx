import { Link } from 'react-router-dom';
import { Alert, Card, Col, Form, Input, Table } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useI18n } from '../../i18n';
import { PageContainer } from '../../components/PageContainer';
import { QueryForm } from '../../components/QueryForm';
import { PAGE_SIZES, useListQuery } from '../../components/useListQuery';
import { errorText } from '../../components/errors';
import { Mono } from '../../components/Mono';
import type { Customer } from '../../api/types';

const FILTERS = ['q'];

export function customerKindLabel(t: ReturnType<typeof useI18n>['t'], kind?: string) {
  if (!kind) return '-';
  return kind === 'enterprise' ? t('customer.kind.enterprise') : kind === 'person' ? t('customer.kind.person') : kind;
}

export default function CustomersPage() {
  const { t } = useI18n();
  const [form] = Form.useForm();
  const list = useListQuery<Customer>('/customers', FILTERS);

  const columns: ColumnsType<Customer> = [
    { title: t('customer.customerNo'), dataIndex: 'customerNo', width: 140, render: (v: string) => <Mono value={v} /> },
    { title: t('customer.name'), dataIndex: 'name', width: 200, render: (v: string, r) => <Link to={`/archive/customers/${r.id}`}>{v}</Link> },
    { title: t('customer.kind'), dataIndex: 'kind', width: 100, render: (v: string) => customerKindLabel(t, v) },
    { title: t('customer.idNumber'), dataIndex: 'idNumberMasked', width: 200, render: (v: string) => <span className="vl-mono">{v || '-'}</span> },
    { title: t('customer.phone'), dataIndex: 'phoneMasked', width: 140, render: (v: string) => <span className="vl-mono">{v || '-'}</span> },
    { title: t('customer.address'), dataIndex: 'address', ellipsis: true },
  ];

  return (
    <PageContainer crumbs={[{ title: t('menu.archive') }, { title: t('menu.customers') }]} title={t('menu.customers')}>
      <Card style={{ marginBottom: 16 }} styles={{ body: { paddingBottom: 4 } }}>
        <QueryForm form={form} values={list.filters} onSearch={(v) => list.search(v as Record<string, string>)}>
          <Col xs={24} md={16} lg={12} xl={8}>
            <Form.Item name="q" label={t('accounts.keyword')}>
              <Input allowClear placeholder={t('customers.searchPlaceholder')} onPressEnter={() => form.submit()} />
            </Form.Item>
          </Col>
        </QueryForm>
      </Card>
      {list.error != null && <Alert type="error" showIcon title={errorText(t, list.error)} style={{ marginBottom: 16 }} />}
      <Card styles={{ body: { padding: 0 } }}>
        <Table<Customer>
          rowKey="id"
          size="middle"
          columns={columns}
          dataSource={list.items}
          loading={list.loading}
          scroll={{ x: 1000 }}
          pagination={{
            current: list.page,
            pageSize: list.pageSize,
            total: list.total,
            pageSizeOptions: PAGE_SIZES,
            showSizeChanger: true,
            showTotal: (total) => t('common.total', { total }),
            onChange: list.setPage,
            style: { paddingInline: 16 },
          }}
        />
      </Card>
    </PageContainer>
  );
}
