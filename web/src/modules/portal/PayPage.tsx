/**
 * 在线缴费 (/portal/pay/:accountId): the amount due or a chosen amount (0.01 .. the maximum, two
 * decimals), a confirmation that says what will happen, then the receipt. Each attempt carries
 * one idempotency key (new when the amount changes or after a payment), so a double click or a
 * retry after a lost answer posts once; the server checks everything again.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { Alert, App, Button, Card, Descriptions, Form, Input, Result, Skeleton, Space, Typography } from 'antd';
import { FilePdfOutlined } from '@ant-design/icons';
import { PageContainer } from '../../components/PageContainer';
import { errorText } from '../../components/errors';
import { ApiError } from '../../api/client';
import { formatMoney } from '../../app/format';
import { useI18n } from '../../i18n';
import { amountProblem, newAttemptKey, portalApi, type MyAccounts, type PayResult } from './api';
import { usePT, type PKey } from './i18n';
import { DueCard, PaymentsList } from './PortalPage';

const mono = { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace' };

export default function PayPage() {
  const { accountId } = useParams();
  const id = Number(accountId);
  const { t } = usePT();
  const shell = useI18n();
  const { modal } = App.useApp();
  const [data, setData] = useState<MyAccounts | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [amount, setAmount] = useState('');
  const [fieldErr, setFieldErr] = useState<string | null>(null);
  const [result, setResult] = useState<PayResult | null>(null);
  const [paying, setPaying] = useState(false);
  const keyRef = useRef(newAttemptKey());

  const load = useCallback(() => {
    portalApi.accounts().then((d) => {
      setData(d);
      const a = d.items.find((x) => x.id === id);
      if (a && a.amountDue !== '0.00') setAmount((cur) => cur || a.amountDue);
    }).catch((e) => setErr(errorText(shell.t, e)));
  }, [id, shell.t]);
  useEffect(load, [load]);

  const account = data?.items.find((x) => x.id === id);
  const max = data?.maxPayment ?? '50000.00';

  const changeAmount = (v: string) => {
    setAmount(v);
    setFieldErr(null);
    keyRef.current = newAttemptKey(); // another amount is another attempt
  };

  const doPay = async () => {
    if (!account) return;
    setPaying(true);
    try {
      const r = await portalApi.pay({ accountId: account.id, amount: amount.trim(), idempotencyKey: keyRef.current });
      setResult(r);
      load();
    } catch (e) {
      if (e instanceof ApiError && e.field === 'amount') setFieldErr(e.message.replace(/^amount: /, ''));
      else setErr(errorText(shell.t, e));
    } finally {
      setPaying(false);
    }
  };

  const submit = () => {
    if (!account) return;
    const p = amountProblem(amount, max);
    if (p) {
      setFieldErr(t(`pay.err.${p}` as PKey, { max }));
      return;
    }
    setErr(null);
    modal.confirm({
      title: t('pay.confirmTitle'),
      content: <span data-testid="portal-pay-confirm-text">{t('pay.confirm', { no: account.accountNo, amount: amount.trim() })}</span>,
      okText: <span data-testid="portal-pay-ok">{t('pay.ok')}</span>,
      cancelText: t('pay.cancel'),
      onOk: doPay,
    });
  };

  const again = () => {
    setResult(null);
    setAmount('');
    keyRef.current = newAttemptKey();
  };

  const crumbs = [{ title: t('portal.title'), path: '/portal' }, { title: t('pay.title') }];
  return (
    <PageContainer crumbs={crumbs} title={t('pay.title')}>
      <div style={{ maxWidth: 760 }}>
      {err && <Alert type="error" showIcon title={err} style={{ marginBottom: 12 }} data-testid="portal-pay-error" />}
      {!data && !err && <Skeleton active />}
      {data && !account && <Alert type="warning" showIcon title={t('portal.noAccounts')} />}
      {account && result && (
        <Card size="small" style={{ marginBottom: 12 }} data-testid="portal-receipt">
          <Result
            status="success" style={{ padding: '12px 0' }}
            title={<span data-testid="portal-pay-success">{t('pay.success')}</span>}
            subTitle={result.replayed ? t('pay.replayed') : undefined}
          />
          <Descriptions size="small" column={1} bordered>
            <Descriptions.Item label={t('pay.receiptNo')}><span style={mono} data-testid="portal-receipt-no">{result.receiptNo}</span></Descriptions.Item>
            <Descriptions.Item label={t('pay.account')}><span style={mono}>{result.accountNo}</span></Descriptions.Item>
            <Descriptions.Item label={t('pay.paid')}><strong data-testid="portal-receipt-amount">{formatMoney(result.amount)}</strong></Descriptions.Item>
            <Descriptions.Item label={t('pay.feePaid')}>{formatMoney(result.lateFeePaid)}</Descriptions.Item>
            <Descriptions.Item label={t('pay.principalPaid')}>{formatMoney(result.principalPaid)}</Descriptions.Item>
            {result.credit !== '0.00' && <Descriptions.Item label={t('pay.creditAdded')}>{formatMoney(result.credit)}</Descriptions.Item>}
            <Descriptions.Item label={t('pay.balanceAfter')}><span data-testid="portal-receipt-balance">{formatMoney(result.balanceAfter)}</span></Descriptions.Item>
            <Descriptions.Item label={t('pay.time')}>{new Date(result.postedAt).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false })}</Descriptions.Item>
          </Descriptions>
          <Space wrap style={{ marginTop: 12 }}>
            {result.receiptUrl && <Button type="primary" icon={<FilePdfOutlined />} href={result.receiptUrl} target="_blank" data-testid="portal-receipt-pdf">{t('pay.receipt')}</Button>}
            <Link to="/portal"><Button data-testid="portal-back">{t('pay.back')}</Button></Link>
            <Button type="link" onClick={again}>{t('pay.again')}</Button>
          </Space>
        </Card>
      )}
      {account && !result && (
        <>
          <DueCard a={account} />
          <Card size="small" style={{ marginBottom: 12 }}>
            <Form layout="vertical" onFinish={submit}>
              <Form.Item label={t('pay.account')}><span style={mono}>{account.accountNo}</span> {account.name}</Form.Item>
              <Form.Item
                label={t('pay.amount')} validateStatus={fieldErr ? 'error' : undefined} help={fieldErr ?? t('pay.amountHint', { max })}
              >
                <Space.Compact style={{ width: '100%' }}>
                  <Input
                    inputMode="decimal" prefix="¥" size="large" value={amount} onChange={(e) => changeAmount(e.target.value)} autoComplete="off"
                    placeholder="0.00" data-testid="portal-pay-amount" id="amount"
                  />
                  {account.amountDue !== '0.00' && <Button size="large" onClick={() => changeAmount(account.amountDue)}>{t('pay.useDue')}</Button>}
                </Space.Compact>
              </Form.Item>
              <Form.Item label={t('pay.channel')}><Typography.Text>{t('pay.channelSim')}</Typography.Text></Form.Item>
              <Button type="primary" size="large" block htmlType="submit" loading={paying} data-testid="portal-pay-submit">{t('pay.submit')} {amount.trim() && !amountProblem(amount, max) ? formatMoney(amount.trim()) : ''}</Button>
            </Form>
          </Card>
        </>
      )}
      {account && (
        <Card size="small" title={t('portal.tabPayments')}>
          <PaymentsList accountId={account.id} reloadKey={result?.paymentId ?? 0} />
        </Card>
      )}
      </div>
    </PageContainer>
  );
}
