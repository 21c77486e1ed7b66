/**
 * Customer portal module (客户自助), mounted by the shell at `/portal/*` (portal.self), phone first:
 *   /portal               我的户号: amount due, due date, overdue, late fee; tabs 账单 / 用电量 / 缴费记录
 *   /portal/bills/:id     one bill: lines, readings, usage chart, 下载PDF
 *   /portal/pay/:id       在线缴费 (simulated online channel) and the receipt
 */
import { lazy, Suspense } from 'react';
import { Route, Routes } from 'react-router-dom';
import { Result, Spin } from 'antd';
import { useI18n } from '../../i18n';

const PortalPage = lazy(() => import('./PortalPage'));
const BillPage = lazy(() => import('./BillPage'));
const PayPage = lazy(() => import('./PayPage'));

export default function PortalModule() {
  const { t } = useI18n();
  return (
    <Suspense fallback={<Spin style={{ display: 'block', margin: '64px auto' }} />}>
      <Routes>
        <Route index element={<PortalPage />} />
        <Route path="bills/:id" element={<BillPage />} />
        <Route path="pay/:accountId" element={<PayPage />} />
        <Route path="*" element={<Result status="404" title="404" subTitle={t('error.pageNotFound')} />} />
      </Routes>
    </Suspense>
  );
}
