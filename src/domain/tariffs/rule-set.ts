/**
 * Versioned rule-set values (domain-cn §12 VERIFY list). Every value that the spec marks VERIFY
 * or [L] lives here with the spec's default, so a utility changes it in tariff data, not code.
 * A tariff version may override any field under `ruleSet`.
 */
export interface PfStep {
  /** number of 0.01 PF steps this slope applies to; omitted = unlimited */
  count?: number;
  /** adjustment per 0.01 step, in percent, decimal string (e.g. "0.5") */
  pctPerStep: string;
}

export interface RuleSet {
  id: string;
  sourceDoc: string;
  /** §1.5 monthly ladder, non-standard period: thresholds × days/30 (DAYS_OVER_30) or × months (MONTHS). VERIFY §12.4 */
  ladderProration: 'DAYS_OVER_30' | 'MONTHS';
  /** a monthly-ladder period of [min, max] calendar days counts as one standard month (no proration) */
  standardPeriodDays: [number, number];
  /** §1.7 一户多人口. VERIFY §12.4 */
  household: { minSize: number; addKwhPerMonth: number; scope: 'ALL_THRESHOLDS' | 'FIRST_THRESHOLD_ONLY' };
  /** §2.3 TOU registers may differ from the total register by at most this many kWh */
  touSumToleranceKwh: string;
  /** §2.3 where the register/curve difference goes (project decision) */
  touReconcile: 'PRO_RATA' | 'FLAT';
  /** §3.4 contract demand floor as a share of capacity */
  contractDemandFloorRatio: string;
  /** §3.4 105 % rule */
  overrunThresholdRatio: string;
  /** §3.4 extra multiple of the demand price charged on demand above the threshold ("加一倍" = 1) */
  overrunPenaltyMultiplier: string;
  /** §3.4 / 526号 260 kWh/kVA → 90 %. VERIFY §12.2 */
  highLoadKwhPerKva: string;
  highLoadDemandPriceFactor: string;
  /** §3.4 partial month: ÷ calendar days (2024 rule) or ÷ 30 (1996 rule) */
  partialMonthBasis: 'CALENDAR_DAYS' | 'DAYS_30';
  /** §4.3 adjustment table as slopes per 0.01 PF step */
  pfTable: { increase: PfStep[]; decrease: Record<'0.90' | '0.85' | '0.80', PfStep[]> };
  /** §2.1 policy checks (warnings only) */
  peakValleyMinRatio: string;
  criticalPeakMinRatio: string;
}

/** Defaults from domain-cn v1. Example: `DEFAULT_RULE_SET.overrunThresholdRatio === "1.05"`. */
export const DEFAULT_RULE_SET: RuleSet = {
  id: 'domain-cn-v1-defaults',
  sourceDoc: 'domain-cn §1.5, §1.7, §2.1, §2.3, §3.4, §4.3, §12',
  ladderProration: 'DAYS_OVER_30',
  standardPeriodDays: [28, 31],
  household: { minSize: 5, addKwhPerMonth: 100, scope: 'ALL_THRESHOLDS' },
  touSumToleranceKwh: '1',
  touReconcile: 'PRO_RATA',
  contractDemandFloorRatio: '0.40',
  overrunThresholdRatio: '1.05',
  overrunPenaltyMultiplier: '1',
  highLoadKwhPerKva: '260',
  highLoadDemandPriceFactor: '0.90',
  partialMonthBasis: 'CALENDAR_DAYS',
  pfTable: {
    increase: [
      { count: 20, pctPerStep: '0.5' },
      { count: 5, pctPerStep: '1.0' },
      { pctPerStep: '2.0' },
    ],
    decrease: {
      '0.90': [{ count: 5, pctPerStep: '0.15' }],
      '0.85': [
        { count: 5, pctPerStep: '0.10' },
        { count: 4, pctPerStep: '0.15' },
      ],
      '0.80': [
        { count: 10, pctPerStep: '0.10' },
        { count: 2, pctPerStep: '0.15' },
      ],
    },
  },
  peakValleyMinRatio: '3',
  criticalPeakMinRatio: '1.2',
};
