/**
 * Metering module (计量). Mounted by the shell at `/metering/*`. Each page owns its file and its
 * strings (`<page>.i18n.ts` or a folder); this file only routes:
 *   /metering/field       移动抄表: the meter reader's phone app (offline queue)   (reading.write)
 *   /metering/routes      抄表段管理: reading day, reader, task generation         (reading.review)
 *   /metering/import      抄表数据导入: CSV / Excel with a per-row report           (reading.write)
 *   /metering/review      示数复核: the VEE exception queue                        (reading.review)
 *   /metering/collection  采集监控: head-end runs, 采集成功率 per route, failures   (reading.read)
 *   /metering/rules       校核规则: VEE rule-set versions and thresholds           (reading.review)
 *   /metering/missing     漏抄监控: tasks overdue past the grace days, check now     (reading.review)
 *   /metering/dlt645      报文解析: decode a DL/T 645-2007 frame, build a read frame (metering.tools)
 */
import { lazy, Suspense, type ReactNode } from 'react';
import { Route, Routes } from 'react-router-dom';
import { Result, Spin } from 'antd';
import { useAuth } from '../../app/auth';
import { useI18n } from '../../i18n';
import { hasPerm, PERM_TOOLS } from './api';
import FrameAnalyzerPage from './FrameAnalyzerPage';

const FieldApp = lazy(() => import('./field/FieldApp'));
const RoutesPage = lazy(() => import('./RoutesPage'));
const ImportPage = lazy(() => import('./ImportPage'));
const ReviewPage = lazy(() => import('./ReviewPage'));
const CollectionPage = lazy(() => import('./CollectionPage'));
const RuleSetPage = lazy(() => import('./RuleSetPage'));
const MissingReadingsPage = lazy(() => import('./MissingReadingsPage'));

function Need({ perm, children }: { perm: string; children: ReactNode }) {
  const { user } = useAuth();
  const { t } = useI18n();
  if (!hasPerm(user?.permissions, perm)) return <Result status="403" title="403" subTitle={t('error.FORBIDDEN')} />;
  return <Suspense fallback={<Spin style={{ display: 'block', margin: '64px auto' }} />}>{children}</Suspense>;
}

export default function MeteringModule() {
  const { t } = useI18n();
  return (
    <Routes>
      <Route path="field/*" element={<Need perm="reading.write"><FieldApp /></Need>} />
      <Route path="routes" element={<Need perm="reading.review"><RoutesPage /></Need>} />
      <Route path="import" element={<Need perm="reading.write"><ImportPage /></Need>} />
      <Route path="review" element={<Need perm="reading.review"><ReviewPage /></Need>} />
      <Route path="collection" element={<Need perm="reading.read"><CollectionPage /></Need>} />
      <Route path="rules" element={<Need perm="reading.review"><RuleSetPage /></Need>} />
      <Route path="missing" element={<Need perm="reading.review"><MissingReadingsPage /></Need>} />
      <Route path="dlt645" element={<Need perm={PERM_TOOLS}><FrameAnalyzerPage /></Need>} />
      <Route path="*" element={<Result status="404" title="404" subTitle={t('error.pageNotFound')} />} />
    </Routes>
  );
}
