/**
 * 柜台收费 (counter) and, on a phone, 走收 (field collection): open a shift with a float, find
 * accounts by 户号 / name / bill no., see what is due (late fee to today), take cash / card / QR
 * payment for one or several accounts on one receipt (change for cash), print the receipt PDF,
 * void within the shift with a reason, close the shift with a cash count (日结).
 * One column below 992 px; no tables, so nothing scrolls sideways at 375 px.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { Alert, App, Button, Card, Col, Descriptions, Empty, Flex, Form, Input, List, Modal, Radio, Result, Row, Space, Spin, Statistic, Tag, Typography } from 'antd';
import { DeleteOutlined, FilePdfOutlined, PlusOutlined, PrinterOutlined, ReloadOutlined } from '@ant-design/icons';
import { PageContainer } from '../../components/PageContainer';
import { Money } from '../../components/Money';
import { Mono } from '../../components/Mono';
import { errorText, fieldMessage } from '../../components/errors';
import { ApiError } from '../../api/client';
import { formatDateTime, formatMoney, todayCst } from '../../app/format';
import { useI18n } from '../../i18n';
import { newRequestId, paymentsApi, receiptUrl, type CounterResult, type CurrentShift, type DueAccount, type DueItem, type Shift, type ShiftDetail } from './api';
import { apiFen, fenStr, parseFen } from './fen';
import { usePT } from './i18n';

interface CartItem {
  accountNo: string;
  accountName: string;
  due: string;
  amount: string;
}

type Method = 'cash' | 'card' | 'qr';

export function ShiftStatusTag({ status }: { status: string }) {
  const { st } = usePT();
  const color = status === 'open' ? 'processing' : status === 'closed' ? 'warning' : status === 'approved' ? 'success' : status === 'rejected' ? 'error' : 'default';
  return <Tag color={color}>{st(status)}</Tag>;
}

export function PaymentStatusTag({ status }: { status: string }) {
  const { st } = usePT();
  return <Tag color={status === 'posted' ? 'green' : 'default'}>{st(status)}</Tag>;
}

/** The 日结 figures of a closed shift. */
export function SettlementReport({ shift }: { shift: Shift }) {
  const { t, mt } = usePT();
  const r = shift.report;
  const diff = r?.difference ?? shift.difference;
  return (
    <Descriptions size="small" column={1} bordered data-testid="shift-report">
      <Descriptions.Item label={t('shift.float')}><Money value={r?.openingFloat ?? shift.openingFloat} /></Descriptions.Item>
      <Descriptions.Item label={t('shift.cash')}><Money value={r?.systemCash ?? shift.systemCash} /></Descriptions.Item>
      <Descriptions.Item label={t('shift.expected')}><span data-testid="report-expected"><Money value={r?.expectedCash} /></span></Descriptions.Item>
      <Descriptions.Item label={t('shift.counted')}><span data-testid="report-counted"><Money value={r?.countedCash ?? shift.countedCash} /></span></Descriptions.Item>
      <Descriptions.Item label={t('shift.difference')}>
        <span data-testid="report-difference" style={{ color: apiFen(diff) ? '#cf1322' : undefined }}><Money value={diff} /></span>
        {(r?.differenceReason ?? shift.differenceReason) && <Typography.Text type="secondary"> · {r?.differenceReason ?? shift.differenceReason}</Typography.Text>}
      </Descriptions.Item>
      {r && (
        <Descriptions.Item label={t('shift.byMethod')}>
          <Space wrap size={[12, 0]}>
            {Object.entries(r.byMethod).map(([m, v]) => (
              <span key={m}>{mt(m)} {v.count} · {formatMoney(v.amount)}</span>
            ))}
            <span>{t('shift.voided')} {r.voided.count} · {formatMoney(r.voided.amount)}</span>
          </Space>
        </Descriptions.Item>
      )}
      {r && <Descriptions.Item label={t('shift.total')}><Money value={r.total} /> ({r.payments})</Descriptions.Item>}
    </Descriptions>
  );
}

function DueItems({ items, onWaive }: { items: DueItem[]; onWaive?: (i: DueItem) => void }) {
  const { t } = usePT();
  return (
    <List
      size="small"
      dataSource={items}
      renderItem={(i) => (
        <List.Item style={{ display: 'block', paddingInline: 0 }}>
          <Flex justify="space-between" wrap gap={4}>
            <span>{i.period} · {t('due.dueDate')} {i.dueDate}{i.overdueDays > 0 && <Tag color="red" style={{ marginInlineStart: 6 }}>{t('due.overdueDays')} {i.overdueDays}</Tag>}</span>
            <Money value={i.outstanding} />
          </Flex>
          <Flex justify="space-between" wrap gap={4}>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('due.principal')} {formatMoney(i.principalOutstanding)} · {t('due.lateFee')} {formatMoney(i.lateFee)}
            </Typography.Text>
            {onWaive && apiFen(i.lateFee)! > 0n && <a onClick={() => onWaive(i)} style={{ fontSize: 12 }}>{t('due.waive')}</a>}
          </Flex>
        </List.Item>
      )}
    />
  );
}

export default function CounterPage() {
  const { t, mt } = usePT();
  const shell = useI18n();
  const { message } = App.useApp();
  const [shift, setShift] = useState<CurrentShift | null | undefined>(undefined);
  const [detail, setDetail] = useState<ShiftDetail | null>(null);
  const [lastClosed, setLastClosed] = useState<Shift | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [float, setFloat] = useState('0.00');
  const [opening, setOpening] = useState(false);

  const [q, setQ] = useState('');
  const [results, setResults] = useState<DueAccount[] | null>(null);
  const [searching, setSearching] = useState(false);
  const [expanded, setExpanded] = useState<string | null>(null);

  const [cart, setCart] = useState<CartItem[]>([]);
  const [method, setMethod] = useState<Method>('cash');
  const [tendered, setTendered] = useState('');
  const [requestId, setRequestId] = useState(newRequestId);
  const [paying, setPaying] = useState(false);
  const [payErr, setPayErr] = useState<string | null>(null);
  const [result, setResult] = useState<CounterResult | null>(null);

  const [voiding, setVoiding] = useState<{ id: number; receiptNo: string | null; amount: string; accountNo: string } | null>(null);
  const [closing, setClosing] = useState(false);
  const [waiving, setWaiving] = useState<{ accountNo: string; item: DueItem } | null>(null);

  const loadShift = useCallback(async () => {
    try {
      const r = await paymentsApi.currentShift();
      setShift(r.shift);
      setDetail(r.shift ? await paymentsApi.shift(r.shift.id) : null);
      setErr(null);
    } catch (e) {
      setShift(null);
      setErr(errorText(shell.t, e));
    }
  }, [shell.t]);

  useEffect(() => {
    void loadShift();
  }, [loadShift]);

  // /payments/counter?q=户号 (from the arrears list or the account view) searches at once
  const [params] = useSearchParams();
  const initialQ = params.get('q');
  useEffect(() => {
    if (initialQ) {
      setQ(initialQ);
      void search(initialQ);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [initialQ]);

  async function openShift() {
    if (parseFen(float) === null) return message.error(t('cart.amountInvalid'));
    setOpening(true);
    try {
      await paymentsApi.openShift(float.trim());
      message.success(t('shift.opened'));
      setLastClosed(null);
      await loadShift();
    } catch (e) {
      message.error(errorText(shell.t, e));
    } finally {
      setOpening(false);
    }
  }

  async function search(value: string) {
    const v = value.trim();
    if (!v) return;
    setSearching(true);
    try {
      const r = await paymentsApi.findDue(v);
      setResults(r.items);
      setExpanded(r.items.length === 1 ? r.items[0].accountNo : null);
    } catch (e) {
      message.error(errorText(shell.t, e));
    } finally {
      setSearching(false);
    }
  }

  async function refreshResult(accountNo: string) {
    try {
      const d = await paymentsApi.due(accountNo);
      setResults((rs) => rs?.map((r) => (r.accountNo === accountNo ? { ...r, ...d } : r)) ?? rs);
    } catch {
      /* keep the old figures */
    }
  }

  const changeCart = (next: CartItem[]) => {
    setCart(next);
    setRequestId(newRequestId());
    setPayErr(null);
  };

  function addToCart(a: DueAccount) {
    if (cart.some((c) => c.accountNo === a.accountNo)) return;
    const due = apiFen(a.amountDue) ?? 0n;
    changeCart([...cart, { accountNo: a.accountNo, accountName: a.accountName, due: a.amountDue, amount: due > 0n ? fenStr(due) : '' }]);
  }

  const totalFen = useMemo(() => {
    let s = 0n;
    for (const c of cart) {
      const f = parseFen(c.amount);
      if (f === null || f <= 0n) return null;
      s += f;
    }
    return s;
  }, [cart]);
  const tenderedFen = method === 'cash' && tendered.trim() ? parseFen(tendered) : null;
  const changeFen = totalFen !== null && tenderedFen !== null ? tenderedFen - totalFen : null;

  async function pay() {
    if (!shift) return setPayErr(t('cart.needShift'));
    if (!cart.length || totalFen === null) return setPayErr(t('cart.amountInvalid'));
    if (changeFen !== null && changeFen < 0n) return setPayErr(t('cart.tenderedShort'));
    setPaying(true);
    setPayErr(null);
    try {
      const r = await paymentsApi.pay({
        items: cart.map((c) => ({ accountNo: c.accountNo, amount: c.amount.trim() })),
        method,
        requestId,
        ...(method === 'cash' && tendered.trim() ? { tendered: tendered.trim() } : {}),
      });
      setResult(r);
      setCart([]);
      setTendered('');
      setRequestId(newRequestId());
      for (const p of r.payments) void refreshResult(p.accountNo);
      await loadShift();
    } catch (e) {
      const f = e instanceof ApiError ? e.field : undefined;
      setPayErr(f ? `${f}: ${fieldMessage(e)}` : errorText(shell.t, e));
    } finally {
      setPaying(false);
    }
  }

  const shiftCard = (
    <Card size="small" title={t('shift.title')} data-testid="shift-card" extra={<Button size="small" icon={<ReloadOutlined />} onClick={() => void loadShift()} aria-label={t('common.refresh')} />}>
      {shift === undefined ? (
        <Spin />
      ) : shift ? (
        <>
          <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 8 }}>
            <Space wrap>
              <Typography.Text strong data-testid="shift-no">{t('shift.no', { id: shift.id })}</Typography.Text>
              <ShiftStatusTag status={shift.status} />
            </Space>
            <Button danger onClick={() => setClosing(true)} data-testid="shift-close">{t('shift.close')}</Button>
          </Flex>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('shift.openedAt')} {formatDateTime(shift.openedAt)} · {t('shift.float')} {formatMoney(shift.openingFloat)}</Typography.Text>
          <Row gutter={[8, 8]} style={{ marginTop: 8 }}>
            <Col span={8}><Statistic title={t('shift.payments')} value={shift.payments} valueStyle={{ fontSize: 18 }} /></Col>
            <Col span={16}><Statistic title={t('shift.total')} value={formatMoney(shift.total)} valueStyle={{ fontSize: 18 }} /></Col>
          </Row>
          <Space wrap size={[12, 0]} style={{ fontSize: 12, marginTop: 4 }} data-testid="shift-by-method">
            {Object.entries(shift.byMethod).map(([m, v]) => <span key={m}>{mt(m)} {v.count} · {formatMoney(v.amount)}</span>)}
            {shift.voided.count > 0 && <span>{t('shift.voided')} {shift.voided.count} · {formatMoney(shift.voided.amount)}</span>}
          </Space>
        </>
      ) : (
        <>
          {lastClosed && (
            <div style={{ marginBottom: 12 }} data-testid="last-closed">
              <Alert type={apiFen(lastClosed.difference) ? 'warning' : 'success'} showIcon message={`${t('shift.no', { id: lastClosed.id })} · ${t('shift.closed')}`} style={{ marginBottom: 8 }} />
              <SettlementReport shift={lastClosed} />
            </div>
          )}
          <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>{t('shift.noneHint')}</Typography.Paragraph>
          <Space.Compact style={{ width: '100%', maxWidth: 360 }}>
            <Input addonBefore={t('shift.float')} value={float} onChange={(e) => setFloat(e.target.value)} inputMode="decimal" data-testid="shift-float" />
            <Button type="primary" loading={opening} onClick={() => void openShift()} data-testid="shift-open">{lastClosed ? t('shift.newShift') : t('shift.open')}</Button>
          </Space.Compact>
        </>
      )}
    </Card>
  );

  const searchCard = (
    <Card size="small" title={t('search.title')} data-testid="due-search">
      <Input.Search
        value={q}
        onChange={(e) => setQ(e.target.value)}
        onSearch={(v) => void search(v)}
        placeholder={t('search.placeholder')}
        enterButton
        loading={searching}
        allowClear
        data-testid="due-search-input"
      />
      {results !== null && (
        <List
          style={{ marginTop: 8 }}
          dataSource={results}
          locale={{ emptyText: t('search.empty') }}
          data-testid="due-results"
          renderItem={(a) => {
            const inCart = cart.some((c) => c.accountNo === a.accountNo);
            const owes = (apiFen(a.amountDue) ?? 0n) > 0n;
            return (
              <List.Item style={{ display: 'block', paddingInline: 0 }} data-testid={`due-${a.accountNo}`}>
                <Flex justify="space-between" align="start" wrap gap={8}>
                  <div style={{ minWidth: 0, flex: '1 1 180px' }}>
                    <Space wrap size={[6, 0]}>
                      <Mono value={a.accountNo} strong />
                      <Typography.Text>{a.accountName}</Typography.Text>
                    </Space>
                    <div><Typography.Text type="secondary" style={{ fontSize: 12, wordBreak: 'break-all' }}>{a.address ?? ''} · {a.orgUnitName}</Typography.Text></div>
                  </div>
                  <div style={{ textAlign: 'right' }}>
                    <div data-testid="due-amount">
                      {owes ? <Typography.Text strong style={{ color: '#cf1322' }}>{t('search.due')} {formatMoney(a.amountDue)}</Typography.Text> : <Tag color="green">{t('search.noDue')}</Tag>}
                    </div>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {t('search.lateFee')} {formatMoney(a.lateFee)}{(apiFen(a.credit) ?? 0n) > 0n ? ` · ${t('search.credit')} ${formatMoney(a.credit)}` : ''}
                    </Typography.Text>
                  </div>
                </Flex>
                <Flex justify="space-between" align="center" wrap gap={8} style={{ marginTop: 4 }}>
                  {a.items.length ? (
                    <a onClick={() => setExpanded(expanded === a.accountNo ? null : a.accountNo)}>{t('search.items')} ({a.items.length})</a>
                  ) : <span />}
                  <Button size="small" type="primary" ghost icon={<PlusOutlined />} disabled={inCart} onClick={() => addToCart(a)} data-testid={`add-${a.accountNo}`}>
                    {inCart ? t('search.added') : t('search.add')}
                  </Button>
                </Flex>
                {expanded === a.accountNo && a.items.length > 0 && <DueItems items={a.items} onWaive={shift !== undefined ? (i) => setWaiving({ accountNo: a.accountNo, item: i }) : undefined} />}
              </List.Item>
            );
          }}
        />
      )}
    </Card>
  );

  const cartCard = (
    <Card size="small" title={t('cart.title')} data-testid="cart">
      {result ? (
        <Result
          status="success"
          style={{ padding: '8px 0' }}
          title={t('receipt.title')}
          subTitle={
            <span>
              {t('receipt.no')} <Mono value={result.receiptNo} testId="receipt-no" /> · {formatMoney(result.total)}
              {result.change !== null && <> · {t('receipt.change')} <b data-testid="receipt-change">{formatMoney(result.change)}</b></>}
            </span>
          }
          extra={
            <Space wrap style={{ justifyContent: 'center' }}>
              <Button type="primary" icon={<PrinterOutlined />} onClick={() => window.open(receiptUrl(result.receiptNo), '_blank')} data-testid="receipt-print">{t('receipt.print')}</Button>
              <Button icon={<FilePdfOutlined />} href={receiptUrl(result.receiptNo)} download={`${result.receiptNo}.pdf`} data-testid="receipt-download">{t('receipt.download')}</Button>
              <Button onClick={() => setResult(null)} data-testid="receipt-next">{t('receipt.next')}</Button>
            </Space>
          }
        >
          <List
            size="small"
            dataSource={result.payments}
            renderItem={(p) => (
              <List.Item style={{ display: 'block', paddingInline: 0 }}>
                <Flex justify="space-between" wrap gap={4}><span><Mono value={p.accountNo} copyable={false} /> {p.accountName}</span><Money value={p.amount} /></Flex>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {t('receipt.principalPaid')} {formatMoney(p.principalPaid)} · {t('receipt.feePaid')} {formatMoney(p.lateFeePaid)} · {t('receipt.credit')} {formatMoney(p.credit)} · {t('receipt.balance')} {formatMoney(p.balanceAfter)}
                </Typography.Text>
              </List.Item>
            )}
          />
        </Result>
      ) : cart.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('cart.empty')} />
      ) : (
        <>
          <List
            size="small"
            dataSource={cart}
            renderItem={(c, idx) => {
              const bad = parseFen(c.amount) === null || parseFen(c.amount)! <= 0n;
              return (
                <List.Item style={{ display: 'block', paddingInline: 0 }} data-testid={`cart-${c.accountNo}`}>
                  <Flex justify="space-between" align="center" wrap gap={8}>
                    <div style={{ minWidth: 0 }}>
                      <Mono value={c.accountNo} copyable={false} strong /> <span>{c.accountName}</span>
                      <div><Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('search.due')} {formatMoney(c.due)}</Typography.Text></div>
                    </div>
                    <Space.Compact style={{ width: 190, maxWidth: '100%' }}>
                      <Input
                        prefix="¥"
                        value={c.amount}
                        status={bad ? 'error' : undefined}
                        inputMode="decimal"
                        aria-label={t('cart.amount')}
                        onChange={(e) => changeCart(cart.map((x, i) => (i === idx ? { ...x, amount: e.target.value } : x)))}
                        data-testid={`cart-amount-${c.accountNo}`}
                      />
                      <Button icon={<DeleteOutlined />} aria-label={t('cart.remove')} onClick={() => changeCart(cart.filter((_, i) => i !== idx))} />
                    </Space.Compact>
                  </Flex>
                </List.Item>
              );
            }}
          />
          <Flex justify="space-between" align="center" style={{ margin: '8px 0' }}>
            <Typography.Text strong>{t('cart.total')}</Typography.Text>
            <Typography.Text strong style={{ fontSize: 18 }} data-testid="cart-total">{totalFen === null ? '—' : formatMoney(fenStr(totalFen))}</Typography.Text>
          </Flex>
          <Form layout="vertical" onFinish={() => void pay()}>
            <Form.Item label={t('cart.method')} style={{ marginBottom: 8 }}>
              <Radio.Group value={method} onChange={(e) => { setMethod(e.target.value); setRequestId(newRequestId()); }} optionType="button" buttonStyle="solid" data-testid="pay-method"
                options={(['cash', 'card', 'qr'] as Method[]).map((m) => ({ value: m, label: mt(m) }))} />
            </Form.Item>
            {method === 'cash' && (
              <Form.Item label={t('cart.tendered')} style={{ marginBottom: 8 }}
                validateStatus={tendered.trim() && (tenderedFen === null || (changeFen !== null && changeFen < 0n)) ? 'error' : undefined}
                help={tendered.trim() && changeFen !== null && changeFen < 0n ? t('cart.tenderedShort') : undefined}>
                <Flex gap={12} align="center" wrap>
                  <Input prefix="¥" value={tendered} onChange={(e) => setTendered(e.target.value)} inputMode="decimal" style={{ width: 160, maxWidth: '100%' }} data-testid="pay-tendered" />
                  {changeFen !== null && changeFen >= 0n && <span>{t('cart.change')} <b data-testid="pay-change">{formatMoney(fenStr(changeFen))}</b></span>}
                </Flex>
              </Form.Item>
            )}
            {payErr && <Alert type="error" showIcon message={payErr} style={{ marginBottom: 8 }} data-testid="pay-error" />}
            <Button type="primary" htmlType="submit" block size="large" loading={paying} disabled={!shift} data-testid="pay-submit">
              {shift ? `${t('cart.pay')} ${totalFen === null ? '' : formatMoney(fenStr(totalFen))}` : t('cart.needShift')}
            </Button>
          </Form>
        </>
      )}
    </Card>
  );

  const paymentsCard = shift && detail && (
    <Card size="small" title={t('shift.paymentsList')} data-testid="shift-payments">
      <List
        size="small"
        dataSource={[...detail.items].reverse()}
        locale={{ emptyText: t('shift.noPayments') }}
        renderItem={(p) => (
          <List.Item style={{ display: 'block', paddingInline: 0 }} data-testid={`shift-payment-${p.paymentId}`}>
            <Flex justify="space-between" wrap gap={4}>
              <span><Mono value={p.accountNo} copyable={false} /> {p.accountName}</span>
              <span><Money value={p.amount} /> <PaymentStatusTag status={p.status} /></span>
            </Flex>
            <Flex justify="space-between" wrap gap={4} style={{ fontSize: 12 }}>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {mt(p.method)} · {formatDateTime(p.receivedAt).slice(11)} · {p.receiptNo && <a href={receiptUrl(p.receiptNo)} target="_blank" rel="noreferrer">{p.receiptNo}</a>}
                {p.voidReason && ` · ${p.voidReason}`}
              </Typography.Text>
              {p.status === 'posted' && <a onClick={() => setVoiding({ id: p.paymentId, receiptNo: p.receiptNo, amount: p.amount, accountNo: p.accountNo })} style={{ color: '#cf1322' }} data-testid={`void-${p.paymentId}`}>{t('void.action')}</a>}
            </Flex>
          </List.Item>
        )}
      />
    </Card>
  );

  return (
    <PageContainer crumbs={[{ title: t('module') }, { title: t('menu.counter') }]} title={t('menu.counter')}>
      {err && <Alert type="error" message={err} style={{ marginBottom: 12 }} />}
      <Row gutter={[12, 12]} data-testid="counter-page">
        {/* phone: with no shift open the shift card comes first (open it before searching) */}
        <Col xs={{ span: 24, order: shift ? 1 : 2 }} lg={{ span: 14, order: 1 }}>
          <Space direction="vertical" size={12} style={{ width: '100%' }}>
            {searchCard}
            {cartCard}
          </Space>
        </Col>
        <Col xs={{ span: 24, order: shift ? 2 : 1 }} lg={{ span: 10, order: 2 }}>
          <Space direction="vertical" size={12} style={{ width: '100%' }}>
            {shiftCard}
            {paymentsCard}
          </Space>
        </Col>
      </Row>
      <VoidModal
        target={voiding}
        onClose={() => setVoiding(null)}
        onDone={async () => {
          const v = voiding;
          setVoiding(null);
          message.success(t('void.done'));
          if (v) void refreshResult(v.accountNo);
          await loadShift();
        }}
      />
      {shift && detail && <CloseModal open={closing} shift={detail} onClose={() => setClosing(false)} onDone={async (s) => { setClosing(false); setLastClosed(s); setResult(null); await loadShift(); }} />}
      <WaiverModal target={waiving} onClose={() => setWaiving(null)} />
    </PageContainer>
  );
}

function VoidModal({ target, onClose, onDone }: { target: { id: number; receiptNo: string | null; amount: string } | null; onClose: () => void; onDone: () => Promise<void> }) {
  const { t } = usePT();
  const shell = useI18n();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string | null>(null);
  useEffect(() => {
    setReason('');
    setErr(null);
  }, [target]);
  async function submit() {
    if (!target) return;
    if (reason.trim().length < 2) return setErr(t('common.reasonRequired'));
    setBusy(true);
    try {
      await paymentsApi.voidPayment(target.id, reason.trim());
      await onDone();
    } catch (e) {
      setErr(errorText(shell.t, e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal open={!!target} title={t('void.title')} onCancel={onClose} onOk={() => void submit()} confirmLoading={busy} okText={t('void.action')} okButtonProps={{ danger: true, 'data-testid': 'void-ok' } as never} cancelText={t('common.cancel')} destroyOnHidden>
      {target && <Typography.Paragraph>{target.receiptNo} · {formatMoney(target.amount)}</Typography.Paragraph>}
      <Form layout="vertical">
        <Form.Item label={t('common.reason')} required validateStatus={err ? 'error' : undefined} help={err ?? undefined}>
          <Input.TextArea value={reason} onChange={(e) => setReason(e.target.value)} rows={2} maxLength={500} data-testid="void-reason" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function CloseModal({ open, shift, onClose, onDone }: { open: boolean; shift: ShiftDetail; onClose: () => void; onDone: (s: Shift) => Promise<void> }) {
  const { t } = usePT();
  const shell = useI18n();
  const [counted, setCounted] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string | null>(null);
  useEffect(() => {
    if (open) {
      setCounted('');
      setReason('');
      setErr(null);
    }
  }, [open]);
  const floatFen = apiFen(shift.openingFloat) ?? 0n;
  const cashFen = apiFen(shift.systemCashNow) ?? 0n;
  const expected = floatFen + cashFen;
  const countedFen = counted.trim() ? parseFen(counted) : null;
  const diff = countedFen === null ? null : countedFen - expected;
  async function submit() {
    if (countedFen === null) return setErr(t('cart.amountInvalid'));
    if (diff !== 0n && reason.trim().length < 2) return setErr(t('shift.diffReasonRequired'));
    setBusy(true);
    try {
      const s = await paymentsApi.closeShift(shift.id, counted.trim(), reason.trim() || undefined);
      await onDone(s);
    } catch (e) {
      setErr(e instanceof ApiError && e.field ? `${e.field}: ${fieldMessage(e)}` : errorText(shell.t, e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal open={open} title={t('shift.closeTitle')} onCancel={onClose} onOk={() => void submit()} confirmLoading={busy} okText={t('shift.close')} okButtonProps={{ danger: true, 'data-testid': 'close-ok' } as never} cancelText={t('common.cancel')} destroyOnHidden>
      <Descriptions size="small" column={1} bordered style={{ marginBottom: 12 }}>
        <Descriptions.Item label={t('shift.float')}><Money value={shift.openingFloat} /></Descriptions.Item>
        <Descriptions.Item label={t('shift.cash')}><Money value={shift.systemCashNow} /></Descriptions.Item>
        <Descriptions.Item label={<span>{t('shift.expected')} <Typography.Text type="secondary" style={{ fontSize: 12 }}>({t('shift.expectedHint')})</Typography.Text></span>}>
          <b data-testid="close-expected">{formatMoney(fenStr(expected))}</b>
        </Descriptions.Item>
        <Descriptions.Item label={t('shift.difference')}>
          <span data-testid="close-difference" style={{ color: diff ? '#cf1322' : undefined }}>{diff === null ? '—' : formatMoney(fenStr(diff))}</span>
        </Descriptions.Item>
      </Descriptions>
      <Form layout="vertical">
        <Form.Item label={t('shift.counted')} required>
          <Input prefix="¥" value={counted} onChange={(e) => setCounted(e.target.value)} inputMode="decimal" data-testid="close-counted" />
        </Form.Item>
        {diff !== null && diff !== 0n && (
          <Form.Item label={t('shift.diffReason')} required>
            <Input.TextArea value={reason} onChange={(e) => setReason(e.target.value)} rows={2} maxLength={500} data-testid="close-reason" />
          </Form.Item>
        )}
        {err && <Alert type="error" showIcon message={err} data-testid="close-error" />}
      </Form>
    </Modal>
  );
}

function WaiverModal({ target, onClose }: { target: { accountNo: string; item: DueItem } | null; onClose: () => void }) {
  const { t } = usePT();
  const shell = useI18n();
  const { message } = App.useApp();
  const [through, setThrough] = useState(todayCst());
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string | null>(null);
  useEffect(() => {
    setThrough(todayCst());
    setReason('');
    setErr(null);
  }, [target]);
  async function submit() {
    if (!target) return;
    if (reason.trim().length < 2) return setErr(t('common.reasonRequired'));
    setBusy(true);
    try {
      await paymentsApi.requestWaiver(target.item.receivableId, through, reason.trim());
      message.success(t('waive.sent'));
      onClose();
    } catch (e) {
      setErr(errorText(shell.t, e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal open={!!target} title={t('waive.title')} onCancel={onClose} onOk={() => void submit()} confirmLoading={busy} okText={t('common.confirm')} cancelText={t('common.cancel')} destroyOnHidden>
      {target && (
        <Typography.Paragraph>
          <Mono value={target.accountNo} copyable={false} /> · {target.item.period} · {t('due.lateFee')} {formatMoney(target.item.lateFee)}
        </Typography.Paragraph>
      )}
      <Form layout="vertical">
        <Form.Item label={t('waive.through')} required>
          <Input type="date" value={through} onChange={(e) => setThrough(e.target.value)} data-testid="waive-through" />
        </Form.Item>
        <Form.Item label={t('common.reason')} required validateStatus={err ? 'error' : undefined} help={err ?? undefined}>
          <Input.TextArea value={reason} onChange={(e) => setReason(e.target.value)} rows={2} maxLength={500} data-testid="waive-reason" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

