/**
 * Tariff module (电价目录 / 电费试算). Mounted by the shell at `/tariffs/*`:
 *   /tariffs            catalogue list, import / export JSON         (tariff.read)
 *   /tariffs/compare    two versions side by side                     (tariff.read)
 *   /tariffs/quote      电费试算 for an account or a tariff           (quote.create)
 *   /tariffs/:id        one version: components, ladder, TOU bars …   (tariff.read)
 */
import type { ReactNode } from 'react';
import { Route, Routes } from 'react-router-dom';
import { Result } from 'antd';
import { useAuth } from '../../app/auth';
import { useI18n } from '../../i18n';
import { hasPerm } from './api';
import TariffListPage from './TariffListPage';
import TariffViewPage from './TariffViewPage';
import TariffComparePage from './TariffComparePage';
import QuotePage from './QuotePage';

function Need({ perm, children }: { perm: string; children: ReactNode }) {
  const { user } = useAuth();
  const { t } = useI18n();
  if (!hasPerm(user?.permissions, perm)) return <Result status="403" title="403" subTitle={t('error.FORBIDDEN')} />;
  return <>{children}</>;
}

export default function TariffsModule() {
  const { t } = useI18n();
  return (
    <Routes>
      <Route index element={<Need perm="tariff.read"><TariffListPage /></Need>} />
      <Route path="compare" element={<Need perm="tariff.read"><TariffComparePage /></Need>} />
      <Route path="quote" element={<Need perm="quote.create"><QuotePage /></Need>} />
      <Route path=":id" element={<Need perm="tariff.read"><TariffViewPage /></Need>} />
      <Route path="*" element={<Result status="404" title="404" subTitle={t('error.pageNotFound')} />} />
    </Routes>
  );
}
