import { useEffect, useState } from 'react';
import { Alert, Button, Descriptions, Drawer, Skeleton, Space, Table, Tag, Typography } from 'antd';
import { FilePdfOutlined } from '@ant-design/icons';
import { errorText } from '../../components/errors';
import { useI18n } from '../../i18n';
import { billingApi, money, type BillDetail, type ReviewFlag } from './api';
import { useBT } from './i18n';
import { AdjustmentButton } from './AdjustmentDrawer';

export function FlagTags({ flags, exceptionCode }: { flags: ReviewFlag[]; exceptionCode?: string | null }) {
  const { lang } = useBT();
  return (
    <span>
      {flags.map((f) => (
        <Tag key={f.code} color={f.exception ? 'red' : 'orange'} title={f.code} style={{ marginBottom: 2 }}>
          {lang === 'en' ? f.en : f.zh}
        </Tag>
      ))}
      {exceptionCode && !flags.some((f) => f.code === exceptionCode) ? <Tag color="red">{exceptionCode}</Tag> : null}
    </span>
  );
}

const right = { textAlign: 'right' as const };

/** One bill: lines, determinants, readings used, totals, due date. */
export function BillDrawer({ billId, onClose }: { billId: number | null; onClose: () => void }) {
  const { t, st, lang } = useBT();
  const shell = useI18n();
  const [bill, setBill] = useState<BillDetail | null>(null);
  const [err, setErr] = useState<string | null>(null);

  useEffect(() => {
    setBill(null);
    setErr(null);
    if (billId == null) return;
    billingApi.bill(billId).then(setBill).catch((e) => setErr(errorText(shell.t, e)));
  }, [billId, shell.t]);

  return (
    <Drawer open={billId != null} onClose={onClose} width="min(760px, 100vw)" title={bill ? t('bill.title', { no: bill.accountNo, period: bill.period }) : ' '} destroyOnHidden>
      {err && <Alert type="error" message={err} />}
      {!bill && !err && <Skeleton active />}
      {bill && (
        <div data-testid="bill-detail">
          <Space wrap style={{ marginBottom: 8 }}>
            <Button icon={<FilePdfOutlined />} href={billingApi.billPdfUrl(bill.id)} download data-testid="bill-pdf">{t('pdf.download')}</Button>
            <AdjustmentButton bill={bill} />
          </Space>
          <Descriptions size="small" column={{ xs: 1, sm: 2 }} bordered style={{ marginBottom: 16 }}>
            <Descriptions.Item label={t('bills.name')}>{bill.accountName ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('runs.status')}>{st(bill.status)}{bill.trial ? <Tag color="purple" style={{ marginLeft: 8 }}>{t('runs.trial')}</Tag> : null}</Descriptions.Item>
            <Descriptions.Item label={t('bill.periodRange')}>{bill.periodStart ?? '—'} ~ {bill.periodEnd ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('bill.days')}>{bill.days ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('bills.kwh')}>{bill.energyKwh ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('bill.total')}><Typography.Text strong data-testid="bill-total">{money(bill.amountTotal)}</Typography.Text></Descriptions.Item>
            <Descriptions.Item label={t('bill.dueDate')}>{bill.dueDate ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('bills.flags')}><FlagTags flags={bill.reviewFlags} exceptionCode={bill.exceptionCode} /></Descriptions.Item>
            {bill.actionReason ? <Descriptions.Item label={t('bills.reason')}>{bill.actionReason}</Descriptions.Item> : null}
          </Descriptions>
          <Typography.Title level={5}>{t('bill.lines')}</Typography.Title>
          <Table
            size="small"
            rowKey="lineNo"
            pagination={false}
            scroll={{ x: 'max-content' }}
            dataSource={bill.lines}
            data-testid="bill-lines"
            columns={[
              { title: t('bill.code'), dataIndex: 'code' },
              { title: t('bill.desc'), render: (_, l) => (lang === 'en' ? l.name.en : l.name.zh) },
              { title: t('bill.qty'), dataIndex: 'quantity', align: 'right' },
              { title: t('bill.unit'), dataIndex: 'unit' },
              { title: t('bill.price'), dataIndex: 'unitPrice', align: 'right' },
              { title: t('bill.lineAmount'), dataIndex: 'amount', align: 'right', render: (v: string) => money(v) },
            ]}
            summary={() => (
              <Table.Summary.Row>
                <Table.Summary.Cell index={0} colSpan={5}>{t('bill.total')}</Table.Summary.Cell>
                <Table.Summary.Cell index={1}><div style={right}><strong>{money(bill.amountTotal)}</strong></div></Table.Summary.Cell>
              </Table.Summary.Row>
            )}
          />
          <Typography.Title level={5} style={{ marginTop: 16 }}>{t('bill.readings')}</Typography.Title>
          <Table
            size="small"
            rowKey="id"
            pagination={false}
            scroll={{ x: 'max-content' }}
            dataSource={bill.readings}
            columns={[
              { title: t('bill.meter'), dataIndex: 'meterAssetNo' },
              { title: t('bill.register'), dataIndex: 'register' },
              { title: t('bill.readAt'), dataIndex: 'readAt', render: (v: string) => new Date(v).toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN', { timeZone: 'Asia/Shanghai' }) },
              { title: t('bill.value'), dataIndex: 'value', align: 'right' },
              { title: t('bill.consumption'), dataIndex: 'consumption', align: 'right' },
            ]}
          />
          <Typography.Title level={5} style={{ marginTop: 16 }}>{t('bill.determinants')}</Typography.Title>
          <pre style={{ fontSize: 12, background: 'rgba(0,0,0,0.03)', padding: 8, overflowX: 'auto', maxWidth: '100%', whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
            {JSON.stringify(bill.determinants, null, 2)}
          </pre>
        </div>
      )}
    </Drawer>
  );
}
