import { useCallback, useEffect, useState } from 'react';
import { useParams } from 'react-router-dom';
import { Alert, Button, Card, Checkbox, Col, Input, Modal, Progress, Row, Select, Space, Statistic, Table, Tag, Typography, message } from 'antd';
import { PrinterOutlined, ReloadOutlined } from '@ant-design/icons';
import { PageContainer } from '../../components/PageContainer';
import { errorText } from '../../components/errors';
import { useAuth } from '../../app/auth';
import { can } from '../../app/permissions';
import { useI18n } from '../../i18n';
import { billingApi, money, type Bill, type RouteOption, type RunDetail } from './api';
import { useBT } from './i18n';
import { RunStatusTag } from './RunsPage';
import { BillDrawer, FlagTags } from './BillDrawer';

const BILL_STATUSES = ['calculated', 'review', 'held', 'approved', 'issued', 'sent_back', 'cancelled'];

function duration(s: number | null | undefined): string {
  if (s == null || !Number.isFinite(s)) return '—';
  const m = Math.floor(s / 60);
  return m ? `${m}m ${Math.round(s % 60)}s` : `${Math.round(s)}s`;
}

export default function RunPage() {
  const { id: idText } = useParams();
  const id = Number(idText);
  const { t, st, lang } = useBT();
  const shell = useI18n();
  const { user } = useAuth();
  const canReview = can(user, 'billing.review');
  const [detail, setDetail] = useState<RunDetail | null>(null);
  const [bills, setBills] = useState<Bill[] | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [filter, setFilter] = useState<{ status?: string; flag?: string; exceptions: boolean }>({ exceptions: false });
  const [page, setPage] = useState(1);
  const [openBill, setOpenBill] = useState<number | null>(null);
  const [modal, modalHolder] = Modal.useModal();
  const [printRoute, setPrintRoute] = useState<string | undefined>(undefined);
  const [printRoutes, setPrintRoutes] = useState<RouteOption[]>([]);
  const pageSize = 50;

  const loadRun = useCallback(async () => {
    try {
      setDetail(await billingApi.run(id));
      setErr(null);
    } catch (e) {
      setErr(errorText(shell.t, e));
    }
  }, [id, shell.t]);

  const loadBills = useCallback(async () => {
    try {
      setBills((await billingApi.bills(id, { ...filter, page, pageSize })).items);
    } catch (e) {
      message.error(errorText(shell.t, e));
    }
  }, [id, filter, page, shell.t]);

  const status = detail?.run.status;
  useEffect(() => void loadRun(), [loadRun]);
  useEffect(() => void loadBills(), [loadBills, status]);
  useEffect(() => {
    if (status !== 'running' && status !== 'created') return;
    const h = setInterval(() => void loadRun(), 2000);
    return () => clearInterval(h);
  }, [status, loadRun]);

  const refresh = () => Promise.all([loadRun(), loadBills()]);
  const act = async (fn: () => Promise<unknown>, done?: (r: any) => string) => {
    try {
      const r = await fn();
      if (done) message.success(done(r));
      await refresh();
    } catch (e) {
      message.error(errorText(shell.t, e));
    }
  };

  function withReason(title: string, fn: (reason: string) => Promise<unknown>) {
    let reason = '';
    modal.confirm({
      title,
      content: <Input.TextArea data-testid="bill-reason" placeholder={t('bills.reason')} onChange={(e) => (reason = e.target.value)} />,
      onOk: async () => {
        if (!reason.trim()) {
          message.error(t('bills.reasonRequired'));
          throw new Error('reason');
        }
        await act(() => fn(reason.trim()));
      },
    });
  }

  if (err && !detail) return <PageContainer crumbs={[{ title: t('runs.title'), path: '/billing/runs' }]}><Alert type="error" message={err} /></PageContainer>;
  const run = detail?.run;
  const p = detail?.progress;
  const clean = detail?.statusCounts.calculated ?? 0;
  const approved = detail?.statusCounts.approved ?? 0;
  const finished = run && (run.status === 'completed' || run.status === 'cancelled');
  const issuedCount = detail?.statusCounts.issued ?? 0;
  const loadPrintRoutes = () => {
    if (run && printRoutes.length === 0) billingApi.routes(run.period).then((r) => setPrintRoutes(r.items)).catch(() => undefined);
  };

  return (
    <PageContainer
      crumbs={[{ title: t('runs.title'), path: '/billing/runs' }, { title: `#${id}` }]}
      title={<Space wrap>{t('run.title', { id })}{run && <>{run.period}{run.trial ? <Tag color="purple">{t('runs.trial')}</Tag> : <Tag color="blue">{t('runs.real')}</Tag>}<span data-testid="run-status"><RunStatusTag status={run.status} /></span></>}</Space>}
      extra={<Button icon={<ReloadOutlined />} onClick={() => void refresh()} />}
    >
      {modalHolder}
      {run?.trial && <Alert type="info" showIcon message={t('run.trialNote')} style={{ marginBottom: 12 }} />}
      {run?.error && <Alert type="error" message={run.error} style={{ marginBottom: 12 }} />}
      {p && (
        <Card size="small" style={{ marginBottom: 12 }} data-testid="run-progress">
          <Progress percent={p.accountsTotal ? Math.floor((p.accountsDone / p.accountsTotal) * 100) : 100} status={run?.status === 'running' ? 'active' : undefined} />
          <Row gutter={[16, 8]}>
            <Col xs={12} sm={6}><Statistic title={t('run.done')} value={`${p.accountsDone} / ${p.accountsTotal}`} valueStyle={{ fontSize: 18 }} /></Col>
            <Col xs={12} sm={6}><Statistic title={t('run.rate')} value={p.accountsPerSecond == null ? '—' : Number(p.accountsPerSecond).toFixed(1)} valueStyle={{ fontSize: 18 }} /></Col>
            <Col xs={12} sm={6}><Statistic title={t('run.eta')} value={run?.status === 'running' ? duration(p.etaSeconds) : '—'} valueStyle={{ fontSize: 18 }} /></Col>
            <Col xs={12} sm={6}><Statistic title={t('runs.amount')} value={money(p.amountTotal)} valueStyle={{ fontSize: 18 }} /></Col>
          </Row>
        </Card>
      )}
      {detail && (
        <Row gutter={[12, 12]} style={{ marginBottom: 12 }}>
          <Col xs={24} md={12}>
            <Card size="small" title={t('run.byStatus')} data-testid="run-status-counts">
              <Space wrap>
                {Object.entries(detail.statusCounts).map(([s, n]) => (
                  <Tag key={s} style={{ cursor: 'pointer' }} color={filter.status === s ? 'blue' : undefined} onClick={() => { setPage(1); setFilter((f) => ({ ...f, status: f.status === s ? undefined : s })); }}>{st(s)} {n}</Tag>
                ))}
              </Space>
            </Card>
          </Col>
          <Col xs={24} md={12}>
            <Card size="small" title={t('run.byFlag')} data-testid="run-flag-counts">
              <Space wrap>
                {Object.entries(detail.flagCounts).map(([f, n]) => (
                  <Tag key={f} style={{ cursor: 'pointer' }} color={filter.flag === f ? 'blue' : 'orange'} onClick={() => { setPage(1); setFilter((x) => ({ ...x, flag: x.flag === f ? undefined : f })); }}>{f} {n}</Tag>
                ))}
              </Space>
            </Card>
          </Col>
        </Row>
      )}
      {run && canReview && !finished && (
        <Space wrap style={{ marginBottom: 12 }}>
          {!run.trial && run.status === 'review' && (
            <Button data-testid="run-approve-clean" disabled={clean === 0} onClick={() => modal.confirm({ title: t('run.approveCleanConfirm', { n: clean }), onOk: () => act(() => billingApi.approveClean(id), (r) => t('run.approved', { n: r.approved })) })}>
              {t('run.approveClean')} ({clean})
            </Button>
          )}
          {!run.trial && run.status === 'review' && (
            <Button type="primary" data-testid="run-issue" disabled={approved === 0} onClick={() => modal.confirm({ title: t('run.issueConfirm', { n: approved }), onOk: () => act(() => billingApi.issue(id), (r) => t('run.issued', { n: r.issued })) })}>
              {t('run.issue')} ({approved})
            </Button>
          )}
          <Button danger data-testid="run-cancel" onClick={() => modal.confirm({ title: t('run.cancelConfirm'), onOk: () => act(() => billingApi.cancel(id)) })}>{t('run.cancel')}</Button>
        </Space>
      )}
      {run && !run.trial && issuedCount > 0 && (
        <Card size="small" style={{ marginBottom: 12 }} data-testid="run-print">
          <Space wrap>
            <Select
              allowClear
              showSearch
              optionFilterProp="label"
              placeholder={t('pdf.printAll')}
              style={{ width: 220, maxWidth: '100%' }}
              value={printRoute}
              onFocus={loadPrintRoutes}
              onChange={(v) => setPrintRoute(v)}
              options={printRoutes.map((r) => ({ value: r.code, label: `${r.code} ${r.name}` }))}
              data-testid="run-print-route"
            />
            <Button icon={<PrinterOutlined />} href={billingApi.runPrintUrl(id, printRoute)} download data-testid="run-print-pdf">{t('pdf.print')}{printRoute ? '' : ` (${issuedCount})`}</Button>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('pdf.printHint')}</Typography.Text>
          </Space>
        </Card>
      )}
      <Space wrap style={{ marginBottom: 8 }}>
        <Select allowClear placeholder={t('bills.filterStatus')} style={{ width: 140 }} value={filter.status} onChange={(v) => { setPage(1); setFilter((f) => ({ ...f, status: v })); }} options={BILL_STATUSES.map((s) => ({ value: s, label: st(s) }))} data-testid="bills-filter-status" />
        <Select allowClear placeholder={t('bills.filterFlag')} style={{ width: 180 }} value={filter.flag} onChange={(v) => { setPage(1); setFilter((f) => ({ ...f, flag: v })); }} options={Object.keys(detail?.flagCounts ?? {}).map((f) => ({ value: f, label: f }))} />
        <Checkbox checked={filter.exceptions} onChange={(e) => { setPage(1); setFilter((f) => ({ ...f, exceptions: e.target.checked })); }}>{t('bills.exceptionsOnly')}</Checkbox>
      </Space>
      <Table<Bill>
        size="small"
        rowKey="id"
        loading={bills === null}
        dataSource={bills ?? []}
        scroll={{ x: 'max-content' }}
        data-testid="run-bills"
        pagination={{ current: page, pageSize, total: (page - 1) * pageSize + (bills?.length ?? 0) + ((bills?.length ?? 0) === pageSize ? 1 : 0), onChange: setPage, showSizeChanger: false, simple: true }}
        columns={[
          { title: t('bills.accountNo'), dataIndex: 'accountNo', render: (v: string, b) => <a onClick={() => setOpenBill(b.id)} data-testid="bill-open">{v}</a> },
          { title: t('bills.name'), dataIndex: 'accountName', render: (v?: string) => v ?? '—' },
          { title: t('bills.kwh'), dataIndex: 'energyKwh', align: 'right' },
          { title: t('bills.amount'), dataIndex: 'amountTotal', align: 'right', render: (v: string | null) => money(v) },
          { title: t('runs.status'), dataIndex: 'status', render: (s: string) => st(s) },
          { title: t('bills.flags'), render: (_, b) => <FlagTags flags={b.reviewFlags} exceptionCode={b.exceptionCode} /> },
          {
            title: t('bills.actions'),
            render: (_, b) => (
              <Space size={4} wrap={false}>
                <Button size="small" type="link" onClick={() => setOpenBill(b.id)}>{t('bills.view')}</Button>
                {canReview && !b.trial && ['calculated', 'review', 'held'].includes(b.status) && (
                  <>
                    {!b.exceptionCode && <Button size="small" type="link" onClick={() => void act(() => billingApi.approve(b.id))}>{t('bills.approve')}</Button>}
                    {b.status !== 'held' && <Button size="small" type="link" onClick={() => withReason(`${t('bills.hold')} ${b.accountNo}`, (r) => billingApi.hold(b.id, r))}>{t('bills.hold')}</Button>}
                    <Button size="small" type="link" danger onClick={() => withReason(`${t('bills.sendBack')} ${b.accountNo}`, (r) => billingApi.sendBack(b.id, r))}>{t('bills.sendBack')}</Button>
                  </>
                )}
              </Space>
            ),
          },
        ]}
      />
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>{lang === 'en' ? 'Amounts in CNY' : '金额单位：元'}</Typography.Text>
      <BillDrawer billId={openBill} onClose={() => setOpenBill(null)} />
    </PageContainer>
  );
}
