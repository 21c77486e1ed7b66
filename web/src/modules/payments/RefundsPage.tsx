/**
 * 退费管理 (refunds): refunds in the user's data scope with a status filter and a 户号 search, a
 * detail drawer (account, amount, payee, origin — e.g. the 销户 request and its final bill — and
 * the payout record), the "已支付" action (reference required, note optional; 409 when already
 * paid is explained) for payment.collect, and for payment.supervise the "补办退费" form
 * (POST /payments/refunds: credit of a closed account). Cards at phone width.
 * API: src/api/payments/refunds.routes.ts. Registered by the payments module (index.tsx).
 */
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { Alert, App, Button, Card, Descriptions, Drawer, Flex, Form, Grid, Input, List, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { PageContainer } from '../../components/PageContainer';
import { Money } from '../../components/Money';
import { Mono } from '../../components/Mono';
import { errorText, fieldMessage } from '../../components/errors';
import { ApiError } from '../../api/client';
import { useAuth } from '../../app/auth';
import { useI18n } from '../../i18n';
import { canCollect, canSupervise } from './perm';
import { refundsApi, type Refund, type RefundMethod } from './refundsApi';
import { useRefundsT } from './refunds.i18n';

const STATUS_COLOR: Record<string, string> = { pending: 'gold', paid: 'green' };

export default function RefundsPage() {
  const { t, tx } = useRefundsT();
  const shell = useI18n();
  const { user } = useAuth();
  const { message } = App.useApp();
  const isPhone = !Grid.useBreakpoint().md;
  const [status, setStatus] = useState<string>('pending');
  const [accountNo, setAccountNo] = useState('');
  const [query, setQuery] = useState('');
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(20);
  const [data, setData] = useState<{ items: Refund[]; total: number; amountTotal: string } | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [open, setOpen] = useState<Refund | null>(null);
  const [payOpen, setPayOpen] = useState(false);
  const [payErr, setPayErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [payForm] = Form.useForm();
  const [createForm] = Form.useForm();
  const method = Form.useWatch(['refund', 'method'], createForm) as RefundMethod | undefined;

  const load = useCallback(() => {
    setLoading(true);
    refundsApi
      .list({ status: status === 'all' ? undefined : status, accountNo: query || undefined, page, pageSize })
      .then((r) => (setData(r), setErr(null)))
      .catch((e) => setErr(errorText(shell.t, e)))
      .finally(() => setLoading(false));
  }, [status, query, page, pageSize, shell.t]);
  useEffect(load, [load]);

  const openDetail = async (id: number) => {
    try {
      setOpen(await refundsApi.get(id));
    } catch (e) {
      message.error(errorText(shell.t, e));
    }
  };

  const markPaid = async () => {
    let v: { reference: string; note?: string };
    try {
      v = await payForm.validateFields();
    } catch {
      return; // the form shows what is missing
    }
    setBusy(true);
    setPayErr(null);
    try {
      const r = await refundsApi.markPaid(open!.id, { reference: String(v.reference).trim(), note: v.note?.trim() || undefined });
      setOpen(r);
      setPayOpen(false);
      payForm.resetFields();
      message.success(t('rf.paidOk'));
      load();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        setPayErr(`${t('rf.alreadyPaid')} (${e.message})`);
        void openDetail(open!.id);
        load();
      } else if (e instanceof ApiError && e.field) payForm.setFields([{ name: e.field, errors: [fieldMessage(e)] }]);
      else setPayErr(errorText(shell.t, e));
    } finally {
      setBusy(false);
    }
  };

  const create = async (v: { accountNo: string; reason: string; refund: Record<string, string | undefined> }) => {
    setBusy(true);
    try {
      const refund = Object.fromEntries(Object.entries(v.refund ?? {}).filter(([, x]) => x !== undefined && x !== '')) as never;
      const r = await refundsApi.create({ accountNo: v.accountNo.trim(), reason: v.reason.trim(), refund });
      message.success(r.refund ? t('rf.createOk', { amount: r.refund.amount }) : t('rf.createNone'));
      createForm.resetFields();
      load();
    } catch (e) {
      if (e instanceof ApiError && e.field && e.status === 400) createForm.setFields([{ name: e.field.split('.'), errors: [fieldMessage(e)] }]);
      else if (e instanceof ApiError && e.field === 'accountNo') createForm.setFields([{ name: 'accountNo', errors: [errorText(shell.t, e)] }]);
      else message.error(errorText(shell.t, e));
    } finally {
      setBusy(false);
    }
  };

  const statusTag = (s: string) => <Tag color={STATUS_COLOR[s]} data-testid="refund-status">{tx('rf.status', s)}</Tag>;
  const origin = (r: Refund) => (r.requestNo && r.serviceRequestId ? <Link to={`/service/requests/${r.serviceRequestId}`}>销户 {r.requestNo}</Link> : r.reason);

  return (
    <PageContainer crumbs={[{ title: t('rf.crumb') }, { title: t('rf.title') }]} title={t('rf.title')}>
      <Card size="small" style={{ marginBottom: 12 }}>
        <Flex gap={8} wrap>
          <Select
            style={{ width: 120 }} value={status} onChange={(v) => (setStatus(v), setPage(1))} data-testid="refund-filter-status"
            options={['pending', 'paid', 'all'].map((s) => ({ value: s, label: tx('rf.status', s) }))}
          />
          <Input.Search
            style={{ width: isPhone ? '100%' : 240 }} placeholder={t('rf.accountNo')} allowClear value={accountNo} enterButton={t('rf.search')}
            onChange={(e) => setAccountNo(e.target.value)} onSearch={(v) => (setQuery(v.trim()), setPage(1))} data-testid="refund-search"
          />
        </Flex>
      </Card>
      {err && <Alert type="error" showIcon message={err} style={{ marginBottom: 12 }} />}
      <Card size="small" style={{ marginBottom: 12 }} title={data ? <span data-testid="refund-total">{t('rf.amountTotal', { n: data.total })} <Money value={data.amountTotal} /></span> : t('rf.title')}>
        {isPhone ? (
          <List
            loading={loading} dataSource={data?.items ?? []} locale={{ emptyText: t('rf.empty') }}
            pagination={data && data.total > pageSize ? { current: page, pageSize, total: data.total, onChange: setPage, size: 'small' } : false}
            renderItem={(r) => (
              <List.Item key={r.id} onClick={() => void openDetail(r.id)} style={{ cursor: 'pointer' }} data-testid="refund-row">
                <div style={{ width: '100%', minWidth: 0 }}>
                  <Flex justify="space-between" gap={8}><Mono value={r.accountNo} copyable={false} /><Money value={r.amount} /></Flex>
                  <Flex justify="space-between" gap={8} wrap>
                    <Typography.Text ellipsis style={{ maxWidth: 200 }}>{r.accountName} · {tx('rf.method', r.method)}</Typography.Text>
                    {statusTag(r.status)}
                  </Flex>
                </div>
              </List.Item>
            )}
          />
        ) : (
          <Table<Refund>
            size="small" rowKey="id" loading={loading} dataSource={data?.items ?? []} locale={{ emptyText: t('rf.empty') }} scroll={{ x: 'max-content' }}
            onRow={() => ({ 'data-testid': 'refund-row' } as never)}
            pagination={{ current: page, pageSize, total: data?.total ?? 0, onChange: (p, s) => (setPage(p), setPageSize(s)), showSizeChanger: true }}
            columns={[
              { title: t('rf.accountNo'), dataIndex: 'accountNo', render: (v: string) => <Mono value={v} copyable={false} /> },
              { title: t('rf.accountName'), dataIndex: 'accountName' },
              { title: t('rf.amount'), dataIndex: 'amount', align: 'right', render: (v: string) => <Money value={v} /> },
              { title: t('rf.method'), dataIndex: 'method', render: (v: string) => tx('rf.method', v) },
              { title: t('rf.payee'), dataIndex: 'payeeName' },
              { title: t('rf.origin'), key: 'origin', render: (_: unknown, r: Refund) => origin(r) },
              { title: t('rf.createdAt'), dataIndex: 'createdAt', render: (v: string) => new Date(v).toLocaleString() },
              { title: t('rf.status'), dataIndex: 'status', render: (v: string) => statusTag(v) },
              { title: '', key: 'open', render: (_: unknown, r: Refund) => <Button size="small" onClick={() => void openDetail(r.id)} data-testid="refund-open">{t('rf.open')}</Button> },
            ]}
          />
        )}
      </Card>

      {canSupervise(user) && (
        <Card size="small" title={t('rf.create')} data-testid="refund-create">
          <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>{t('rf.createHint')}</Typography.Paragraph>
          <Form form={createForm} layout="vertical" onFinish={(v) => void create(v)} initialValues={{ refund: { method: 'cash' } }} style={{ maxWidth: 520 }}>
            <Form.Item name="accountNo" label={t('rf.accountNo')} rules={[{ required: true, message: t('rf.required') }]}><Input maxLength={32} data-testid="create-accountNo" /></Form.Item>
            <Form.Item name="reason" label={t('rf.reason')} rules={[{ required: true, message: t('rf.required') }]}><Input maxLength={200} data-testid="create-reason" /></Form.Item>
            <PayeeFields prefix={['refund']} method={method} t={t} tx={tx} />
            <Button type="primary" htmlType="submit" loading={busy} data-testid="create-submit">{t('rf.submit')}</Button>
          </Form>
        </Card>
      )}

      <Drawer open={!!open} onClose={() => (setOpen(null), setPayErr(null))} title={t('rf.detail')} width={isPhone ? '100%' : 520} destroyOnHidden>
        {open && (
          <Space direction="vertical" style={{ width: '100%' }}>
            {payErr && <Alert type="warning" showIcon message={payErr} data-testid="refund-pay-error" />}
            <Descriptions size="small" column={1} bordered data-testid="refund-detail">
              <Descriptions.Item label={t('rf.accountNo')}><Mono value={open.accountNo} /> {open.accountName}</Descriptions.Item>
              <Descriptions.Item label={t('rf.amount')}><b data-testid="refund-amount"><Money value={open.amount} /></b></Descriptions.Item>
              <Descriptions.Item label={t('rf.status')}>{statusTag(open.status)}</Descriptions.Item>
              <Descriptions.Item label={t('rf.method')}>{tx('rf.method', open.method)}</Descriptions.Item>
              <Descriptions.Item label={t('rf.payeeName')}>{open.payeeName}</Descriptions.Item>
              {open.payeeBank && <Descriptions.Item label={t('rf.payeeBank')}>{open.payeeBank}</Descriptions.Item>}
              {open.payeeAccount && <Descriptions.Item label={t('rf.payeeAccount')}><Mono value={open.payeeAccount} /></Descriptions.Item>}
              {open.payeePhone && <Descriptions.Item label={t('rf.payeePhone')}>{open.payeePhone}</Descriptions.Item>}
              <Descriptions.Item label={t('rf.origin')}>{origin(open)}</Descriptions.Item>
              {open.finalBillId && <Descriptions.Item label={t('rf.finalBill')}><a href={`/api/v1/bills/${open.finalBillId}/pdf`} target="_blank" rel="noreferrer">#{open.finalBillId} PDF</a></Descriptions.Item>}
              <Descriptions.Item label={t('rf.reason')}>{open.reason}</Descriptions.Item>
              <Descriptions.Item label={t('rf.createdAt')}>{new Date(open.createdAt).toLocaleString()}</Descriptions.Item>
              {open.createdByName && <Descriptions.Item label={t('rf.createdBy')}>{open.createdByName}</Descriptions.Item>}
              {open.paidAt && <Descriptions.Item label={t('rf.paidAt')}>{new Date(open.paidAt).toLocaleString()}</Descriptions.Item>}
              {open.paidReference && <Descriptions.Item label={t('rf.reference')}><span data-testid="refund-reference">{open.paidReference}</span></Descriptions.Item>}
              {open.paidNote && <Descriptions.Item label={t('rf.note')}>{open.paidNote}</Descriptions.Item>}
              {open.paidBy !== null && <Descriptions.Item label={t('rf.paidBy')}><span data-testid="refund-paid-by">{open.paidByName ?? `#${open.paidBy}`}</span></Descriptions.Item>}
            </Descriptions>
            {open.status === 'pending' && canCollect(user) && (
              <Button type="primary" onClick={() => (setPayErr(null), setPayOpen(true))} data-testid="refund-mark-paid">{t('rf.markPaid')}</Button>
            )}
          </Space>
        )}
      </Drawer>

      <Modal
        open={payOpen} title={t('rf.markPaidTitle')} onCancel={() => setPayOpen(false)} onOk={() => void markPaid()}
        okButtonProps={{ loading: busy, 'data-testid': 'refund-pay-ok' } as never} destroyOnHidden
      >
        {open && <Typography.Paragraph>{open.accountNo} · {open.payeeName} · <Money value={open.amount} /></Typography.Paragraph>}
        <Form form={payForm} layout="vertical">
          <Form.Item name="reference" label={t('rf.reference')} extra={t('rf.referenceHint')} rules={[{ required: true, whitespace: true, message: t('rf.required') }]}>
            <Input maxLength={64} data-testid="refund-pay-reference" />
          </Form.Item>
          <Form.Item name="note" label={t('rf.note')}><Input.TextArea rows={2} maxLength={500} data-testid="refund-pay-note" /></Form.Item>
        </Form>
      </Modal>
    </PageContainer>
  );
}

/** Refund payee fields (method, name, bank, account, phone) under `prefix` of a Form. */
function PayeeFields({ prefix, method, t, tx }: { prefix: string[]; method?: RefundMethod; t: ReturnType<typeof useRefundsT>['t']; tx: (p: string, c: string) => string }) {
  const transfer = method === 'transfer';
  return (
    <>
      <Form.Item name={[...prefix, 'method']} label={t('rf.method')}>
        <Select options={(['cash', 'transfer', 'original'] as const).map((m) => ({ value: m, label: tx('rf.method', m) }))} data-testid="create-method" />
      </Form.Item>
      <Form.Item name={[...prefix, 'payeeName']} label={t('rf.payeeName')}><Input maxLength={100} data-testid="create-payeeName" /></Form.Item>
      {transfer && (
        <>
          <Form.Item name={[...prefix, 'payeeBank']} label={t('rf.payeeBank')} rules={[{ required: true, message: t('rf.required') }]}><Input maxLength={100} data-testid="create-payeeBank" /></Form.Item>
          <Form.Item name={[...prefix, 'payeeAccount']} label={t('rf.payeeAccount')} rules={[{ required: true, pattern: /^\d{8,30}$/, message: '8–30 digits / 8–30 位数字' }]}><Input maxLength={30} inputMode="numeric" data-testid="create-payeeAccount" /></Form.Item>
        </>
      )}
      <Form.Item name={[...prefix, 'payeePhone']} label={t('rf.payeePhone')}><Input maxLength={20} data-testid="create-payeePhone" /></Form.Item>
    </>
  );
}
