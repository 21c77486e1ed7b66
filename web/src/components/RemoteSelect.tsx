import { useEffect, useState } from 'react';
import { Select, Spin } from 'antd';
import { api, type Query } from '../api/client';
import type { Page } from '../api/types';

interface Item {
  id: number;
  code?: string;
  name?: string;
}

/**
 * Select over a reference list endpoint (e.g. /transformer-areas, /reading-routes; the server
 * limits them to the caller's scope), searchable by code and name. `initial` keeps the current
 * value labelled even when it is not in the list.
 */
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
  const queryJson = JSON.stringify(query ?? {});
  const initialJson = JSON.stringify(initial ?? null);

  useEffect(() => {
    let live = true;
    setLoading(true);
    api
      .get<Page<Item>>(path, JSON.parse(queryJson))
      .then((p) => {
        if (!live) return;
        const list = p.items ?? [];
        const init = JSON.parse(initialJson) as Item | null;
        setItems(init && !list.some((x) => x.id === init.id) ? [init, ...list] : list);
      })
      .catch(() => undefined)
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [path, queryJson, initialJson]);

  return (
    <Select
      id={id}
      value={value ?? undefined}
      onChange={(v) => onChange?.(v ?? null)}
      allowClear={allowClear}
      placeholder={placeholder}
      loading={loading}
      showSearch={{ optionFilterProp: 'label' }}
      notFoundContent={loading ? <Spin size="small" /> : undefined}
      options={items.map((i) => ({ value: i.id, label: [i.code, i.name].filter(Boolean).join(' ') || String(i.id) }))}
      style={{ width: '100%' }}
      popupMatchSelectWidth={false}
    />
  );
}
