/**
 * Permission catalogue and built-in roles. A permission is `module.action`; a role is a set of
 * permissions; data scope is the user's org-unit subtree (see scope.ts).
 */
export interface PermissionDef {
  code: string;
  module: string;
  zh: string;
  en: string;
}

export const PERMISSIONS: PermissionDef[] = [
  { code: 'org.read', module: 'org', zh: '查看供电单位', en: 'View org units' },
  { code: 'org.write', module: 'org', zh: '维护供电单位', en: 'Manage org units' },
  { code: 'user.read', module: 'security', zh: '查看用户', en: 'View users' },
  { code: 'user.write', module: 'security', zh: '维护用户', en: 'Manage users' },
  { code: 'role.write', module: 'security', zh: '维护角色', en: 'Manage roles' },
  { code: 'audit.read', module: 'security', zh: '查看审计日志', en: 'View audit trail' },
  { code: 'audit.verify', module: 'security', zh: '校验审计链', en: 'Verify audit chain' },
  { code: 'account.read', module: 'archive', zh: '查看用电户', en: 'View accounts' },
  { code: 'account.write', module: 'archive', zh: '维护用电户', en: 'Edit accounts' },
  { code: 'customer.read', module: 'archive', zh: '查看客户', en: 'View customers' },
  { code: 'customer.write', module: 'archive', zh: '维护客户', en: 'Edit customers' },
  { code: 'customer.pii', module: 'archive', zh: '查看客户敏感信息', en: 'See unmasked personal data' },
  { code: 'grid.read', module: 'archive', zh: '查看线路台区', en: 'View feeders and transformer areas' },
  { code: 'grid.write', module: 'archive', zh: '维护线路台区', en: 'Edit feeders and transformer areas' },
  { code: 'meter.read', module: 'archive', zh: '查看计量装置', en: 'View meters' },
  { code: 'meter.write', module: 'archive', zh: '维护计量装置', en: 'Edit meters' },
  { code: 'tariff.read', module: 'tariff', zh: '查看电价', en: 'View tariffs' },
  { code: 'tariff.write', module: 'tariff', zh: '维护电价', en: 'Edit tariffs' },
  { code: 'quote.create', module: 'tariff', zh: '电费试算', en: 'Quote a bill' },
  { code: 'reading.read', module: 'metering', zh: '查看抄表数据', en: 'View readings' },
  { code: 'reading.write', module: 'metering', zh: '录入抄表数据', en: 'Enter readings' },
  { code: 'reading.review', module: 'metering', zh: '抄表数据审核', en: 'Review readings' },
  { code: 'reading.rules', module: 'metering', zh: '维护抄表校核规则', en: 'Manage reading validation rules' },
  { code: 'collection.run', module: 'metering', zh: '采集召测', en: 'Run meter collection and on-demand reads' },
  { code: 'metering.tools', module: 'metering', zh: '计量工具（报文解析）', en: 'Metering tools (frame analyzer)' },
  { code: 'billing.run', module: 'billing', zh: '电费核算', en: 'Run billing' },
  { code: 'billing.review', module: 'billing', zh: '电费审核发行', en: 'Review and issue bills' },
  { code: 'billing.adjust', module: 'billing', zh: '退补电费申请', en: 'Create rebilling adjustments' },
  { code: 'billing.adjust.approve', module: 'billing', zh: '退补电费审批', en: 'Approve rebilling adjustments' },
  { code: 'payment.collect', module: 'payments', zh: '收费', en: 'Collect payments' },
  { code: 'payment.supervise', module: 'payments', zh: '收费稽核', en: 'Supervise collections' },
  { code: 'prepaid.manage', module: 'payments', zh: '预付费管理', en: 'Manage prepaid accounts' },
  { code: 'cutoff.handle', module: 'payments', zh: '停复电工单办理', en: 'Handle cut-off and reconnection orders' },
  { code: 'cutoff.execute', module: 'payments', zh: '停电执行(费控)', en: 'Execute cut-offs (remote control)' },
  { code: 'request.handle', module: 'service', zh: '业扩变更办理', en: 'Handle service requests' },
  { code: 'inspection.handle', module: 'inspection', zh: '用电检查', en: 'Handle inspections' },
  { code: 'stats.read', module: 'analytics', zh: '统计分析', en: 'Statistics and analytics' },
  { code: 'portal.self', module: 'portal', zh: '客户自助', en: 'Customer self-service' },
];

export const PERMISSION_CODES = new Set(PERMISSIONS.map((p) => p.code));

export interface RoleDef {
  code: string;
  zh: string;
  en: string;
  permissions: string[];
}

const all = PERMISSIONS.filter((p) => p.code !== 'portal.self').map((p) => p.code);

export const BUILTIN_ROLES: RoleDef[] = [
  { code: 'administrator', zh: '系统管理员', en: 'Administrator', permissions: all },
  {
    code: 'counter_clerk', zh: '营业员', en: 'Counter clerk',
    permissions: ['org.read', 'account.read', 'account.write', 'customer.read', 'customer.write', 'grid.read', 'meter.read', 'tariff.read', 'quote.create', 'reading.read', 'request.handle'],
  },
  {
    code: 'meter_reader', zh: '抄表员', en: 'Meter reader',
    permissions: ['org.read', 'account.read', 'meter.read', 'reading.read', 'reading.write', 'collection.run', 'metering.tools'],
  },
  {
    code: 'billing_checker', zh: '核算员', en: 'Billing checker',
    permissions: ['org.read', 'account.read', 'customer.read', 'grid.read', 'meter.read', 'tariff.read', 'quote.create', 'reading.read', 'reading.review', 'reading.rules', 'collection.run', 'billing.run', 'billing.review', 'billing.adjust', 'billing.adjust.approve'],
  },
  {
    code: 'collector', zh: '收费员', en: 'Collector',
    permissions: ['org.read', 'account.read', 'customer.read', 'payment.collect', 'prepaid.manage', 'cutoff.handle'],
  },
  {
    code: 'service_engineer', zh: '业扩工程师', en: 'Service engineer',
    permissions: ['org.read', 'account.read', 'account.write', 'customer.read', 'customer.write', 'grid.read', 'meter.read', 'meter.write', 'tariff.read', 'request.handle', 'metering.tools'],
  },
  {
    code: 'inspector', zh: '用电检查员', en: 'Inspector',
    permissions: ['org.read', 'account.read', 'customer.read', 'grid.read', 'meter.read', 'reading.read', 'collection.run', 'inspection.handle', 'metering.tools'],
  },
  {
    code: 'analyst', zh: '分析员', en: 'Analyst',
    permissions: ['org.read', 'account.read', 'grid.read', 'meter.read', 'tariff.read', 'reading.read', 'stats.read'],
  },
  {
    code: 'manager', zh: '供电所长', en: 'Manager',
    permissions: ['org.read', 'user.read', 'audit.read', 'account.read', 'customer.read', 'grid.read', 'meter.read', 'tariff.read', 'reading.read', 'stats.read', 'payment.supervise', 'billing.adjust.approve', 'prepaid.manage', 'cutoff.handle', 'cutoff.execute'],
  },
  { code: 'customer', zh: '客户', en: 'Customer', permissions: ['portal.self'] },
];

export function permissionsOf(roleCodes: string[], roles: Array<{ code: string; permissions: string[] }>): string[] {
  const set = new Set<string>();
  for (const r of roles) if (roleCodes.includes(r.code)) for (const p of r.permissions) set.add(p);
  return [...set].sort();
}
