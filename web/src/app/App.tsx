import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { App as AntApp, ConfigProvider, Result, Spin } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { I18nProvider, useI18n } from '../i18n';
import { AuthProvider, useAuth } from './auth';
import { DictProvider } from './dict';
import { AppLayout } from './AppLayout';
import { can, type Capability } from './permissions';
import { LoginPage } from '../modules/auth/LoginPage';
import { HomePage } from '../modules/home/HomePage';

const AccountsPage = lazy(() => import('../modules/archive/AccountsPage'));
const AccountViewPage = lazy(() => import('../modules/archive/AccountViewPage'));
const CustomersPage = lazy(() => import('../modules/archive/CustomersPage'));
const CustomerViewPage = lazy(() => import('../modules/archive/CustomerViewPage'));
const OrgUnitsPage = lazy(() => import('../modules/admin/OrgUnitsPage'));
const UsersPage = lazy(() => import('../modules/admin/UsersPage'));
const RolesPage = lazy(() => import('../modules/admin/RolesPage'));
const AuditPage = lazy(() => import('../modules/admin/AuditPage'));
const JobsPage = lazy(() => import('../modules/admin/JobsPage'));
// module pages owned by other modules, mounted here (their index routes inside)
const TariffsModule = lazy(() => import('../modules/tariffs'));
const MeteringModule = lazy(() => import('../modules/metering'));
const BillingModule = lazy(() => import('../modules/billing'));
const ServiceModule = lazy(() => import('../modules/service'));
const PaymentsModule = lazy(() => import('../modules/payments'));
const PortalModule = lazy(() => import('../modules/portal'));

function FullPageSpin() {
  return (
    <div style={{ minHeight: '60vh', display: 'flex', alignItems: 'center', justifyContent: 'center' }}>
      <Spin size="large" />
    </div>
  );
}

function RequireAuth({ children }: { children: ReactNode }) {
  const { user, loading, loggedOut } = useAuth();
  const location = useLocation();
  if (loading) return <FullPageSpin />;
  if (!user) return <Navigate to="/login" replace state={loggedOut ? null : { from: location.pathname + location.search }} />;
  return <>{children}</>;
}

function RequireCap({ cap, orCap, children }: { cap: Capability; orCap?: Capability | Capability[]; children: ReactNode }) {
  const { user } = useAuth();
  const { t } = useI18n();
  const others = orCap === undefined ? [] : Array.isArray(orCap) ? orCap : [orCap];
  if (!can(user, cap) && !others.some((c) => can(user, c))) return <Result status="403" title="403" subTitle={t('error.FORBIDDEN')} />;
  return <Suspense fallback={<FullPageSpin />}>{children}</Suspense>;
}

function NotFound() {
  const { t } = useI18n();
  return <Result status="404" title="404" subTitle={t('error.pageNotFound')} />;
}

function Themed({ children }: { children: ReactNode }) {
  const { lang } = useI18n();
  useEffect(() => {
    dayjs.locale(lang === 'en' ? 'en' : 'zh-cn');
    document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
  }, [lang]);
  return (
    <ConfigProvider locale={lang === 'en' ? enUS : zhCN} theme={{ token: { colorPrimary: '#1677ff', borderRadius: 6 } }}>
      <AntApp>{children}</AntApp>
    </ConfigProvider>
  );
}

export function App() {
  return (
    <I18nProvider>
      <Themed>
        <AuthProvider>
          <DictProvider>
            <BrowserRouter>
              <Routes>
                <Route path="/login" element={<LoginPage />} />
                <Route
                  element={
                    <RequireAuth>
                      <AppLayout />
                    </RequireAuth>
                  }
                >
                  <Route index element={<HomePage />} />
                  <Route path="archive/accounts" element={<RequireCap cap="account.read"><AccountsPage /></RequireCap>} />
                  <Route path="archive/accounts/:id" element={<RequireCap cap="account.read" orCap="portal.self"><AccountViewPage /></RequireCap>} />
                  <Route path="archive/customers" element={<RequireCap cap="customer.read"><CustomersPage /></RequireCap>} />
                  <Route path="archive/customers/:id" element={<RequireCap cap="customer.read"><CustomerViewPage /></RequireCap>} />
                  <Route path="system/org-units" element={<RequireCap cap="org.read"><OrgUnitsPage /></RequireCap>} />
                  <Route path="system/users" element={<RequireCap cap="user.read"><UsersPage /></RequireCap>} />
                  <Route path="system/roles" element={<RequireCap cap="role.read"><RolesPage /></RequireCap>} />
                  <Route path="system/audit" element={<RequireCap cap="audit.read"><AuditPage /></RequireCap>} />
                  <Route path="system/jobs" element={<RequireCap cap="role.write"><JobsPage /></RequireCap>} />
                  <Route path="tariffs/*" element={<RequireCap cap="tariff.read" orCap="quote.create"><TariffsModule /></RequireCap>} />
                  <Route path="metering/*" element={<RequireCap cap="reading.read" orCap="metering.tools"><MeteringModule /></RequireCap>} />
                  <Route path="billing/*" element={<RequireCap cap="billing.run" orCap={['billing.review', 'billing.adjust', 'billing.adjust.approve']}><BillingModule /></RequireCap>} />
                  <Route path="portal/*" element={<RequireCap cap="portal.self"><PortalModule /></RequireCap>} />
                  <Route path="service/*" element={<Suspense fallback={<FullPageSpin />}><ServiceModule /></Suspense>} />
                  {/* payments checks payment.collect / payment.supervise itself (not in the capability table yet) */}
                  <Route path="payments/*" element={<Suspense fallback={<FullPageSpin />}><PaymentsModule /></Suspense>} />
                  <Route path="*" element={<NotFound />} />
                </Route>
              </Routes>
            </BrowserRouter>
          </DictProvider>
        </AuthProvider>
      </Themed>
    </I18nProvider>
  );
}
