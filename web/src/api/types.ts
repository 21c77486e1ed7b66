// Shapes from docs/api.md. Fields the contract leaves open are optional and read defensively.

export interface OrgUnitRef {
  id: number;
  name: string;
  nameEn?: string | null;
  path?: string;
}

export interface User {
  id: number;
  username: string;
  displayName: string;
  roles: string[];
  permissions: string[];
  orgUnit: OrgUnitRef | null;
  accountIds?: number[];
}

export interface Page<T> {
  items: T[];
  total?: number;
  /** the server stopped counting (total is a lower bound) */
  totalCapped?: boolean;
  page?: number;
  pageSize?: number;
}

export interface DictItem {
  code: string;
  zh: string;
  en: string;
}

export type DictKind =
  | 'customerClasses'
  | 'voltageLevels'
  | 'accountStatuses'
  | 'paymentModes'
  | 'basicChargeMethods'
  | 'pfStandards'
  | 'meterTypes'
  | 'registers'
  | 'orgUnitKinds';

export type Dict = Partial<Record<DictKind, DictItem[]>> & Record<string, DictItem[] | undefined>;

export interface OrgUnit {
  id: number;
  parentId: number | null;
  code: string;
  name: string;
  nameEn?: string | null;
  kind: string;
  path?: string;
}

export interface UserRow {
  id: number;
  username: string;
  displayName: string;
  orgUnitId: number;
  orgUnitName?: string;
  roles: string[];
  status: string;
  lockedUntil?: string | null;
  lastLoginAt?: string | null;
}

export interface Role {
  code: string;
  nameZh: string;
  nameEn: string;
  permissions: string[];
  builtin?: boolean;
}

export interface Permission {
  code: string;
  module: string;
  zh: string;
  en: string;
}

export interface AccountRow {
  id: number;
  accountNo: string;
  name: string;
  phoneMasked?: string | null;
  address?: string | null;
  customerClass?: string;
  voltageLevel?: string;
  status?: string;
  orgUnitId?: number;
  orgUnitName?: string;
  tariffCode?: string | null;
  paymentMode?: string;
}

export interface Meter {
  id?: number;
  assetNo: string;
  commAddress?: string | null;
  meterType?: string;
  registers?: string[] | string | null;
  digits?: number | null;
  decimals?: number | null;
  ctPrimary?: number | string | null;
  ctSecondary?: number | string | null;
  ptPrimary?: number | string | null;
  ptSecondary?: number | string | null;
  ctRatio?: string | null;
  ptRatio?: string | null;
  multiplier?: number | string | null;
  installedOn?: string | null;
  removedOn?: string | null;
  status?: string | null;
  [key: string]: unknown;
}

export interface MeteringPoint {
  id: number;
  code?: string;
  name?: string;
  position?: string | null;
  purpose?: string | null;
  meters?: Meter[];
  [key: string]: unknown;
}

export interface AccountDetail {
  id: number;
  accountNo: string;
  name?: string;
  customerId?: number;
  customerClass?: string;
  voltageLevel?: string;
  tariffCode?: string | null;
  contractCapacityKva?: number | string | null;
  basicChargeMethod?: string | null;
  pfStandard?: string | null;
  householdSize?: number | null;
  paymentMode?: string;
  readingRouteId?: number | null;
  transformerAreaId?: number | null;
  orgUnitId?: number;
  status?: string;
  version?: number;
  effectiveFrom?: string | null;
  openedOn?: string | null;
  [key: string]: unknown;
}

export interface Customer {
  id: number;
  name: string;
  kind?: string;
  idType?: string | null;
  idNumber?: string | null;
  idNumberMasked?: string | null;
  phone?: string | null;
  phoneMasked?: string | null;
  address?: string | null;
  email?: string | null;
  version?: number;
  createdAt?: string;
  accounts?: AccountRow[];
  [key: string]: unknown;
}

export interface NamedRef {
  id: number;
  code?: string;
  name?: string;
  [key: string]: unknown;
}

export interface AuditEvent {
  id: number | string;
  occurredAt: string;
  actorName?: string | null;
  actor?: string | null;
  action: string;
  entityType: string;
  entityId?: string | number | null;
  before?: unknown;
  after?: unknown;
  requestId?: string | null;
}

export interface HistoryRow {
  [key: string]: unknown;
}

export interface Account360 {
  account: AccountDetail;
  customer?: Customer | null;
  orgUnit?: OrgUnitRef | null;
  transformerArea?: NamedRef | null;
  feeder?: NamedRef | null;
  readingRoute?: NamedRef | null;
  meteringPoints?: MeteringPoint[];
  history?: HistoryRow[];
  audit?: AuditEvent[];
}

export interface AuditVerifyResult {
  ok: boolean;
  checked: number;
  firstBrokenId?: number | string | null;
  reason?: string | null;
}
