import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client';
import type { Role } from '../api/types';
import { useI18n } from '../i18n';
import { roleLabel } from './roles';

/** GET /roles (null while loading or when not allowed) and a label function that prefers it. */
export function useRoles() {
  const { lang, pick } = useI18n();
  const [roles, setRoles] = useState<Role[] | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    api
      .get<{ items: Role[] }>('/roles')
      .then((r) => live && setRoles(r.items ?? []))
      .catch(() => live && setRoles(null));
    return () => {
      live = false;
    };
  }, [tick]);
  const nameOf = useCallback(
    (code: string) => {
      const r = roles?.find((x) => x.code === code);
      return r ? pick(r.nameZh, r.nameEn) : roleLabel(code, lang);
    },
    [roles, pick, lang],
  );
  const reload = useCallback(() => setTick((x) => x + 1), []);
  return { roles, nameOf, reload };
}
