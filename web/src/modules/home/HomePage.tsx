import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { Alert, Card, Col, Input, List, Row, Space, Tag, Typography } from 'antd';
import { SearchOutlined } from '@ant-design/icons';
import { useAuth } from '../../app/auth';
import { useI18n } from '../../i18n';
import { can } from '../../app/permissions';
import { visibleLeaves } from '../../app/menu';
import { roleLabel } from '../../app/roles';
import { useDict } from '../../app/dict';
import { api } from '../../api/client';
import type { AccountRow, Page } from '../../api/types';
import { recentAccounts } from '../../app/recent';
import { useOrgName } from '../../app/useOrgName';
import { errorText } from '../../components/errors';
import { AccountStatusTag } from '../../components/StatusTag';
import { EChart, type ChartOption } from '../../components/EChart';
import { formatQuantity } from '../../app/format';

/** Accounts per customer class (counts from the list endpoint's totals) for analysts and managers. */
function AccountsByClassChart() {
  const { t } = useI18n();
  const { dict, label } = useDict();
  const [counts, setCounts] = useState<Array<{ code: string; total: number }> | null>(null);
  const classes = dict.customerClasses;

  useEffect(() => {
    if (!classes?.length) return;
    let live = true;
    Promise.all(
      classes.map((c) =>
        api
          .get<Page<unknown>>('/accounts', { customerClass: c.code, page: 1, pageSize: 10 })
          .then((p) => ({ code: c.code, total: p.total ?? p.items.length }))
          .catch(() => ({ code: c.code, total: 0 })),
      ),
    ).then((r) => live && setCounts(r));
    return () => {
      live = false;
    };
  }, [classes]);

  const option = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: 'item', formatter: (p: { name: string; value: number; percent: number }) => `${p.name}: ${formatQuantity(p.value)} (${p.percent}%)` },
      legend: { bottom: 0, type: 'scroll' },
      series: [
        {
          type: 'pie',
          radius: ['40%', '68%'],
          center: ['50%', '45%'],
          data: (counts ?? []).filter((c) => c.total > 0).map((c) => ({ name: label('customerClasses', c.code), value: c.total })),
          label: { formatter: '{b}\n{d}%' },
        },
      ],
    }),
    [counts, label],
  );

  return (
    <Card title={t('home.accountsByClass')} size="small" loading={!counts}>
      <EChart option={option} height={300} testId="chart-accounts-by-class" />
    </Card>
  );
}

/** Customer portal users: their own accounts (the server limits the list to them). */
function MyAccounts() {
  const { t } = useI18n();
  const { label } = useDict();
  const [items, setItems] = useState<AccountRow[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api
      .get<Page<AccountRow>>('/accounts', { page: 1, pageSize: 20 })
      .then((p) => setItems(p.items ?? []))
      .catch((e) => {
        setError(e);
        setItems([]);
      });
  }, []);
  return (
    <Card title={t('home.myAccounts')} size="small" loading={items === null} style={{ marginBottom: 16 }} data-testid="home-my-accounts">
      {error != null && <Alert type="error" showIcon title={errorText(t, error)} />}
      <List
        dataSource={items ?? []}
        locale={{ emptyText: t('common.noData') }}
        renderItem={(a) => (
          <List.Item extra={<AccountStatusTag status={a.status} />}>
            <List.Item.Meta
              title={
                <Link to={`/archive/accounts/${a.id}`} className="vl-mono">
                  {a.accountNo}
                </Link>
              }
              description={`${a.name} · ${a.address ?? ''} · ${label('customerClasses', a.customerClass)}`}
            />
          </List.Item>
        )}
      />
    </Card>
  );
}

function RecentAccounts({ username }: { username: string }) {
  const { t } = useI18n();
  const items = recentAccounts(username);
  if (!items.length) return null;
  return (
    <Card title={t('home.recentAccounts')} size="small" style={{ marginBottom: 16 }} data-testid="home-recent">
      <Space wrap>
        {items.map((a) => (
          <Link key={a.id} to={`/archive/accounts/${a.id}`}>
            <Tag style={{ padding: '4px 8px', cursor: 'pointer' }}>
              <span className="vl-mono">{a.accountNo}</span> {a.name}
            </Tag>
          </Link>
        ))}
      </Space>
    </Card>
  );
}

export function HomePage() {
  const { user } = useAuth();
  const { t, lang } = useI18n();
  const navigate = useNavigate();
  const orgName = useOrgName();
  const shortcuts = visibleLeaves(user).filter((l) => l.path !== '/');
  const canSearch = can(user, 'account.read');
  const showChart = canSearch && can(user, 'stats.read');

  return (
    <div>
      <Card style={{ marginBottom: 16 }}>
        <Space orientation="vertical" size={4} style={{ width: '100%' }}>
          <Typography.Title level={4} style={{ margin: 0 }} data-testid="home-welcome">
            {t('home.welcome', { name: user?.displayName ?? user?.username ?? '' })}
          </Typography.Title>
          <Space wrap size={[4, 4]}>
            {orgName && <Tag color="blue">{orgName}</Tag>}
            {(user?.roles ?? []).map((r) => (
              <Tag key={r}>{roleLabel(r, lang)}</Tag>
            ))}
          </Space>
        </Space>
        {canSearch && (
          <Input.Search
            style={{ marginTop: 16, maxWidth: 560 }}
            size="large"
            enterButton={<><SearchOutlined /> {t('common.search')}</>}
            placeholder={t('accounts.searchPlaceholder')}
            allowClear
            onSearch={(v) => v.trim() && navigate(`/archive/accounts?q=${encodeURIComponent(v.trim())}`)}
            data-testid="home-search"
          />
        )}
      </Card>
      {canSearch && user && <RecentAccounts username={user.username} />}
      {!canSearch && can(user, 'portal.self') && <MyAccounts />}
      {shortcuts.length > 0 && <Typography.Title level={5}>{t('home.shortcuts')}</Typography.Title>}
      <Row gutter={[16, 16]} style={{ marginBottom: 16 }}>
        {shortcuts.map((s) => (
          <Col key={s.path} xs={12} sm={8} md={6} xl={4}>
            <Card hoverable onClick={() => navigate(s.path)} styles={{ body: { textAlign: 'center', padding: 16 } }} data-testid={`shortcut-${s.path}`}>
              <div style={{ fontSize: 26, color: '#1677ff' }}>{s.icon}</div>
              <div style={{ marginTop: 6 }}>{t(s.labelKey)}</div>
            </Card>
          </Col>
        ))}
      </Row>
      {showChart && (
        <Row gutter={[16, 16]}>
          <Col xs={24} lg={12}>
            <AccountsByClassChart />
          </Col>
        </Row>
      )}
    </div>
  );
}
