/**
 * One bill for the customer (/portal/bills/:id), phone first: totals and due date, every line
 * (what was charged and why), the meter readings (previous / current / multiplier / kWh), the
 * usage chart of the account (12 months against last year) and 下载PDF.
 */
import { useEffect, useState } from 'react';
import { useParams } from 'react-router-dom';
import { Alert, Button, Card, Descriptions, Empty, Flex, List, Skeleton, Typography } from 'antd';
import { FilePdfOutlined } from '@ant-design/icons';
import { PageContainer } from '../../components/PageContainer';
import { errorText } from '../../components/errors';
import { formatMoney } from '../../app/format';
import { useI18n } from '../../i18n';
import { portalApi, type PortalBillDetail } from './api';
import { usePT, type PKey } from './i18n';
import { kwh, UsageChart } from './UsageChart';

/** Unit price without trailing zeros beyond two decimals (string only, display). */
const price = (s: string) => (/^-?\d+\.\d{3,}$/.test(s) ? s.replace(/0+$/, '').replace(/\.(\d)$/, '.$10').replace(/\.$/, '.00') : s);

const mono = { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace' };

export default function BillPage() {
  const { id } = useParams();
  const { t, lang } = usePT();
  const shell = useI18n();
  const [bill, setBill] = useState<PortalBillDetail | null>(null);
  const [err, setErr] = useState<string | null>(null);

  useEffect(() => {
    setBill(null);
    setErr(null);
    portalApi.bill(Number(id)).then(setBill).catch((e) => setErr(errorText(shell.t, e)));
  }, [id, shell.t]);

  const crumbs = [{ title: t('portal.title'), path: '/portal' }, { title: bill ? t('bill.title', { period: bill.period }) : '…' }];
  const regLabel = (r: string) => (['TOTAL', 'SHARP', 'PEAK', 'FLAT', 'VALLEY'].includes(r) ? t(`reg.${r}` as PKey) : r);
  return (
    <PageContainer
      crumbs={crumbs} title={bill ? t('bill.title', { period: bill.period }) : undefined}
      extra={bill && <Button icon={<FilePdfOutlined />} href={bill.pdfUrl} target="_blank" data-testid="portal-bill-pdf">{t('bill.pdf')}</Button>}
    >
      <div style={{ maxWidth: 760 }}>
      {err && <Alert type="error" showIcon title={err} />}
      {!bill && !err && <Skeleton active />}
      {bill && (
        <div data-testid="portal-bill-detail">
          <Card size="small" style={{ marginBottom: 12 }}>
            <Flex justify="space-between" align="baseline" wrap gap={8}>
              <Typography.Text type="secondary">{t('bill.total')}</Typography.Text>
              <span style={{ fontSize: 26, fontWeight: 600, fontVariantNumeric: 'tabular-nums' }} data-testid="portal-bill-total">{formatMoney(bill.amountTotal)}</span>
            </Flex>
            <Descriptions size="small" column={1} style={{ marginTop: 8 }}>
              <Descriptions.Item label={t('bill.account')}><span style={mono}>{bill.accountNo}</span></Descriptions.Item>
              {bill.accountName && <Descriptions.Item label={t('bill.name')}>{bill.accountName}</Descriptions.Item>}
              <Descriptions.Item label={t('bill.range')}>{bill.periodStart ?? '-'} ~ {bill.periodEnd ?? '-'}{bill.days ? ` (${bill.days} ${lang === 'en' ? 'd' : '天'})` : ''}</Descriptions.Item>
              <Descriptions.Item label={t('bills.kwh')}>{kwh(bill.energyKwh)} kWh</Descriptions.Item>
              <Descriptions.Item label={t('bill.dueDate')}>{bill.dueDate ?? '-'}</Descriptions.Item>
            </Descriptions>
          </Card>

          <Card size="small" title={t('bill.lines')} style={{ marginBottom: 12 }}>
            <List
              dataSource={bill.lines} locale={{ emptyText: <Empty /> }} data-testid="portal-bill-lines"
              renderItem={(l) => (
                <List.Item key={l.lineNo} style={{ padding: '6px 0' }} data-testid="portal-bill-line">
                  <div style={{ width: '100%' }}>
                    <Flex justify="space-between" gap={8}>
                      <span style={{ minWidth: 0, wordBreak: 'break-word' }}>{lang === 'en' ? l.name.en : l.name.zh}</span>
                      <span style={{ fontVariantNumeric: 'tabular-nums', whiteSpace: 'nowrap' }}>{formatMoney(l.amount)}</span>
                    </Flex>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>{kwh(l.quantity)} {l.unit} × {price(l.unitPrice)}</Typography.Text>
                  </div>
                </List.Item>
              )}
            />
            <Flex justify="space-between" style={{ borderTop: '1px solid #f0f0f0', paddingTop: 8 }}>
              <strong>{t('bill.total')}</strong>
              <strong style={{ fontVariantNumeric: 'tabular-nums' }}>{formatMoney(bill.amountTotal)}</strong>
            </Flex>
          </Card>

          <Card size="small" title={t('bill.readings')} style={{ marginBottom: 12 }}>
            <List
              dataSource={bill.readings} locale={{ emptyText: <Empty description={t('bill.noReadings')} /> }} data-testid="portal-bill-readings"
              renderItem={(r) => (
                <List.Item key={r.id} style={{ padding: '6px 0' }} data-testid="portal-bill-reading">
                  <div style={{ width: '100%' }}>
                    <Flex justify="space-between" gap={8} wrap>
                      <strong>{regLabel(r.register)}</strong>
                      <Typography.Text type="secondary" style={{ fontSize: 12, ...mono }}>{r.meterAssetNo}</Typography.Text>
                    </Flex>
                    <Flex wrap gap={12} style={{ fontSize: 13 }}>
                      <span>{t('bill.previous')} {r.previousValue ?? '-'}</span>
                      <span>{t('bill.current')} {r.value ?? '-'}</span>
                      <span>{t('bill.multiplier')} ×{r.multiplier ?? 1}</span>
                      <span>= <strong>{kwh(r.consumption)}</strong> kWh</span>
                    </Flex>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {t('bill.readAt')} {new Date(r.readAt).toLocaleDateString(lang === 'en' ? 'en-CA' : 'zh-CN', { timeZone: 'Asia/Shanghai' })}
                    </Typography.Text>
                  </div>
                </List.Item>
              )}
            />
          </Card>

          <Card size="small" style={{ marginBottom: 12 }}>
            <UsageChart accountId={bill.accountId} months={24} height={240} />
          </Card>
        </div>
      )}
      </div>
    </PageContainer>
  );
}
