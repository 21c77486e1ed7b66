import type { ReactNode } from 'react';
import type { DictKind } from '../api/types';
import { useDict } from '../app/dict';
import { useI18n } from '../i18n';
import { formatDate, formatDateTime } from '../app/format';
import { roleLabel } from '../app/roles';

/** Which dictionary translates the codes of a field (per entity type; `*` = any). */
const FIELD_DICT: Record<string, Record<string, DictKind>> = {
  '*': {
    customerClass: 'customerClasses',
    voltageLevel: 'voltageLevels',
    paymentMode: 'paymentModes',
    basicChargeMethod: 'basicChargeMethods',
    pfStandard: 'pfStandards',
    meterType: 'meterTypes',
  },
  account: { status: 'accountStatuses' },
  org_unit: { kind: 'orgUnitKinds' },
};

/**
 * Field label and value rendering shared by history, audit diff and detail views.
 * `entityType` (audit `entityType`, default `account`) decides how codes such as `status` read;
 * `refs` maps id fields (e.g. `orgUnitId`) to display names.
 */
export function useFieldFormat(entityType = 'account', refs?: Record<string, Record<string, string>>) {
  const { tx, t, lang } = useI18n();
  const { label } = useDict();
  const fieldLabel = (name: string) => tx(`field.${name}`, name);
  const valueText = (name: string, value: unknown): string => {
    if (value === null || value === undefined || value === '') return '-';
    const ref = refs?.[name]?.[String(value)];
    if (ref) return ref;
    if (Array.isArray(value)) {
      if (name === 'roles') return value.map((r) => roleLabel(String(r), lang)).join(', ');
      if (value.every((v) => typeof v !== 'object' || v === null)) return value.map((v) => String(v)).join(', ');
      return JSON.stringify(value);
    }
    if (typeof value === 'string') {
      const dictKind = FIELD_DICT[entityType]?.[name] ?? FIELD_DICT['*'][name];
      if (dictKind) return label(dictKind, value);
      if (entityType === 'user' && name === 'status') return tx(`users.status.${value}`, value);
      if (/^\d{4}-\d{2}-\d{2}T/.test(value)) return /(On|Date|From|To)$/.test(name) ? formatDate(value) : formatDateTime(value);
      return value;
    }
    if (typeof value === 'boolean') return value ? t('common.yes') : t('common.no');
    if (typeof value === 'number') return String(value);
    return JSON.stringify(value);
  };
  const valueNode = (name: string, value: unknown): ReactNode => {
    const text = valueText(name, value);
    return /(accountNo|assetNo|commAddress|Code|code|customerNo|username)$/.test(name) ? <span className="vl-mono">{text}</span> : text;
  };
  return { fieldLabel, valueText, valueNode };
}
