/**
 * 业扩工单 tab of the account 360 view: the account's open service requests (type, stage,
 * promised date, overdue flag, link to the request), optionally with finished ones
 * (GET /service/requests?accountId=). Cards, so a phone shows it without horizontal scroll.
 */
import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { Alert, Checkbox, Empty, List, Space, Tag, Typography } from 'antd';
import { errorText } from '../../components/errors';
import { useI18n } from '../../i18n';
import { adminApi, type AccountRequestItem } from './adminApi';
import { useAT } from './adminI18n';
import { DaysLeft } from './QueuePage';
import { useL, useST, type SKey } from './i18n';

export function AccountRequestsLabel() {
  const at = useAT();
  return <>{at('acr.title')}</>;
}

export default function AccountRequests({ accountId }: { accountId: number }) {
  const at = useAT();
  const st = useST();
  const l = useL();
  const { t } = useI18n();
  const [all, setAll] = useState(false);
  const [items, setItems] = useState<AccountRequestItem[] | null>(null);
  const [err, setErr] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setItems(null);
    adminApi.accountRequests(accountId, all ? 'all' : 'open')
      .then((r) => live && setItems(r.items))
      .catch((e) => live && setErr(errorText(t, e)));
    return () => {
      live = false;
    };
  }, [accountId, all, t]);

  if (err) return <Alert type="error" message={err} />;
  return (
    <div data-testid="account-requests">
      <Checkbox checked={all} onChange={(e) => setAll(e.target.checked)} style={{ marginBottom: 8 }}>{at('acr.showAll')}</Checkbox>
      <List
        loading={items === null} dataSource={items ?? []} size="small"
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={at('acr.none')} /> }}
        renderItem={(r) => (
          <List.Item key={r.id} data-testid="account-request" data-id={r.id}>
            <div style={{ minWidth: 0, width: '100%' }}>
              <Space wrap size={4}>
                <Link to={`/service/${r.id}`} data-testid="account-request-link"><Typography.Text strong>{r.requestNo}</Typography.Text></Link>
                <span>{l(r.typeName)}</span>
                {r.status === 'open' && (r.overdue
                  ? <Tag color="red" data-testid="account-request-overdue">{at('acr.overdue')}</Tag>
                  : <Tag color="green">{at('acr.onTrack')}</Tag>)}
                <DaysLeft item={r} />
              </Space>
              <div>
                <Typography.Text type="secondary" style={{ overflowWrap: 'anywhere' }}>
                  {at('acr.stage')}: {r.stageName ? l(r.stageName) : st(`svc.status.${r.status}` as SKey)} · {at('acr.promised')}: {r.promisedOn ?? '-'}
                  {r.stageDueOn ? ` · ${st('svc.dueOn')}: ${r.stageDueOn}` : ''}
                </Typography.Text>
              </div>
            </div>
          </List.Item>
        )}
      />
    </div>
  );
}
