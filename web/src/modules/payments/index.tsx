/**
 * Payments module (收费管理). Mounted by the shell at `/payments/*`; the module itself checks the
 * payment permissions (they are not in the shell's capability table):
 *   /payments/counter         柜台收费 / 走收 (payment.collect)
 *   /payments/supervise       收费稽核: shifts, waivers (payment.supervise)
 *   /payments/reconciliation  对账 (import: payment.collect; resolve: payment.supervise)
 *   /payments/arrears         欠费管理 (payment.collect or payment.supervise)
 *   /payments/prepaid         预付费管理 (PrepaidPage, prepaid.manage or payment.collect / supervise)
 *   /payments/cutoff          停复电管理 (CutoffPage, cutoff.handle / cutoff.execute or payment.supervise)
 *   /payments/refunds         退费管理 (RefundsPage, payment.collect or payment.supervise)
 */
import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import { Result, Spin } from 'antd';
import { useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { canCollect, canPayments, canSupervise, hasAnyPerm } from './perm';

const CounterPage = lazy(() => import('./CounterPage'));
const SupervisePage = lazy(() => import('./SupervisePage'));
const ReconcilePage = lazy(() => import('./ReconcilePage'));
const ArrearsPage = lazy(() => import('./ArrearsPage'));
const PrepaidPage = lazy(() => import('./PrepaidPage'));
const CutoffPage = lazy(() => import('./CutoffPage'));
const RefundsPage = lazy(() => import('./RefundsPage'));

const PREPAID_PERMS = ['prepaid.manage', 'payment.collect', 'payment.supervise'];
const CUTOFF_PERMS = ['cutoff.handle', 'cutoff.execute', 'payment.supervise'];

function Guard({ ok, children }: { ok: boolean; children: ReactNode }) {
  const { t } = useI18n();
  if (!ok) return <Result status="403" title="403" subTitle={t('error.FORBIDDEN')} />;
  return <>{children}</>;
}

export default function PaymentsModule() {
  const { t } = useI18n();
  const { user } = useAuth();
  if (!canPayments(user) && !hasAnyPerm(user, [...PREPAID_PERMS, ...CUTOFF_PERMS])) return <Result status="403" title="403" subTitle={t('error.FORBIDDEN')} />;
  return (
    <Suspense fallback={<Spin style={{ display: 'block', margin: '64px auto' }} />}>
      <Routes>
        <Route index element={<Navigate to={canCollect(user) ? 'counter' : canSupervise(user) ? 'supervise' : hasAnyPerm(user, PREPAID_PERMS) ? 'prepaid' : 'cutoff'} replace />} />
        <Route path="counter" element={<Guard ok={canCollect(user)}><CounterPage /></Guard>} />
        <Route path="supervise" element={<Guard ok={canSupervise(user)}><SupervisePage /></Guard>} />
        <Route path="reconciliation" element={<Guard ok={canPayments(user)}><ReconcilePage /></Guard>} />
        <Route path="arrears" element={<Guard ok={canPayments(user)}><ArrearsPage /></Guard>} />
        <Route path="prepaid" element={<Guard ok={hasAnyPerm(user, PREPAID_PERMS)}><PrepaidPage /></Guard>} />
        <Route path="cutoff" element={<Guard ok={hasAnyPerm(user, CUTOFF_PERMS)}><CutoffPage /></Guard>} />
        <Route path="refunds" element={<Guard ok={canPayments(user)}><RefundsPage /></Guard>} />
        <Route path="*" element={<Result status="404" title="404" subTitle={t('error.pageNotFound')} />} />
      </Routes>
    </Suspense>
  );
}
