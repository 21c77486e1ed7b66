import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { OrgUnit } from '../api/types';
import { useI18n } from '../i18n';
import { useAuth } from './auth';

let cache: Record<number, string> = {};

/**
 * The signed-in user's org-unit name in the current language. /auth/me carries only the
 * Chinese name, so in English it is looked up once in /org-units (when the user may list them).
 */
export function useOrgName(): string {
  const { user } = useAuth();
  const { lang, pick } = useI18n();
  const id = user?.orgUnit?.id;
  const [nameEn, setNameEn] = useState<string | undefined>(id ? cache[id] : undefined);
  useEffect(() => {
    if (lang !== 'en' || !id || user?.orgUnit?.nameEn || cache[id] !== undefined) return;
    let live = true;
    api
      .get<{ items: OrgUnit[] }>('/org-units')
      .then((r) => {
        cache = { ...cache, [id]: r.items.find((u) => u.id === id)?.nameEn ?? '' };
        if (live) setNameEn(cache[id]);
      })
      .catch(() => {
        cache = { ...cache, [id]: '' };
      });
    return () => {
      live = false;
    };
  }, [lang, id, user?.orgUnit?.nameEn]);
  if (!user?.orgUnit) return '';
  return pick(user.orgUnit.name, user.orgUnit.nameEn || nameEn || (id ? cache[id] : ''));
}
