import { useEffect, useState } from 'react';
import { Alert, Table } from 'antd';
import { errorText } from '../../components/errors';
import { useI18n } from '../../i18n';
import { billingApi, money, type Bill } from './api';
import { useBT } from './i18n';
import { BillDrawer, FlagTags } from './BillDrawer';

/** 账单 tab of the account view: the account's bills, newest period first (GET /accounts/:id/bills). */
export default function AccountBills({ accountId }: { accountId: number }) {
  const { t, st } = useBT();
  const shell = useI18n();
  const [items, setItems] = useState<Bill[] | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [open, setOpen] = useState<number | null>(null);

  useEffect(() => {
    billingApi.accountBills(accountId).then((r) => setItems(r.items)).catch((e) => setErr(errorText(shell.t, e)));
  }, [accountId, shell.t]);

  if (err) return <Alert type="error" message={err} />;
  return (
    <>
      <Table<Bill>
        size="small"
        rowKey="id"
        loading={items === null}
        dataSource={items ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('acct.empty') }}
        data-testid="account-bills"
        columns={[
          { title: t('runs.period'), dataIndex: 'period', render: (v: string, b) => <a onClick={() => setOpen(b.id)}>{v}</a> },
          { title: t('bills.kwh'), dataIndex: 'energyKwh', align: 'right' },
          { title: t('bills.amount'), dataIndex: 'amountTotal', align: 'right', render: (v: string | null) => money(v) },
          { title: t('runs.status'), dataIndex: 'status', render: (s: string) => st(s) },
          { title: t('bill.dueDate'), dataIndex: 'dueDate', render: (v: string | null) => v ?? '—' },
          { title: t('bills.flags'), render: (_, b) => <FlagTags flags={b.reviewFlags} exceptionCode={b.exceptionCode} /> },
          { title: 'PDF', render: (_, b) => <a href={billingApi.billPdfUrl(b.id)} download data-testid="account-bill-pdf">{t('pdf.download')}</a> },
        ]}
      />
      <BillDrawer billId={open} onClose={() => setOpen(null)} />
    </>
  );
}
