/** Calls of the VEE rule-set page (src/api/metering/rule-sets.routes.ts, docs/metering.md § VEE). */
import { api } from '../../api/client';

export type ParamKey =
  | 'spikeRatio' | 'dropRatio' | 'minHistoryDailyKwh' | 'zeroLoadDailyKwh' | 'rolloverMaxFraction'
  | 'sumToleranceAbs' | 'sumToleranceRel' | 'demandTolerance' | 'futureSkewMinutes' | 'missingGraceDays';

export type RuleParams = Record<ParamKey, number>;

/** allowed range of one threshold, as the server checks it */
export interface ParamSpec {
  key: ParamKey;
  type: 'number' | 'integer';
  min: number;
  minExclusive?: boolean;
  max: number;
  unit?: string;
}

export interface RuleSetVersion {
  version: string;
  status: 'draft' | 'active' | 'retired';
  params: RuleParams;
  note: string | null;
  basedOn: string | null;
  createdBy: string | null;
  createdAt: string | null;
  activatedBy: string | null;
  activatedAt: string | null;
  retiredAt: string | null;
}

export const PERM_RULES = 'reading.rules';

export const rulesApi = {
  list: () => api.get<{ items: RuleSetVersion[]; active: string | null; params: ParamSpec[] }>('/metering/rule-sets'),
  active: () => api.get<RuleSetVersion & { specs: ParamSpec[] }>('/metering/rule-sets/active'),
  createDraft: (params: Partial<RuleParams>, note?: string) => api.post<RuleSetVersion>('/metering/rule-sets', { params, note: note || null }),
  activate: (version: string) => api.post<RuleSetVersion & { previous: string | null }>(`/metering/rule-sets/${encodeURIComponent(version)}/activate`, {}),
  retire: (version: string) => api.post<RuleSetVersion>(`/metering/rule-sets/${encodeURIComponent(version)}/retire`),
};

/** The same check as the server (rule-sets.ts checkParam); returns an error key or null. */
export function paramError(spec: ParamSpec, v: unknown): 'number' | 'integer' | 'range' | null {
  if (typeof v !== 'number' || !Number.isFinite(v)) return 'number';
  if (spec.type === 'integer' && !Number.isInteger(v)) return 'integer';
  const low = spec.minExclusive ? v > spec.min : v >= spec.min;
  return low && v <= spec.max ? null : 'range';
}
