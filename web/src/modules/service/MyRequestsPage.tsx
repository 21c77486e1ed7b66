/**
 * 我的业务办理 — the customer's page (portal login, made for a phone 375 px wide): apply for a
 * change on one of their accounts (or a low-voltage new connection) and follow each request:
 * stage, promised date, next step; a tap opens the detail with the timeline, messages and rating.
 */
import { useCallback, useEffect, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { Alert, Button, Card, Collapse, Empty, Flex, List, Tag, Typography } from 'antd';
import { PageContainer } from '../../components/PageContainer';
import { errorText } from '../../components/errors';
import { useI18n } from '../../i18n';
import { serviceApi, type QueueItem } from './api';
import { useL, useST, type SKey } from './i18n';
import NewRequestPage from './NewRequestPage';

export default function MyRequestsPage() {
  const st = useST();
  const l = useL();
  const { t } = useI18n();
  const nav = useNavigate();
  const [items, setItems] = useState<QueueItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [applyOpen, setApplyOpen] = useState<string[]>([]);

  const load = useCallback(async () => {
    try {
      setItems((await serviceApi.list({ status: 'all', page: 1, pageSize: 50 })).items);
    } catch (e) {
      setError(errorText(t, e));
    }
  }, [t]);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <PageContainer crumbs={[{ title: st('svc.my') }]} title={st('svc.my')}>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} />}
      <Collapse
        activeKey={applyOpen} onChange={(k) => setApplyOpen(k as string[])} style={{ marginBottom: 12 }}
        items={[{ key: 'apply', label: <span data-testid="my-apply-toggle">{st('svc.apply')}</span>, children: <NewRequestPage portal onDone={() => void load()} /> }]}
      />
      <List
        dataSource={items ?? []} loading={items === null} locale={{ emptyText: <Empty description={st('svc.myEmpty')} /> }} data-testid="my-list"
        renderItem={(r) => (
          <List.Item key={r.id} style={{ padding: '6px 0' }}>
            <Card size="small" style={{ width: '100%' }} onClick={() => nav(`/service/${r.id}`)} hoverable data-testid="my-card">
              <Flex justify="space-between" wrap gap={4}>
                <Typography.Text strong>{l(r.typeName)}</Typography.Text>
                <Tag color={r.status === 'completed' ? 'green' : r.status === 'open' ? 'blue' : 'default'}>{st(`svc.status.${r.status}` as SKey)}</Tag>
              </Flex>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>{r.requestNo}</Typography.Text>
              <div>{st('svc.stage')}: <span data-testid="my-stage">{r.stageName ? l(r.stageName) : st(`svc.status.${r.status}` as SKey)}</span></div>
              <div>{st('svc.promisedOn')}: <b>{r.promisedOn ?? '-'}</b></div>
              {r.status === 'completed' && r.rating === null && <Button size="small" type="link" style={{ padding: 0 }}>{st('svc.rating')} ›</Button>}
            </Card>
          </List.Item>
        )}
      />
    </PageContainer>
  );
}
