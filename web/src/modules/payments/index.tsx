/**
 * Payments module (收费管理). Mounted by the shell at `/payments/*`; the module itself checks the
 * payment permissions (they are not in the shell's capability table):
 *   /payments/counter         柜台收费 / 走收 (payment.collect)
 *   /payments/supervise       收费稽核: shifts, waivers (payment.supervise)
 *   /payments/reconciliation  对账 (import: payment.collect; resolve: payment.supervise)
 *   /payments/arrears         欠费管理 (payment.collect or payment.supervise)
 */
import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import { Result, Spin } from 'antd';
import { useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { canCollect, canPayments, canSupervise } from './perm';

const CounterPage = lazy(() => import('./CounterPage'));
const SupervisePage = lazy(() => import('./SupervisePage'));
const ReconcilePage = lazy(() => import('./ReconcilePage'));
const ArrearsPage = lazy(() => import('./ArrearsPage'));

function Guard({ ok, children }: { ok: boolean; children: ReactNode }) {
  const { t } = useI18n();
  if (!ok) return <Result status="403" title="403" subTitle={t('error.FORBIDDEN')} />;
  return <>{children}</>;
}

export default function PaymentsModule() {
  const { t } = useI18n();
  const { user } = useAuth();
  if (!canPayments(user)) return <Result status="403" title="403" subTitle={t('error.FORBIDDEN')} />;
  return (
    <Suspense fallback={<Spin style={{ display: 'block', margin: '64px auto' }} />}>
      <Routes>
        <Route index element={<Navigate to={canCollect(user) ? 'counter' : 'supervise'} replace />} />
        <Route path="counter" element={<Guard ok={canCollect(user)}><CounterPage /></Guard>} />
        <Route path="supervise" element={<Guard ok={canSupervise(user)}><SupervisePage /></Guard>} />
        <Route path="reconciliation" element={<ReconcilePage />} />
        <Route path="arrears" element={<ArrearsPage />} />
        <Route path="*" element={<Result status="404" title="404" subTitle={t('error.pageNotFound')} />} />
      </Routes>
    </Suspense>
  );
}
