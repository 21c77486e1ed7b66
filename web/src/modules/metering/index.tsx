/**
 * Metering tools (计量). Mounted by the shell at `/metering/*`:
 *   /metering/dlt645    报文解析: decode a DL/T 645-2007 frame, build a read frame   (metering.tools)
 */
import type { ReactNode } from 'react';
import { Route, Routes } from 'react-router-dom';
import { Result } from 'antd';
import { useAuth } from '../../app/auth';
import { useI18n } from '../../i18n';
import { hasPerm, PERM_TOOLS } from './api';
import FrameAnalyzerPage from './FrameAnalyzerPage';

function Need({ perm, children }: { perm: string; children: ReactNode }) {
  const { user } = useAuth();
  const { t } = useI18n();
  if (!hasPerm(user?.permissions, perm)) return <Result status="403" title="403" subTitle={t('error.FORBIDDEN')} />;
  return <>{children}</>;
}

export default function MeteringModule() {
  const { t } = useI18n();
  return (
    <Routes>
      <Route path="dlt645" element={<Need perm={PERM_TOOLS}><FrameAnalyzerPage /></Need>} />
      <Route path="*" element={<Result status="404" title="404" subTitle={t('error.pageNotFound')} />} />
    </Routes>
  );
}
