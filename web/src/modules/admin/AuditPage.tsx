import { useMemo, useState } from 'react';
import { Alert, Button, Card, Col, DatePicker, Form, Input, Select, Table, Tag } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { SafetyCertificateOutlined } from '@ant-design/icons';
import dayjs, { type Dayjs } from 'dayjs';
import { api } from '../../api/client';
import type { AuditEvent, AuditVerifyResult } from '../../api/types';
import { useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { can } from '../../app/permissions';
import { formatDateTime } from '../../app/format';
import { PageContainer } from '../../components/PageContainer';
import { QueryForm } from '../../components/QueryForm';
import { PAGE_SIZES, useListQuery } from '../../components/useListQuery';
import { errorText } from '../../components/errors';
import { AuditDiffDrawer } from '../../components/AuditDiff';

const FILTERS = ['entityType', 'entityId', 'actor', 'action', 'from', 'to'];
const ENTITY_TYPES = ['account', 'customer', 'meter', 'metering_point', 'org_unit', 'user', 'role', 'feeder', 'transformer_area', 'reading_route', 'api_token', 'session', 'audit'];

export default function AuditPage() {
  const { t, tx } = useI18n();
  const { user } = useAuth();
  const [form] = Form.useForm();
  const list = useListQuery<AuditEvent>('/audit', FILTERS);
  const [open, setOpen] = useState<AuditEvent | null>(null);
  const [verifying, setVerifying] = useState(false);
  const [verify, setVerify] = useState<{ result?: AuditVerifyResult; error?: unknown } | null>(null);

  const formValues = useMemo(() => {
    const { from, to, ...rest } = list.filters;
    return { ...rest, range: from || to ? [from ? dayjs(from) : null, to ? dayjs(to) : null] : undefined };
  }, [list.filters]);

  const runVerify = async () => {
    setVerifying(true);
    setVerify(null);
    try {
      setVerify({ result: await api.post<AuditVerifyResult>('/audit/verify') });
    } catch (e) {
      setVerify({ error: e });
    } finally {
      setVerifying(false);
    }
  };

  const columns: ColumnsType<AuditEvent> = [
    { title: t('audit.id'), dataIndex: 'id', width: 90, render: (v) => <span className="vl-mono">{String(v)}</span> },
    { title: t('audit.occurredAt'), dataIndex: 'occurredAt', width: 170, render: (v: string) => formatDateTime(v) },
    { title: t('audit.actor'), width: 120, render: (_, r) => r.actorName ?? r.actor ?? '-' },
    { title: t('audit.action'), dataIndex: 'action', width: 180, render: (v: string) => <Tag color={/delete|void|lock/.test(v) ? 'red' : /create/.test(v) ? 'green' : 'blue'}>{v}</Tag> },
    { title: t('audit.entityType'), dataIndex: 'entityType', width: 130, render: (v: string) => tx(`entity.${v}`, v) },
    { title: t('audit.entityId'), dataIndex: 'entityId', width: 100, render: (v) => <span className="vl-mono">{v == null ? '-' : String(v)}</span> },
    { title: t('audit.requestId'), dataIndex: 'requestId', ellipsis: true, render: (v: string) => <span className="vl-mono" style={{ fontSize: 12 }}>{v ?? '-'}</span> },
    {
      title: '',
      width: 80,
      fixed: 'right',
      render: (_, r) => (
        <a onClick={() => setOpen(r)} data-testid="audit-open">
          {t('common.detail')}
        </a>
      ),
    },
  ];

  return (
    <PageContainer
      crumbs={[{ title: t('menu.system') }, { title: t('menu.audit') }]}
      title={t('audit.title')}
      extra={
        can(user, 'audit.verify') && (
          <Button icon={<SafetyCertificateOutlined />} loading={verifying} onClick={runVerify} data-testid="audit-verify">
            {t('audit.verify')}
          </Button>
        )
      }
    >
      {verify?.result && (
        <Alert
          type={verify.result.ok ? 'success' : 'error'}
          showIcon
          closable={{ onClose: () => setVerify(null) }}
          style={{ marginBottom: 16 }}
          data-testid="audit-verify-result"
          title={
            verify.result.ok
              ? t('audit.verifyOk', { checked: verify.result.checked })
              : t('audit.verifyBroken', { checked: verify.result.checked, id: String(verify.result.firstBrokenId ?? '-'), reason: verify.result.reason ?? '' })
          }
        />
      )}
      {verify?.error != null && <Alert type="error" showIcon title={errorText(t, verify.error)} style={{ marginBottom: 16 }} data-testid="audit-verify-result" />}
      <Card style={{ marginBottom: 16 }} styles={{ body: { paddingBottom: 4 } }}>
        <QueryForm
          form={form}
          values={formValues}
          onSearch={(v) => {
            const { range, ...rest } = v as Record<string, unknown> & { range?: [Dayjs | null, Dayjs | null] };
            list.search({
              ...(rest as Record<string, string>),
              from: range?.[0] ? range[0].format('YYYY-MM-DD') : undefined,
              to: range?.[1] ? range[1].format('YYYY-MM-DD') : undefined,
            });
          }}
        >
          <Col xs={12} sm={12} md={8} lg={6} xl={4}>
            <Form.Item name="entityType" label={t('audit.entityType')}>
              <Select allowClear showSearch placeholder={t('common.all')} options={ENTITY_TYPES.map((e) => ({ value: e, label: tx(`entity.${e}`, e) }))} data-testid="audit-entity-type" />
            </Form.Item>
          </Col>
          <Col xs={12} sm={12} md={8} lg={6} xl={3}>
            <Form.Item name="entityId" label={t('audit.entityId')}>
              <Input allowClear />
            </Form.Item>
          </Col>
          <Col xs={12} sm={12} md={8} lg={6} xl={3}>
            <Form.Item name="actor" label={t('audit.actor')}>
              <Input allowClear />
            </Form.Item>
          </Col>
          <Col xs={12} sm={12} md={8} lg={6} xl={4}>
            <Form.Item name="action" label={t('audit.action')}>
              <Input allowClear placeholder="account.update" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={24} md={12} lg={8} xl={6}>
            <Form.Item name="range" label={t('audit.dateRange')}>
              <DatePicker.RangePicker style={{ width: '100%' }} format="YYYY-MM-DD" allowEmpty={[true, true]} />
            </Form.Item>
          </Col>
        </QueryForm>
      </Card>
      {list.error != null && <Alert type="error" showIcon title={errorText(t, list.error)} style={{ marginBottom: 16 }} />}
      <Card styles={{ body: { padding: 0 } }}>
        <Table<AuditEvent>
          rowKey={(r) => String(r.id)}
          size="middle"
          columns={columns}
          dataSource={list.items}
          loading={list.loading}
          scroll={{ x: 1100 }}
          data-testid="audit-table"
          onRow={(r) => ({ onDoubleClick: () => setOpen(r) })}
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
      <AuditDiffDrawer event={open} onClose={() => setOpen(null)} />
    </PageContainer>
  );
}
