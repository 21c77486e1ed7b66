/**
 * Service-request module (业扩报装与变更用电). Mounted by the shell at `/service/*`:
 *   /service           work queue with days left / overdue in colour         (request.handle or stats.read)
 *   /service/new       counter application with documents and acceptance slip (request.handle)
 *   /service/report    on-time rate per stage and per 供电所 (ECharts)          (stats.read or request.handle)
 *   /service/my        the customer's apply / progress page (phone width)     (portal.self)
 *   /service/calendar  节假日日历: year month grid, edit days, import a year      (role.write; read-only for request.handle / stats.read)
 *   /service/sla       时限配置: SLA profiles per type and stage                 (role.write)
 *   /service/:id       request detail: stage timeline, documents, actions     (any of the above, server-checked)
 */
import { lazy, Suspense, type ReactNode } from 'react';
import { Route, Routes } from 'react-router-dom';
import { Result, Spin } from 'antd';
import { useAuth } from '../../app/auth';
import { useI18n } from '../../i18n';
import { hasPerm } from './api';

const QueuePage = lazy(() => import('./QueuePage'));
const NewRequestPage = lazy(() => import('./NewRequestPage'));
const RequestDetailPage = lazy(() => import('./RequestDetailPage'));
const ReportPage = lazy(() => import('./ReportPage'));
const MyRequestsPage = lazy(() => import('./MyRequestsPage'));
const CalendarPage = lazy(() => import('./CalendarPage'));
const SlaProfilesPage = lazy(() => import('./SlaProfilesPage'));

function Need({ perms, children }: { perms: string[]; children: ReactNode }) {
  const { user } = useAuth();
  const { t } = useI18n();
  if (!perms.some((p) => hasPerm(user?.permissions, p))) return <Result status="403" title="403" subTitle={t('error.FORBIDDEN')} />;
  return <Suspense fallback={<Spin style={{ display: 'block', margin: '64px auto' }} />}>{children}</Suspense>;
}

export default function ServiceModule() {
  const { t } = useI18n();
  return (
    <Routes>
      <Route index element={<Need perms={['request.handle', 'stats.read']}><QueuePage /></Need>} />
      <Route path="new" element={<Need perms={['request.handle']}><NewRequestPage /></Need>} />
      <Route path="report" element={<Need perms={['stats.read', 'request.handle']}><ReportPage /></Need>} />
      <Route path="my" element={<Need perms={['portal.self']}><MyRequestsPage /></Need>} />
      <Route path="calendar" element={<Need perms={['role.write', 'request.handle', 'stats.read']}><CalendarPage /></Need>} />
      <Route path="sla" element={<Need perms={['role.write']}><SlaProfilesPage /></Need>} />
      <Route path=":id" element={<Need perms={['request.handle', 'stats.read', 'portal.self']}><RequestDetailPage /></Need>} />
      <Route path="*" element={<Result status="404" title="404" subTitle={t('error.pageNotFound')} />} />
    </Routes>
  );
}
