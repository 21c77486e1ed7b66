import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api } from '../api/client';
import type { Dict, DictItem, DictKind } from '../api/types';
import { useI18n } from '../i18n';
import { useAuth } from './auth';

interface DictValue {
  dict: Dict;
  /** Localised label of a code; the code itself when unknown. */
  label: (kind: DictKind, code: string | null | undefined) => string;
  options: (kind: DictKind) => Array<{ value: string; label: string }>;
}

const DictContext = createContext<DictValue | null>(null);

export function DictProvider({ children }: { children: ReactNode }) {
  const { user } = useAuth();
  const { pick } = useI18n();
  const [dict, setDict] = useState<Dict>({});

  useEffect(() => {
    if (!user) return;
    let live = true;
    api
      .get<Dict>('/dict')
      .then((d) => live && setDict(d ?? {}))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [user]);

  const find = useCallback(
    (kind: DictKind, code: string): DictItem | undefined => dict[kind]?.find((i) => i.code === code),
    [dict],
  );

  const value = useMemo<DictValue>(
    () => ({
      dict,
      label: (kind, code) => {
        if (code === null || code === undefined || code === '') return '-';
        const item = find(kind, code);
        return item ? pick(item.zh, item.en) : code;
      },
      options: (kind) => (dict[kind] ?? []).map((i) => ({ value: i.code, label: pick(i.zh, i.en) })),
    }),
    [dict, find, pick],
  );
  return <DictContext.Provider value={value}>{children}</DictContext.Provider>;
}

export function useDict(): DictValue {
  const v = useContext(DictContext);
  if (!v) throw new Error('useDict outside DictProvider');
  return v;
}
