/**
 * 缴费记录 tab of the account 360° view: balance and amount due today (with open items and late
 * fee), the account's payments newest first with receipt (PDF for collectors / supervisors),
 * status and void / reversal reason. GET /payments/ui/accounts/:accountNo/payments.
 */
import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { Alert, Col, Empty, Flex, List, Row, Skeleton, Statistic, Tag, Typography } from 'antd';
import { Money } from '../../components/Money';
import { Mono } from '../../components/Mono';
import { errorText } from '../../components/errors';
import { formatDateTime, formatMoney } from '../../app/format';
import { useAuth } from '../../app/auth';
import { useI18n } from '../../i18n';
import { paymentsApi, receiptUrl, type AccountPaymentsPage } from './api';
import { apiFen } from './fen';
import { canCollect, canPayments } from './perm';
import { usePT } from './i18n';

export default function AccountPayments({ accountNo }: { accountNo: string; accountId?: number }) {
  const { t, st, mt } = usePT();
  const shell = useI18n();
  const { user } = useAuth();
  const [page, setPage] = useState(1);
  const [data, setData] = useState<AccountPaymentsPage | null>(null);
  const [err, setErr] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    paymentsApi.accountPayments(accountNo, page).then((r) => live && setData(r)).catch((e) => live && setErr(errorText(shell.t, e)));
    return () => {
      live = false;
    };
  }, [accountNo, page, shell.t]);

  if (err) return <Alert type="error" message={err} />;
  if (!data) return <Skeleton active />;
  const owes = (apiFen(data.amountDue) ?? 0n) > 0n;
  return (
    <div data-testid="account-payments">
      <Row gutter={[12, 12]} style={{ marginBottom: 12 }}>
        <Col xs={12} md={6}><Statistic title={t('acct.balance')} value={formatMoney(data.balance)} valueStyle={{ fontSize: 18 }} /></Col>
        <Col xs={12} md={6}>
          <Statistic title={t('acct.due')} value={formatMoney(data.amountDue)} valueStyle={{ fontSize: 18, color: owes ? '#cf1322' : undefined }} />
        </Col>
        <Col xs={12} md={6}><Statistic title={t('search.lateFee')} value={formatMoney(data.lateFee)} valueStyle={{ fontSize: 18 }} /></Col>
        <Col xs={12} md={6}><Statistic title={t('search.credit')} value={formatMoney(data.credit)} valueStyle={{ fontSize: 18 }} /></Col>
      </Row>
      {owes && canCollect(user) && (
        <Typography.Paragraph>
          <Link to={`/payments/counter?q=${encodeURIComponent(accountNo)}`} data-testid="account-payments-collect">{t('acct.collect')} →</Link>
        </Typography.Paragraph>
      )}
      {data.items.length > 0 && (
        <List
          size="small"
          header={<Typography.Text strong>{t('search.items')}</Typography.Text>}
          dataSource={data.items}
          style={{ marginBottom: 12 }}
          renderItem={(i) => (
            <List.Item style={{ display: 'block' }}>
              <Flex justify="space-between" wrap gap={4}>
                <span>{i.period} · {t('due.dueDate')} {i.dueDate}{i.overdueDays > 0 && <Tag color="red" style={{ marginInlineStart: 6 }}>{t('due.overdueDays')} {i.overdueDays}</Tag>}</span>
                <Money value={i.outstanding} />
              </Flex>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('due.principal')} {formatMoney(i.principalOutstanding)} · {t('due.lateFee')} {formatMoney(i.lateFee)}</Typography.Text>
            </List.Item>
          )}
        />
      )}
      {data.payments.length === 0 ? (
        <Empty description={t('acct.empty')} />
      ) : (
        <List
          size="small"
          header={<Typography.Text strong>{t('acct.title')}</Typography.Text>}
          dataSource={data.payments}
          pagination={data.total > 20 ? { current: page, pageSize: 20, total: data.total, size: 'small', onChange: setPage } : false}
          renderItem={(p) => (
            <List.Item style={{ display: 'block' }} data-testid={`account-payment-${p.paymentId}`}>
              <Flex justify="space-between" wrap gap={4}>
                <span>{p.payDate} · {p.channel === 'COUNTER' ? t('acct.counter') : p.channel} · {mt(p.method)}</span>
                <span><Money value={p.amount} /> <Tag color={p.status === 'posted' ? 'green' : 'default'}>{st(p.status)}</Tag></span>
              </Flex>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {formatDateTime(p.receivedAt)}
                {p.receiptNo && <> · {t('acct.receipt')} {canPayments(user) ? <a href={receiptUrl(p.receiptNo)} target="_blank" rel="noreferrer">{p.receiptNo}</a> : <Mono value={p.receiptNo} copyable={false} />}</>}
                {p.collector && ` · ${t('acct.collector')} ${p.collector}`}
                {p.reversalReason && ` · ${p.reversalReason}`}
              </Typography.Text>
            </List.Item>
          )}
        />
      )}
    </div>
  );
}
