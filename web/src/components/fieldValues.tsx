import type { ReactNode } from 'react';
import type { DictKind } from '../api/types';
import { useDict } from '../app/dict';
import { useI18n } from '../i18n';
import { formatDate } from '../app/format';

/** Which dictionary translates the codes of a field. */
const FIELD_DICT: Record<string, DictKind> = {
  customerClass: 'customerClasses',
  voltageLevel: 'voltageLevels',
  status: 'accountStatuses',
  paymentMode: 'paymentModes',
  basicChargeMethod: 'basicChargeMethods',
  pfStandard: 'pfStandards',
  meterType: 'meterTypes',
  kind: 'orgUnitKinds',
};

/** Field label and value rendering shared by history, audit diff and detail views. */
export function useFieldFormat() {
  const { tx, t } = useI18n();
  const { label } = useDict();
  const fieldLabel = (name: string) => tx(`field.${name}`, name);
  const valueText = (name: string, value: unknown): string => {
    if (value === null || value === undefined || value === '') return '-';
    if (typeof value === 'string') {
      const dictKind = FIELD_DICT[name];
      if (dictKind) return label(dictKind, value);
      if (/^\d{4}-\d{2}-\d{2}T/.test(value) && /(On|At|From|To|Date)$/.test(name)) return formatDate(value);
      return value;
    }
    if (typeof value === 'boolean') return value ? t('common.yes') : t('common.no');
    if (typeof value === 'number') return String(value);
    return JSON.stringify(value);
  };
  const valueNode = (name: string, value: unknown): ReactNode => {
    const text = valueText(name, value);
    return /(accountNo|assetNo|commAddress|Code|code)$/.test(name) ? <span className="vl-mono">{text}</span> : text;
  };
  return { fieldLabel, valueText, valueNode };
}
