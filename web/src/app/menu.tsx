import type { ReactNode } from 'react';
import {
  MobileOutlined,
  NodeIndexOutlined,
  UploadOutlined,
  FileSearchOutlined,
  WifiOutlined,
  CalendarOutlined,
  ControlOutlined,
  FieldTimeOutlined,
  WarningOutlined,
  ApartmentOutlined,
  CalculatorOutlined,
  DollarOutlined,
  DashboardOutlined,
  ExperimentOutlined,
  ProfileOutlined,
  SwapOutlined,
  AuditOutlined,
  DatabaseOutlined,
  HomeOutlined,
  IdcardOutlined,
  SafetyCertificateOutlined,
  SettingOutlined,
  TeamOutlined,
  UserOutlined,
  WalletOutlined,
} from '@ant-design/icons';
import type { User } from '../api/types';
import type { MessageKey } from '../i18n';
import { can, type Capability } from './permissions';

export interface MenuLeaf {
  path: string;
  labelKey: MessageKey;
  icon: ReactNode;
  cap?: Capability;
  /** raw permission codes, any of which shows the entry (for codes not in the capability table) */
  perms?: string[];
}

export interface MenuGroup {
  key: string;
  labelKey: MessageKey;
  icon: ReactNode;
  children: MenuLeaf[];
}

export type MenuEntry = MenuLeaf | MenuGroup;

/** The whole menu; `visibleMenu` keeps only what the user may use. Only pages that exist. */
export const MENU: MenuEntry[] = [
  { path: '/', labelKey: 'menu.home', icon: <HomeOutlined /> },
  {
    key: 'archive',
    labelKey: 'menu.archive',
    icon: <DatabaseOutlined />,
    children: [
      { path: '/archive/accounts', labelKey: 'menu.accounts', icon: <IdcardOutlined />, cap: 'account.read' },
      { path: '/archive/customers', labelKey: 'menu.customers', icon: <UserOutlined />, cap: 'customer.read' },
    ],
  },
  {
    key: 'tariffs',
    labelKey: 'menu.tariffs',
    icon: <DollarOutlined />,
    children: [
      { path: '/tariffs', labelKey: 'menu.tariffCatalogue', icon: <ProfileOutlined />, cap: 'tariff.read' },
      { path: '/tariffs/compare', labelKey: 'menu.tariffCompare', icon: <SwapOutlined />, cap: 'tariff.read' },
      { path: '/tariffs/quote', labelKey: 'menu.quote', icon: <CalculatorOutlined />, cap: 'quote.create' },
    ],
  },
  {
    key: 'metering',
    labelKey: 'menu.metering',
    icon: <DashboardOutlined />,
    children: [
      { path: '/metering/field', labelKey: 'menu.fieldReading', icon: <MobileOutlined />, cap: 'reading.write' },
      { path: '/metering/routes', labelKey: 'menu.readingRoutes', icon: <NodeIndexOutlined />, cap: 'reading.review' },
      { path: '/metering/import', labelKey: 'menu.readingImport', icon: <UploadOutlined />, cap: 'reading.write' },
      { path: '/metering/review', labelKey: 'menu.readingReview', icon: <FileSearchOutlined />, cap: 'reading.review' },
      { path: '/metering/collection', labelKey: 'menu.collection', icon: <WifiOutlined />, cap: 'reading.read' },
      { path: '/metering/rules', labelKey: 'menu.veeRules', icon: <ControlOutlined />, cap: 'reading.review' },
      { path: '/metering/missing', labelKey: 'menu.missingReadings', icon: <WarningOutlined />, cap: 'reading.review' },
      { path: '/metering/dlt645', labelKey: 'menu.frameAnalyzer', icon: <ExperimentOutlined />, cap: 'metering.tools' },
    ],
  },
  {
    key: 'billing',
    labelKey: 'menu.billing',
    icon: <CalculatorOutlined />,
    children: [
      { path: '/billing/runs', labelKey: 'menu.billingRuns', icon: <FileSearchOutlined />, cap: 'billing.run' },
      { path: '/billing/adjustments', labelKey: 'menu.billingAdjustments', icon: <AuditOutlined />, perms: ['billing.adjust', 'billing.adjust.approve'] },
    ],
  },
  {
    key: 'payments',
    labelKey: 'menu.payments',
    icon: <DollarOutlined />,
    children: [
      { path: '/payments/counter', labelKey: 'menu.paymentsCounter', icon: <CalculatorOutlined />, perms: ['payment.collect'] },
      { path: '/payments/supervise', labelKey: 'menu.paymentsSupervise', icon: <AuditOutlined />, perms: ['payment.supervise'] },
      { path: '/payments/reconciliation', labelKey: 'menu.paymentsReconciliation', icon: <SwapOutlined />, perms: ['payment.collect', 'payment.supervise'] },
      { path: '/payments/arrears', labelKey: 'menu.paymentsArrears', icon: <FileSearchOutlined />, perms: ['payment.collect', 'payment.supervise'] },
      { path: '/payments/prepaid', labelKey: 'menu.paymentsPrepaid', icon: <WifiOutlined />, perms: ['prepaid.manage', 'payment.collect', 'payment.supervise'] },
      { path: '/payments/cutoff', labelKey: 'menu.paymentsCutoff', icon: <ControlOutlined />, perms: ['cutoff.handle', 'cutoff.execute', 'payment.supervise'] },
      { path: '/payments/refunds', labelKey: 'menu.paymentsRefunds', icon: <AuditOutlined />, perms: ['payment.collect', 'payment.supervise'] },
    ],
  },
  { path: '/portal', labelKey: 'module.portal', icon: <WalletOutlined />, cap: 'portal.self' },
  {
    key: 'service',
    labelKey: 'menu.service',
    icon: <ProfileOutlined />,
    children: [
      { path: '/service', labelKey: 'menu.serviceQueue', icon: <FileSearchOutlined />, cap: 'request.handle' },
      { path: '/service/new', labelKey: 'menu.serviceNew', icon: <UploadOutlined />, cap: 'request.handle' },
      { path: '/service/report', labelKey: 'menu.serviceReport', icon: <DashboardOutlined />, cap: 'stats.read' },
      { path: '/service/my', labelKey: 'menu.serviceMy', icon: <MobileOutlined />, cap: 'portal.self' },
      { path: '/service/calendar', labelKey: 'menu.serviceCalendar', icon: <CalendarOutlined />, cap: 'role.write' },
      { path: '/service/sla', labelKey: 'menu.serviceSla', icon: <FieldTimeOutlined />, cap: 'role.write' },
    ],
  },
  {
    key: 'system',
    labelKey: 'menu.system',
    icon: <SettingOutlined />,
    children: [
      { path: '/system/org-units', labelKey: 'menu.orgUnits', icon: <ApartmentOutlined />, cap: 'org.read' },
      { path: '/system/users', labelKey: 'menu.users', icon: <TeamOutlined />, cap: 'user.read' },
      { path: '/system/roles', labelKey: 'menu.roles', icon: <SafetyCertificateOutlined />, cap: 'role.read' },
      { path: '/system/audit', labelKey: 'menu.audit', icon: <AuditOutlined />, cap: 'audit.read' },
      { path: '/system/jobs', labelKey: 'menu.jobs', icon: <FieldTimeOutlined />, cap: 'role.write' },
    ],
  },
];

export function isGroup(e: MenuEntry): e is MenuGroup {
  return 'children' in e;
}

export function visibleMenu(user: User | null): MenuEntry[] {
  const out: MenuEntry[] = [];
  for (const e of MENU) {
    if (isGroup(e)) {
      const children = e.children.filter((c) => (!c.cap || can(user, c.cap)) && (!c.perms || c.perms.some((p) => user?.permissions?.includes(p) || user?.permissions?.includes('*'))));
      if (children.length) out.push({ ...e, children });
    } else if (!e.cap || can(user, e.cap)) out.push(e);
  }
  return out;
}

/** All leaves the user may open (for Home shortcuts and route guards). */
export function visibleLeaves(user: User | null): MenuLeaf[] {
  return visibleMenu(user).flatMap((e) => (isGroup(e) ? e.children : [e]));
}
