/**
 * 招测 (on-demand read) button for the account view: reads one meter now through the head-end,
 * stores the reading (VEE, source headend) and shows the values and the validation outcome in a
 * modal. Rendered only for users with `collection.run`.
 */
import { useState } from 'react';
import { Alert, Button, Descriptions, Modal, Space, Spin, Table, Tag, Typography } from 'antd';
import { WifiOutlined } from '@ant-design/icons';
import { useAuth } from '../../app/auth';
import { useI18n } from '../../i18n';
import { formatDateTime } from '../../app/format';
import { errorText } from '../../components/errors';
import { hasPerm } from './api';
import { collectionApi, PERM_COLLECTION_RUN, type OnDemandReading, type OnDemandResult } from './collectionApi';
import { useCT, type CKey } from './collection.i18n';

const VEE_COLORS: Record<string, string> = { accepted: 'green', pending_review: 'orange', rejected: 'red' };

export default function OnDemandReadButton({ meterId, assetNo }: { meterId: number; assetNo?: string }) {
  const { user } = useAuth();
  const { t } = useI18n();
  const { ct, pick } = useCT();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<OnDemandResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (!hasPerm(user?.permissions, PERM_COLLECTION_RUN)) return null;

  const read = async () => {
    setOpen(true);
    setBusy(true);
    setResult(null);
    setError(null);
    try {
      setResult(await collectionApi.onDemandRead(meterId));
    } catch (e) {
      setError(errorText(t, e));
    } finally {
      setBusy(false);
    }
  };
  const reg = (code: string) => ct(`reg.${code}` as CKey) || code;

  return (
    <>
      <Button size="small" icon={<WifiOutlined />} onClick={read} loading={busy} data-testid="on-demand-read">
        {ct('odr.button')}
      </Button>
      <Modal
        open={open}
        title={ct('odr.title', { asset: assetNo ?? String(meterId) })}
        onCancel={() => setOpen(false)}
        footer={<Button onClick={() => setOpen(false)}>{ct('odr.close')}</Button>}
        width={640}
        destroyOnHidden
      >
        <div data-testid="on-demand-result">
          {busy && (
            <div style={{ textAlign: 'center', padding: 24 }}>
              <Spin />
              <div style={{ marginTop: 8 }}>{ct('odr.reading')}</div>
            </div>
          )}
          {error && <Alert type="error" showIcon title={error} data-testid="on-demand-error" />}
          {result && (
            <Space orientation="vertical" style={{ width: '100%' }}>
              <Alert
                type={result.ok ? 'success' : 'warning'}
                showIcon
                data-testid="on-demand-status"
                title={result.ok ? ct('odr.ok') : `${ct('odr.failed')}: ${pick(result.reasonText) || result.reason}`}
                description={`${ct('odr.readAt')}: ${formatDateTime(result.readAt)}`}
              />
              <Table<OnDemandReading>
                size="small"
                rowKey="register"
                pagination={false}
                dataSource={result.readings.filter((r) => r.readingId !== undefined || r.status === 'rejected')}
                data-testid="on-demand-readings"
                columns={[
                  { title: ct('odr.register'), dataIndex: 'register', render: (v: string) => reg(v) },
                  { title: ct('odr.value'), dataIndex: 'value', align: 'right', render: (v: string | null, r) => <span className="vl-mono" data-testid={`odr-value-${r.register}`}>{result.registers[r.register] ?? v ?? '-'}</span> },
                  { title: ct('odr.consumption'), dataIndex: 'consumption', align: 'right', responsive: ['sm'], render: (v: string | null) => <span className="vl-mono">{v ?? '-'}</span> },
                  {
                    title: ct('odr.vee'), dataIndex: 'status',
                    render: (s: string, r) => (
                      <div>
                        <Tag color={VEE_COLORS[s] ?? 'default'} data-testid="odr-vee">{ct(`odr.vee.${s}` as CKey)}</Tag>
                        {r.ruleResults.filter((x) => x.severity !== 'info').map((x) => (
                          <Typography.Text key={x.rule} type={x.severity === 'error' ? 'danger' : 'warning'} style={{ display: 'block', fontSize: 12 }}>{pick(x)}</Typography.Text>
                        ))}
                        {r.message && <Typography.Text type="danger" style={{ display: 'block', fontSize: 12 }}>{pick(r.message)}</Typography.Text>}
                      </div>
                    ),
                  },
                ]}
              />
              {result.dailyFrozen && (
                <Descriptions size="small" column={{ xs: 1, sm: 3 }} title={ct('odr.frozen')} bordered>
                  {Object.entries(result.dailyFrozen).map(([k, v]) => (
                    <Descriptions.Item key={k} label={reg(k)}><span className="vl-mono">{v}</span></Descriptions.Item>
                  ))}
                </Descriptions>
              )}
            </Space>
          )}
        </div>
      </Modal>
    </>
  );
}

/** One 招测 button per in-service meter of an account (for the account view's meters card). */
export function AccountOnDemandRead({ meteringPoints }: { meteringPoints: Array<{ meters?: Array<{ id?: number; meterId?: unknown; assetNo: string; removedOn?: string | null }> }> }) {
  const { user } = useAuth();
  const meters = meteringPoints.flatMap((mp) => mp.meters ?? []).map((m) => ({ ...m, id: typeof m.meterId === 'number' ? m.meterId : m.id }))
    .filter((m) => m.id !== undefined && !m.removedOn);
  if (!meters.length || !hasPerm(user?.permissions, PERM_COLLECTION_RUN)) return null;
  return (
    <Space size={4} wrap>
      {meters.map((m) => (
        <span key={m.id}>
          {meters.length > 1 && <span className="vl-mono" style={{ fontSize: 12, marginRight: 4 }}>{m.assetNo}</span>}
          <OnDemandReadButton meterId={m.id!} assetNo={m.assetNo} />
        </span>
      ))}
    </Space>
  );
}
