import { useCallback, useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { api, type Query } from '../api/client';
import type { Page } from '../api/types';

export const PAGE_SIZES = [10, 20, 50, 100];

/**
 * A server-paged list whose filters and page live in the URL (so Back and reload keep them).
 * `filterKeys` are the query-string names sent to the API besides page/pageSize.
 */
export function useListQuery<T>(path: string, filterKeys: string[], opts: { enabled?: (filters: Record<string, string>) => boolean; defaultPageSize?: number } = {}) {
  const [sp, setSp] = useSearchParams();
  const page = Math.max(1, Number(sp.get('page')) || 1);
  const sizeRaw = Number(sp.get('pageSize'));
  const pageSize = PAGE_SIZES.includes(sizeRaw) ? sizeRaw : (opts.defaultPageSize ?? 20);
  const keyString = filterKeys.join(',');
  const filters = useMemo(() => {
    const f: Record<string, string> = {};
    for (const k of keyString.split(',')) {
      const v = sp.get(k);
      if (v) f[k] = v;
    }
    return f;
  }, [sp, keyString]);
  const enabled = opts.enabled ? opts.enabled(filters) : true;

  const [data, setData] = useState<Page<T> | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);

  const filtersJson = JSON.stringify(filters);
  useEffect(() => {
    if (!enabled) {
      setData(null);
      return;
    }
    let live = true;
    setLoading(true);
    setError(null);
    const q: Query = { ...JSON.parse(filtersJson), page, pageSize };
    api
      .get<Page<T>>(path, q)
      .then((d) => {
        if (live) setData(d);
      })
      .catch((e) => {
        if (live) {
          setError(e);
          setData(null);
        }
      })
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [path, filtersJson, page, pageSize, enabled, tick]);

  /** Replace the filters (page back to 1). */
  const search = useCallback(
    (next: Record<string, string | number | null | undefined>) => {
      const n = new URLSearchParams();
      for (const [k, v] of Object.entries(next)) if (v !== undefined && v !== null && String(v).trim() !== '') n.set(k, String(v).trim());
      n.set('pageSize', String(pageSize));
      setSp(n);
      setTick((x) => x + 1);
    },
    [setSp, pageSize],
  );

  const setPage = useCallback(
    (p: number, size: number) => {
      const n = new URLSearchParams(sp);
      n.set('page', String(size !== pageSize ? 1 : p));
      n.set('pageSize', String(size));
      setSp(n);
    },
    [sp, setSp, pageSize],
  );

  const reload = useCallback(() => setTick((x) => x + 1), []);

  const total = data?.total ?? data?.items?.length ?? 0;
  const totalCapped = data?.totalCapped === true;
  return { filters, page, pageSize, data, items: data?.items ?? [], total, totalCapped, loading, error, search, setPage, reload, enabled };
}
