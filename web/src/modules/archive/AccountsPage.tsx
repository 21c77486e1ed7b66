import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { Alert, Button, Card, Col, Empty, Form, Grid, Input, List, Pagination, Select, Space, Table, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { EnvironmentOutlined, FilterOutlined, PhoneOutlined } from '@ant-design/icons';
import { useI18n } from '../../i18n';
import { useDict } from '../../app/dict';
import { PageContainer } from '../../components/PageContainer';
import { QueryForm } from '../../components/QueryForm';
import { AccountStatusTag } from '../../components/StatusTag';
import { OrgUnitSelect, useOrgUnits } from '../../components/orgUnits';
import { PAGE_SIZES, useListQuery } from '../../components/useListQuery';
import { errorText } from '../../components/errors';
import type { AccountRow } from '../../api/types';

const FILTERS = ['q', 'orgUnitId', 'customerClass', 'status'];

export default function AccountsPage() {
  const { t } = useI18n();
  const { label, options } = useDict();
  const navigate = useNavigate();
  const screens = Grid.useBreakpoint();
  const isPhone = screens.md === false;
  const org = useOrgUnits();
  const [form] = Form.useForm();
  const list = useListQuery<AccountRow>('/accounts', FILTERS);
  const [moreFilters, setMoreFilters] = useState(false);
  const showFilters = !isPhone || moreFilters || !!(list.filters.orgUnitId || list.filters.customerClass || list.filters.status);

  const columns: ColumnsType<AccountRow> = [
    {
      title: t('account.accountNo'),
      dataIndex: 'accountNo',
      width: 190,
      fixed: 'left',
      render: (v: string, r) => (
        <Space size={4}>
          <Link to={`/archive/accounts/${r.id}`} className="vl-mono" data-testid="account-link">
            {v}
          </Link>
          <Typography.Text copyable={{ text: v }} />
        </Space>
      ),
    },
    { title: t('account.name'), dataIndex: 'name', width: 180, ellipsis: true },
    { title: t('customer.phone'), dataIndex: 'phoneMasked', width: 130, render: (v) => <span className="vl-mono">{v || '-'}</span> },
    { title: t('customer.address'), dataIndex: 'address', ellipsis: true, width: 260 },
    { title: t('account.customerClass'), dataIndex: 'customerClass', width: 120, render: (v) => label('customerClasses', v) },
    { title: t('account.voltageLevel'), dataIndex: 'voltageLevel', width: 100, render: (v) => label('voltageLevels', v) },
    { title: t('account.tariff'), dataIndex: 'tariffCode', width: 120, render: (v) => <span className="vl-mono">{v || '-'}</span> },
    { title: t('account.paymentMode'), dataIndex: 'paymentMode', width: 100, render: (v) => label('paymentModes', v) },
    { title: t('account.orgUnit'), dataIndex: 'orgUnitName', width: 150, ellipsis: true },
    { title: t('account.status'), dataIndex: 'status', width: 90, render: (v) => <AccountStatusTag status={v} /> },
  ];

  return (
    <PageContainer crumbs={[{ title: t('menu.archive') }, { title: t('menu.accounts') }]} title={t('menu.accounts')}>
      <Card style={{ marginBottom: 16 }} styles={{ body: { paddingBottom: 4 } }}>
        <QueryForm form={form} values={list.filters} onSearch={(v) => list.search(v as Record<string, string>)} testId="account-query"
          extraActions={
            isPhone && (
              <Button type="link" icon={<FilterOutlined />} onClick={() => setMoreFilters(!showFilters)} data-testid="account-more-filters">
                {t('accounts.filters')}
              </Button>
            )
          }
        >
          <Col xs={24} md={16} lg={12} xl={8}>
            <Form.Item name="q" label={t('accounts.keyword')}>
              <Input allowClear placeholder={t('accounts.searchPlaceholder')} data-testid="account-search-input" onPressEnter={() => form.submit()} />
            </Form.Item>
          </Col>
          {showFilters && !org.failed && (
            <Col xs={24} sm={12} md={8} lg={6} xl={4}>
              <Form.Item name="orgUnitId" label={t('account.orgUnit')}>
                <OrgUnitSelect tree={org.tree} placeholder={t('common.all')} />
              </Form.Item>
            </Col>
          )}
          {showFilters && (
          <Col xs={12} sm={12} md={8} lg={6} xl={4}>
            <Form.Item name="customerClass" label={t('account.customerClass')}>
              <Select allowClear placeholder={t('common.all')} options={options('customerClasses')} />
            </Form.Item>
          </Col>
          )}
          {showFilters && (
          <Col xs={12} sm={12} md={8} lg={6} xl={4}>
            <Form.Item name="status" label={t('account.status')}>
              <Select allowClear placeholder={t('common.all')} options={options('accountStatuses')} />
            </Form.Item>
          </Col>
          )}
        </QueryForm>
      </Card>
      {list.error != null && <Alert type="error" showIcon title={errorText(t, list.error)} style={{ marginBottom: 16 }} />}
      {isPhone ? (
        <div className="vl-card-list" data-testid="account-results">
          <List
            loading={list.loading}
            dataSource={list.items}
            locale={{ emptyText: <Empty description={t('common.noData')} /> }}
            renderItem={(r) => (
              <Card size="small" hoverable onClick={() => navigate(`/archive/accounts/${r.id}`)} data-testid="account-card">
                <Space orientation="vertical" size={2} style={{ width: '100%' }}>
                  <Space style={{ justifyContent: 'space-between', width: '100%' }}>
                    <Typography.Text strong className="vl-mono" data-testid="account-link">
                      {r.accountNo}
                    </Typography.Text>
                    <AccountStatusTag status={r.status} />
                  </Space>
                  <Typography.Text>{r.name}</Typography.Text>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    <EnvironmentOutlined /> {r.address || '-'}
                  </Typography.Text>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    <PhoneOutlined /> <span className="vl-mono">{r.phoneMasked || '-'}</span> · {label('customerClasses', r.customerClass)}
                  </Typography.Text>
                </Space>
              </Card>
            )}
          />
          {list.total > 0 && (
            <Pagination
              simple
              style={{ textAlign: 'center', marginTop: 8 }}
              current={list.page}
              pageSize={list.pageSize}
              total={list.total}
              onChange={list.setPage}
            />
          )}
        </div>
      ) : (
        <Card styles={{ body: { padding: 0 } }}>
          <Table<AccountRow>
            rowKey="id"
            size="middle"
            columns={columns}
            dataSource={list.items}
            loading={list.loading}
            scroll={{ x: 1400 }}
            data-testid="account-results"
            pagination={{
              current: list.page,
              pageSize: list.pageSize,
              total: list.total,
              pageSizeOptions: PAGE_SIZES,
              showSizeChanger: true,
              showTotal: (total) => t(list.totalCapped ? 'common.totalCapped' : 'common.total', { total: total.toLocaleString('en-US') }),
              onChange: list.setPage,
              style: { paddingInline: 16 },
            }}
            onRow={(r) => ({ onDoubleClick: () => navigate(`/archive/accounts/${r.id}`) })}
          />
        </Card>
      )}
    </PageContainer>
  );
}
