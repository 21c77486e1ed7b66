import { useEffect, useRef, useState } from 'react';
import { Select, Spin } from 'antd';
import { api, type Query } from '../api/client';
import type { Page } from '../api/types';

interface Item {
  id: number;
  code?: string;
  name?: string;
}

/** Select over a list endpoint (`?q=` search, first 100). `initial` keeps the current value labelled. */
export function RemoteSelect({
  id,
  path,
  query,
  value,
  onChange,
  initial,
  placeholder,
  allowClear = true,
}: {
  id?: string;
  path: string;
  query?: Query;
  value?: number | null;
  onChange?: (v: number | null) => void;
  initial?: Item | null;
  placeholder?: string;
  allowClear?: boolean;
}) {
  const [items, setItems] = useState<Item[]>(initial ? [initial] : []);
  const [loading, setLoading] = useState(false);
  const [search, setSearch] = useState('');
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const queryJson = JSON.stringify(query ?? {});
  const initialJson = JSON.stringify(initial ?? null);

  useEffect(() => {
    if (timer.current) clearTimeout(timer.current);
    let live = true;
    timer.current = setTimeout(() => {
      setLoading(true);
      api
        .get<Page<Item>>(path, { ...JSON.parse(queryJson), q: search || undefined, page: 1, pageSize: 100 })
        .then((p) => {
          if (!live) return;
          const list = p.items ?? [];
          const initial = JSON.parse(initialJson) as Item | null;
          setItems(initial && !list.some((x) => x.id === initial.id) ? [initial, ...list] : list);
        })
        .catch(() => undefined)
        .finally(() => live && setLoading(false));
    }, 250);
    return () => {
      live = false;
      if (timer.current) clearTimeout(timer.current);
    };
  }, [path, queryJson, search, initialJson]);

  return (
    <Select
      id={id}
      value={value ?? undefined}
      onChange={(v) => onChange?.(v ?? null)}
      allowClear={allowClear}
      placeholder={placeholder}
      showSearch={{ filterOption: false, onSearch: setSearch }}
      notFoundContent={loading ? <Spin size="small" /> : undefined}
      options={items.map((i) => ({ value: i.id, label: [i.code, i.name].filter(Boolean).join(' ') || String(i.id) }))}
      style={{ width: '100%' }}
    />
  );
}
