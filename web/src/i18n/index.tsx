import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { zh, en, type MessageKey } from './messages';

export type Lang = 'zh-CN' | 'en';
export type { MessageKey };

const STORAGE_KEY = 'voltline.lang';

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'en' || saved === 'zh-CN') return saved;
  } catch {
    /* storage unavailable */
  }
  return 'zh-CN';
}

/** Replaces `{name}` placeholders. */
function format(template: string, vars?: Record<string, string | number>): string {
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

export type TFunction = (key: MessageKey, vars?: Record<string, string | number>) => string;

interface I18nValue {
  lang: Lang;
  setLang: (lang: Lang) => void;
  t: TFunction;
  /** Looks up a key built at run time (e.g. `field.${name}`); `fallback` when it is not in the dictionary. */
  tx: (key: string, fallback: string) => string;
  /** Picks the Chinese or English variant of a server-provided label. */
  pick: (zhText: string | null | undefined, enText: string | null | undefined) => string;
}

const I18nContext = createContext<I18nValue | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const setLang = useCallback((next: Lang) => {
    setLangState(next);
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      /* ignore */
    }
    document.documentElement.lang = next === 'en' ? 'en' : 'zh-CN';
  }, []);
  const value = useMemo<I18nValue>(() => {
    const dict = lang === 'en' ? en : zh;
    return {
      lang,
      setLang,
      t: (key, vars) => format(dict[key] ?? zh[key] ?? key, vars),
      tx: (key, fallback) => {
        const d = dict as Record<string, string>;
        return d[key] ?? (zh as Record<string, string>)[key] ?? fallback;
      },
      pick: (zhText, enText) => (lang === 'en' ? enText || zhText || '' : zhText || enText || ''),
    };
  }, [lang, setLang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const v = useContext(I18nContext);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}

export function useT(): TFunction {
  return useI18n().t;
}
