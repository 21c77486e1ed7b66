/**
 * Billing module (电费核算). Mounted by the shell at `/billing/*`:
 *   /billing/runs        核算任务: list and 新建核算 (billing.run)
 *   /billing/runs/:id    one run: progress, counts, bills, review and issue (billing.run; actions billing.review)
 *   /billing/adjustments 退补管理: rebilling adjustments (billing.adjust / billing.adjust.approve)
 */
import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import { Result, Spin } from 'antd';
import { useI18n } from '../../i18n';

const RunsPage = lazy(() => import('./RunsPage'));
const RunPage = lazy(() => import('./RunPage'));
const AdjustmentsPage = lazy(() => import('./AdjustmentsPage'));

export default function BillingModule() {
  const { t } = useI18n();
  return (
    <Suspense fallback={<Spin style={{ display: 'block', margin: '64px auto' }} />}>
      <Routes>
        <Route index element={<Navigate to="runs" replace />} />
        <Route path="runs" element={<RunsPage />} />
        <Route path="runs/:id" element={<RunPage />} />
        <Route path="adjustments" element={<AdjustmentsPage />} />
        <Route path="*" element={<Result status="404" title="404" subTitle={t('error.pageNotFound')} />} />
      </Routes>
    </Suspense>
  );
}
