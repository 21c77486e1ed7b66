import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { Button, Card, Col, Descriptions, Empty, Grid, Result, Row, Skeleton, Space, Table, Tabs, Tag, Typography } from 'antd';
import { EditOutlined, ReloadOutlined } from '@ant-design/icons';
import { api, ApiError } from '../../api/client';
import type { Account360, AuditEvent, HistoryRow, Meter, MeteringPoint } from '../../api/types';
import { useI18n } from '../../i18n';
import { useDict } from '../../app/dict';
import { useAuth } from '../../app/auth';
import { can } from '../../app/permissions';
import { formatDate, formatDateTime, formatQuantity } from '../../app/format';
import { PageContainer } from '../../components/PageContainer';
import { Mono } from '../../components/Mono';
import { AccountStatusTag } from '../../components/StatusTag';
import { errorText } from '../../components/errors';
import { useFieldFormat } from '../../components/fieldValues';
import { AuditDiffDrawer } from '../../components/AuditDiff';
import { AccountEditDrawer } from './AccountEditDrawer';
import { rememberAccount } from '../../app/recent';
import { useOrgUnitLabel } from '../../app/useOrgName';

const AccountReadings = lazy(() => import('../metering/AccountReadings'));
const AccountBills = lazy(() => import('../billing/AccountBills'));
const AccountRequests = lazy(() => import('../service/AccountRequests'));
const AccountPayments = lazy(() => import('../payments/AccountPayments'));
const AccountOnDemandRead = lazy(() => import('../metering/OnDemandReadButton').then((m) => ({ default: m.AccountOnDemandRead })));

function ratio(primary: unknown, secondary: unknown, given?: unknown): string {
  if (typeof given === 'string' && given) return given;
  if (primary === null || primary === undefined || primary === '') return '-';
  return `${primary}/${secondary ?? 1}`;
}

/** 综合倍率: shown as the server computes it; derived from integer CT/PT ratios only as a fallback. */
function multiplierOf(m: Meter): string {
  if (m.multiplier !== undefined && m.multiplier !== null && m.multiplier !== '') return formatQuantity(m.multiplier as string | number);
  const n = [m.ctPrimary, m.ctSecondary, m.ptPrimary, m.ptSecondary].map((x) => (x === null || x === undefined || x === '' ? NaN : Number(x)));
  if (n.some((x) => !Number.isInteger(x) || x <= 0)) return '-';
  const num = n[0] * n[2];
  const den = n[1] * n[3];
  return num % den === 0 ? formatQuantity(num / den) : `${num}/${den}`;
}

function registersText(r: Meter['registers'], label: (code: string) => string): string {
  if (!r) return '-';
  const list = Array.isArray(r) ? r : String(r).split(/[,\s]+/).filter(Boolean);
  return list.map(label).join(' / ');
}

const HISTORY_META = new Set(['id', 'accountId', 'effectiveFrom', 'effectiveTo', 'validFrom', 'validTo', 'reason', 'changedBy', 'changedByName', 'changedAt', 'actorName', 'createdAt', 'recordedAt', 'version', 'field', 'oldValue', 'newValue', 'before', 'after', 'attributes']);

function attrsOf(r: HistoryRow | undefined): Record<string, unknown> | null {
  const a = r?.attributes;
  return a && typeof a === 'object' && !Array.isArray(a) ? (a as Record<string, unknown>) : null;
}

/**
 * Effective-dated versions. With `attributes` snapshots (the server's shape) each version shows
 * what changed against the version before it; the first shows the initial values.
 */
function HistoryTable({ rows, refs, compact }: { rows: HistoryRow[]; refs: Record<string, Record<string, string>>; compact?: boolean }) {
  const { t } = useI18n();
  // ids of related records (org unit, route, transformer area) shown by name where we know it
  const { fieldLabel, valueNode } = useFieldFormat('account', refs);
  if (!rows.length) return <Empty description={t('common.noData')} />;
  const str = (v: unknown) => (v === null || v === undefined || v === '' ? undefined : String(v));
  const dateOf = (r: HistoryRow) => str(r.effectiveFrom ?? r.validFrom) ?? '';
  const asc = [...rows].sort((x, y) => dateOf(x).localeCompare(dateOf(y)));
  const prevOf = new Map<HistoryRow, HistoryRow | undefined>(asc.map((r, i) => [r, asc[i - 1]]));
  const desc = [...asc].reverse();
  const perField = rows.some((r) => typeof r.field === 'string');

  const changes = (r: HistoryRow) => {
    if (perField) {
      const f = String(r.field);
      return (
        <span>
          <b>{fieldLabel(f)}</b>: {valueNode(f, r.oldValue ?? r.before)} → {valueNode(f, r.newValue ?? r.after)}
        </span>
      );
    }
    const attrs = attrsOf(r);
    if (attrs) {
      const prev = attrsOf(prevOf.get(r));
      const keys = Object.keys(attrs).filter((k) => !prev || JSON.stringify(prev[k]) !== JSON.stringify(attrs[k]));
      if (!prev) {
        return (
          <Space wrap size={[4, 4]}>
            <Tag color="blue">{t('history.initial')}</Tag>
            {keys.filter((k) => attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== '').map((k) => (
              <Tag key={k} style={{ marginInlineEnd: 0 }}>
                {fieldLabel(k)}: {valueNode(k, attrs[k])}
              </Tag>
            ))}
          </Space>
        );
      }
      if (!keys.length) return <Typography.Text type="secondary">{t('history.noChange')}</Typography.Text>;
      return (
        <Space orientation="vertical" size={2}>
          {keys.map((k) => (
            <span key={k}>
              <b>{fieldLabel(k)}</b>: {valueNode(k, prev[k])} → <Typography.Text mark>{valueNode(k, attrs[k])}</Typography.Text>
            </span>
          ))}
        </Space>
      );
    }
    return (
      <Space wrap size={[4, 4]}>
        {Object.entries(r)
          .filter(([k, v]) => !HISTORY_META.has(k) && v !== null && v !== undefined && typeof v !== 'object')
          .map(([k, v]) => (
            <Tag key={k} style={{ marginInlineEnd: 0 }}>
              {fieldLabel(k)}: {valueNode(k, v)}
            </Tag>
          ))}
      </Space>
    );
  };

  if (compact) {
    return (
      <div data-testid="account-history">
        {desc.map((r) => (
          <div key={String(r.id ?? JSON.stringify(r))} style={{ borderBottom: '1px solid #f0f0f0', padding: '8px 0' }}>
            <Space wrap size={4} style={{ marginBottom: 4 }}>
              <b>{formatDate(str(r.effectiveFrom ?? r.validFrom))}</b>
              <span>→</span>
              {str(r.effectiveTo ?? r.validTo) ? formatDate(str(r.effectiveTo ?? r.validTo)) : <Tag color="green">{t('history.current')}</Tag>}
            </Space>
            <div>{changes(r)}</div>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('history.reason')}: {str(r.reason) ?? '-'} · {formatDate(str(r.changedAt ?? r.createdAt ?? r.recordedAt))}
            </Typography.Text>
          </div>
        ))}
      </div>
    );
  }

  return (
    <Table<HistoryRow>
      size="small"
      rowKey={(r) => String(r.id ?? JSON.stringify(r))}
      dataSource={desc}
      pagination={rows.length > 10 ? { pageSize: 10, size: 'small' } : false}
      scroll={{ x: 760 }}
      data-testid="account-history"
      columns={[
        { title: t('history.effectiveFrom'), width: 110, render: (_, r) => formatDate(str(r.effectiveFrom ?? r.validFrom)) },
        { title: t('history.effectiveTo'), width: 110, render: (_, r) => (str(r.effectiveTo ?? r.validTo) ? formatDate(str(r.effectiveTo ?? r.validTo)) : <Tag color="green">{t('history.current')}</Tag>) },
        { title: perField ? t('history.change') : t('history.values'), render: (_, r) => changes(r) },
        { title: t('history.reason'), width: 180, ellipsis: true, render: (_, r) => str(r.reason) ?? '-' },
        { title: t('history.changedAt'), width: 110, render: (_, r) => formatDate(str(r.changedAt ?? r.createdAt ?? r.recordedAt)) },
        { title: t('history.by'), width: 100, render: (_, r) => str(r.changedByName ?? r.actorName ?? r.changedBy) ?? '-' },
      ]}
    />
  );
}

function AuditList({ events }: { events: AuditEvent[] }) {
  const { t } = useI18n();
  const [open, setOpen] = useState<AuditEvent | null>(null);
  if (!events.length) return <Empty description={t('common.noData')} />;
  return (
    <>
      <Table<AuditEvent>
        size="small"
        rowKey={(r) => String(r.id)}
        dataSource={events}
        pagination={events.length > 10 ? { pageSize: 10, size: 'small' } : false}
        scroll={{ x: 600 }}
        data-testid="account-audit"
        columns={[
          { title: t('audit.occurredAt'), dataIndex: 'occurredAt', width: 170, render: (v: string) => formatDateTime(v) },
          { title: t('audit.actor'), width: 120, render: (_, r) => r.actorName ?? r.actor ?? '-' },
          { title: t('audit.action'), dataIndex: 'action', render: (v: string) => <Tag>{v}</Tag> },
          { title: t('audit.entity'), width: 160, render: (_, r) => `${r.entityType} #${r.entityId ?? ''}` },
          { title: '', width: 80, render: (_, r) => <a onClick={() => setOpen(r)}>{t('common.detail')}</a> },
        ]}
      />
      <AuditDiffDrawer event={open} onClose={() => setOpen(null)} />
    </>
  );
}

function MeteringPointCard({ mp, compact }: { mp: MeteringPoint; compact?: boolean }) {
  const { t } = useI18n();
  const { label } = useDict();
  const meters = mp.meters ?? [];
  if (compact) {
    return (
      <div style={{ marginBottom: 12 }} data-testid="metering-point">
        <Space wrap style={{ marginBottom: 8 }}>
          <Typography.Text strong>{t('meteringPoint.title')}</Typography.Text>
          {mp.code && <Mono value={mp.code} />}
          {mp.name && <span>{mp.name}</span>}
        </Space>
        {meters.length === 0 && <Typography.Text type="secondary">{t('meter.none')}</Typography.Text>}
        {meters.map((m) => (
          <Descriptions key={String(m.installationId ?? m.id ?? m.assetNo)} size="small" column={1} bordered style={{ marginBottom: 8 }} styles={{ label: { width: 96 } }}>
            <Descriptions.Item label={t('meter.assetNo')}>
              <Mono value={m.assetNo} testId="meter-asset-no" />
            </Descriptions.Item>
            <Descriptions.Item label={t('meter.commAddress')}>
              <Mono value={m.commAddress} />
            </Descriptions.Item>
            <Descriptions.Item label={t('meter.type')}>{label('meterTypes', m.meterType)}</Descriptions.Item>
            <Descriptions.Item label={t('meter.registers')}>{registersText(m.registers, (c) => label('registers', c))}</Descriptions.Item>
            <Descriptions.Item label="CT / PT">
              {ratio(m.ctPrimary, m.ctSecondary, m.ctRatio)} · {ratio(m.ptPrimary, m.ptSecondary, m.ptRatio)}
            </Descriptions.Item>
            <Descriptions.Item label={t('meter.multiplier')}>
              <b data-testid="meter-multiplier">{multiplierOf(m)}</b>
            </Descriptions.Item>
            <Descriptions.Item label={t('meter.installedOn')}>
              {formatDate(m.installedOn)} {m.removedOn ? `→ ${formatDate(m.removedOn)}` : <Tag color="green">{t('meter.inService')}</Tag>}
            </Descriptions.Item>
          </Descriptions>
        ))}
      </div>
    );
  }
  return (
    <div style={{ marginBottom: 16 }} data-testid="metering-point">
      <Space wrap style={{ marginBottom: 8 }}>
        <Typography.Text strong>{t('meteringPoint.title')}</Typography.Text>
        {mp.code && <Mono value={mp.code} />}
        {mp.name && <span>{mp.name}</span>}
        {typeof mp.position === 'string' && <Tag>{mp.position}</Tag>}
        {typeof mp.purpose === 'string' && <Tag color="blue">{mp.purpose}</Tag>}
      </Space>
      <Table<Meter>
        size="small"
        rowKey={(m) => String(m.id ?? m.assetNo)}
        dataSource={meters}
        pagination={false}
        scroll={{ x: 1100 }}
        locale={{ emptyText: t('meter.none') }}
        columns={[
          { title: t('meter.assetNo'), dataIndex: 'assetNo', width: 190, fixed: 'left', render: (v: string) => <Mono value={v} testId="meter-asset-no" /> },
          { title: t('meter.commAddress'), dataIndex: 'commAddress', width: 150, render: (v: string) => <Mono value={v} /> },
          { title: t('meter.type'), dataIndex: 'meterType', width: 140, render: (v: string) => label('meterTypes', v) },
          { title: t('meter.registers'), dataIndex: 'registers', width: 200, render: (v: Meter['registers']) => registersText(v, (c) => label('registers', c)) },
          { title: t('meter.digits'), width: 80, render: (_, m) => (m.digits ? `${m.digits}${m.decimals ? `.${m.decimals}` : ''}` : '-') },
          { title: 'CT', width: 90, render: (_, m) => ratio(m.ctPrimary, m.ctSecondary, m.ctRatio) },
          { title: 'PT', width: 110, render: (_, m) => ratio(m.ptPrimary, m.ptSecondary, m.ptRatio) },
          { title: t('meter.multiplier'), width: 100, align: 'right', render: (_, m) => <b data-testid="meter-multiplier">{multiplierOf(m)}</b> },
          { title: t('meter.installedOn'), dataIndex: 'installedOn', width: 110, render: (v: string) => formatDate(v) },
          { title: t('meter.removedOn'), dataIndex: 'removedOn', width: 110, render: (v: string) => (v ? formatDate(v) : <Tag color="green">{t('meter.inService')}</Tag>) },
        ]}
      />
    </div>
  );
}

export default function AccountViewPage() {
  const { id } = useParams();
  const { t, lang } = useI18n();
  const { label } = useDict();
  const { user } = useAuth();
  const screens = Grid.useBreakpoint();
  const isPhone = screens.md === false;
  const [data, setData] = useState<Account360 | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [editing, setEditing] = useState(false);
  const username = user?.username;
  const orgLabel = useOrgUnitLabel(data?.orgUnit);

  const load = useCallback(async () => {
    setLoading(true);
    setError(null);
    try {
      const d = await api.get<Account360>(`/accounts/${encodeURIComponent(id ?? '')}`);
      setData(d);
      rememberAccount(username, { id: d.account.id, accountNo: d.account.accountNo, name: d.account.name ?? d.customer?.name });
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  }, [id, username]);

  useEffect(() => {
    void load();
  }, [load]);

  const crumbs = can(user, 'account.read')
    ? [{ title: t('menu.archive') }, { title: t('menu.accounts'), path: '/archive/accounts' }, { title: data?.account.accountNo ?? t('account.view') }]
    : [{ title: t('menu.home'), path: '/' }, { title: data?.account.accountNo ?? t('account.view') }];

  if (error) {
    const status = error instanceof ApiError && (error.status === 404 || error.status === 403) ? (String(error.status) as '404' | '403') : 'error';
    return (
      <PageContainer crumbs={crumbs}>
        <Result status={status} title={status === 'error' ? t('common.loadFailed') : status} subTitle={errorText(t, error)} extra={<Link to="/archive/accounts">{t('common.back')}</Link>} />
      </PageContainer>
    );
  }
  if (!data) {
    return (
      <PageContainer crumbs={crumbs}>
        <Card>
          <Skeleton active paragraph={{ rows: 10 }} />
        </Card>
      </PageContainer>
    );
  }

  const { account: a, customer: c } = data;
  const cols = isPhone ? 1 : { xs: 1, sm: 2, lg: 2, xl: 3 };
  const ta = data.transformerArea;
  const fd = data.feeder;
  const rr = data.readingRoute;
  const str = (v: unknown) => (v === null || v === undefined || v === '' ? '-' : String(v));
  const refs: Record<string, Record<string, string>> = {
    orgUnitId: data.orgUnit ? { [String(data.orgUnit.id)]: orgLabel } : {},
    readingRouteId: rr ? { [String(rr.id)]: [rr.code, rr.name].filter(Boolean).join(' ') } : {},
    transformerAreaId: ta ? { [String(ta.id)]: [ta.code, ta.name].filter(Boolean).join(' ') } : {},
  };
  const currentFrom = (data.history ?? [])
    .filter((h) => !h.effectiveTo)
    .map((h) => String(h.effectiveFrom ?? ''))
    .sort()
    .pop();

  return (
    <PageContainer
      crumbs={crumbs}
      title={
        <Space wrap size={8}>
          <span>{t('account.accountNo')}</span>
          <Mono value={a.accountNo} strong testId="account-360-no" />
          <span style={{ fontWeight: 400 }}>{a.name ?? c?.name}</span>
          <AccountStatusTag status={a.status} />
        </Space>
      }
      extra={
        <Space>
          <Button icon={<ReloadOutlined />} onClick={load} loading={loading}>
            {!isPhone && t('common.refresh')}
          </Button>
          {can(user, 'account.write') && (
            <Button type="primary" icon={<EditOutlined />} onClick={() => setEditing(true)} data-testid="account-edit">
              {t('common.edit')}
            </Button>
          )}
        </Space>
      }
    >
      <div data-testid="account-360">
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={14}>
            <Card title={t('account.section.account')} size="small" style={{ height: '100%' }}>
              <Descriptions size="small" column={cols} colon={false} styles={{ label: { color: '#888' } }}>
                <Descriptions.Item label={t('account.accountNo')}>
                  <Mono value={a.accountNo} />
                </Descriptions.Item>
                <Descriptions.Item label={t('account.customerClass')}>{label('customerClasses', a.customerClass)}</Descriptions.Item>
                <Descriptions.Item label={t('account.voltageLevel')}>{label('voltageLevels', a.voltageLevel)}</Descriptions.Item>
                <Descriptions.Item label={t('account.tariff')}>
                  <span className="vl-mono">{str(a.tariffCode)}</span>
                </Descriptions.Item>
                <Descriptions.Item label={t('account.contractCapacity')}>{a.contractCapacityKva != null ? formatQuantity(a.contractCapacityKva as string, 'kVA') : '-'}</Descriptions.Item>
                <Descriptions.Item label={t('account.basicChargeMethod')}>{label('basicChargeMethods', a.basicChargeMethod)}</Descriptions.Item>
                <Descriptions.Item label={t('account.pfStandard')}>{label('pfStandards', a.pfStandard)}</Descriptions.Item>
                <Descriptions.Item label={t('account.householdSize')}>{str(a.householdSize)}</Descriptions.Item>
                <Descriptions.Item label={t('account.paymentMode')}>{label('paymentModes', a.paymentMode)}</Descriptions.Item>
                <Descriptions.Item label={t('account.status')}>
                  <AccountStatusTag status={a.status} />
                </Descriptions.Item>
                <Descriptions.Item label={t('account.openedOn')}>{formatDate(a.openedOn as string | undefined)}</Descriptions.Item>
                <Descriptions.Item label={t('account.effectiveFrom')}>{formatDate((a.effectiveFrom as string | undefined) ?? currentFrom)}</Descriptions.Item>
                <Descriptions.Item label={t('account.version')}>{str(a.version)}</Descriptions.Item>
              </Descriptions>
            </Card>
          </Col>
          <Col xs={24} xl={10}>
            <Card
              title={t('account.section.customer')}
              size="small"
              style={{ height: '100%' }}
              extra={c?.id && can(user, 'customer.read') ? <Link to={`/archive/customers/${c.id}`}>{t('common.detail')}</Link> : undefined}
            >
              {c ? (
                <Descriptions size="small" column={1} colon={false} styles={{ label: { color: '#888' } }}>
                  <Descriptions.Item label={t('customer.name')}>{c.name}</Descriptions.Item>
                  {typeof c.customerNo === 'string' && (
                    <Descriptions.Item label={t('customer.customerNo')}>
                      <Mono value={c.customerNo} />
                    </Descriptions.Item>
                  )}
                  <Descriptions.Item label={t('customer.kind')}>{c.kind ? t(c.kind === 'enterprise' ? 'customer.kind.enterprise' : 'customer.kind.person') : '-'}</Descriptions.Item>
                  <Descriptions.Item label={t('customer.idNumber')}>
                    <span className="vl-mono" data-testid="customer-id-number">{c.idNumberMasked ?? c.idNumber ?? '-'}</span>
                  </Descriptions.Item>
                  <Descriptions.Item label={t('customer.phone')}>
                    <span className="vl-mono" data-testid="customer-phone">{c.phoneMasked ?? c.phone ?? '-'}</span>
                  </Descriptions.Item>
                  <Descriptions.Item label={t('customer.address')}>{str(c.address ?? (a.address as string | undefined))}</Descriptions.Item>
                </Descriptions>
              ) : (
                <Empty description={t('common.noData')} />
              )}
            </Card>
          </Col>
          <Col xs={24}>
            <Card title={t('account.section.supply')} size="small">
              <Descriptions size="small" column={isPhone ? 1 : { xs: 1, sm: 2, xl: 2, xxl: 4 }} colon={false} styles={{ label: { color: '#888' } }}>
                <Descriptions.Item label={t('account.orgUnit')}>{orgLabel || '-'}</Descriptions.Item>
                <Descriptions.Item label={t('account.transformerArea')}>
                  {ta ? (
                    <span>
                      {ta.code && <span className="vl-mono">{ta.code} </span>}
                      {str(ta.name)}
                      {typeof ta.transformerName === 'string' && ta.transformerName && <Typography.Text type="secondary"> · {ta.transformerName}</Typography.Text>}
                      {ta.capacityKva != null && <Typography.Text type="secondary"> · {formatQuantity(ta.capacityKva as string, 'kVA')}</Typography.Text>}
                      {typeof ta.ownership === 'string' && <Tag style={{ marginInlineStart: 4 }}>{ta.ownership === 'private' ? t('ta.private') : t('ta.public')}</Tag>}
                      {typeof ta.isPublic === 'boolean' && <Tag style={{ marginInlineStart: 4 }}>{ta.isPublic ? t('ta.public') : t('ta.private')}</Tag>}
                    </span>
                  ) : (
                    '-'
                  )}
                </Descriptions.Item>
                <Descriptions.Item label={t('account.feeder')}>
                  {fd ? (
                    <span>
                      {fd.code && <span className="vl-mono">{fd.code} </span>}
                      {str(fd.name)}
                      {typeof fd.voltageLevel === 'string' && <Typography.Text type="secondary"> · {label('voltageLevels', fd.voltageLevel)}</Typography.Text>}
                    </span>
                  ) : (
                    '-'
                  )}
                </Descriptions.Item>
                <Descriptions.Item label={t('account.readingRoute')}>
                  {rr ? (
                    <span>
                      {rr.code && <span className="vl-mono">{rr.code} </span>}
                      {str(rr.name)}
                      {rr.readingDay != null && <Typography.Text type="secondary"> · {t('route.readingDay', { day: String(rr.readingDay) })}</Typography.Text>}
                    </span>
                  ) : (
                    '-'
                  )}
                </Descriptions.Item>
              </Descriptions>
            </Card>
          </Col>
          <Col xs={24}>
            <Card title={t('account.section.metering')} size="small" data-testid="account-meters" extra={<Suspense fallback={null}><AccountOnDemandRead meteringPoints={data.meteringPoints ?? []} /></Suspense>}>
              {(data.meteringPoints ?? []).length ? (data.meteringPoints ?? []).map((mp, i) => <MeteringPointCard key={mp.id ?? i} mp={mp} compact={isPhone} />) : <Empty description={t('meter.none')} />}
            </Card>
          </Col>
          <Col xs={24}>
            <Card size="small">
              <Tabs
                items={[
                  ...(can(user, 'reading.read') && data.account?.id ? [{ key: 'readings', label: lang === 'en' ? 'Readings' : '抄表记录', children: <Suspense fallback={<Skeleton active />}><AccountReadings accountId={Number(data.account.id)} /></Suspense> }] : []),
                  ...(can(user, 'account.read') && data.account?.id ? [{ key: 'bills', label: lang === 'en' ? 'Bills' : '账单', children: <Suspense fallback={<Skeleton active />}><AccountBills accountId={Number(data.account.id)} /></Suspense> }] : []),
                  ...((can(user, 'request.handle') || can(user, 'stats.read')) && data.account?.id ? [{ key: 'service', label: lang === 'en' ? 'Service requests' : '业扩工单', children: <Suspense fallback={<Skeleton active />}><AccountRequests accountId={Number(data.account.id)} /></Suspense> }] : []),
                  ...(data.account?.accountNo ? [{ key: 'payments', label: lang === 'en' ? 'Payments' : '缴费记录', children: <Suspense fallback={<Skeleton active />}><AccountPayments accountNo={String(data.account.accountNo)} /></Suspense> }] : []),
                  { key: 'history', label: t('account.section.history'), children: <HistoryTable rows={data.history ?? []} refs={refs} compact={isPhone} /> },
                  { key: 'audit', label: t('account.section.audit'), children: <AuditList events={data.audit ?? []} /> },
                ]}
              />
            </Card>
          </Col>
        </Row>
      </div>
      <AccountEditDrawer
        open={editing}
        data={data}
        onClose={() => setEditing(false)}
        onSaved={() => {
          setEditing(false);
          void load();
        }}
      />
    </PageContainer>
  );
}
