import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { OrgUnit } from '../api/types';
import { useI18n } from '../i18n';
import { useAuth } from './auth';

/** id -> English name of the org units the user may list; loaded once, in English only. */
let namesEn: Record<number, string> | null = null;
let loading: Promise<void> | null = null;

function loadNamesEn(): Promise<void> {
  loading ??= api
    .get<{ items: OrgUnit[] }>('/org-units')
    .then((r) => {
      namesEn = Object.fromEntries(r.items.filter((u) => u.nameEn).map((u) => [u.id, u.nameEn as string]));
    })
    .catch(() => {
      namesEn = {};
    });
  return loading;
}

/**
 * An org unit's name in the current language. /auth/me and the 360° view carry only the
 * Chinese name, so in English the English names are looked up once in /org-units.
 */
export function useOrgUnitLabel(unit: { id: number; name: string; nameEn?: string | null } | null | undefined): string {
  const { lang, pick } = useI18n();
  const [, setTick] = useState(0);
  const needLookup = lang === 'en' && !!unit && !unit.nameEn && namesEn === null;
  useEffect(() => {
    if (!needLookup) return;
    let live = true;
    void loadNamesEn().then(() => live && setTick((x) => x + 1));
    return () => {
      live = false;
    };
  }, [needLookup]);
  if (!unit) return '';
  return pick(unit.name, unit.nameEn || namesEn?.[unit.id]);
}

/** The signed-in user's org-unit name in the current language. */
export function useOrgName(): string {
  const { user } = useAuth();
  return useOrgUnitLabel(user?.orgUnit);
}
