import { useCallback, useEffect, useMemo, useState } from 'react';
import { TreeSelect } from 'antd';
import { api } from '../api/client';
import type { OrgUnit } from '../api/types';
import { useI18n } from '../i18n';

export interface OrgTreeNode {
  key: number;
  value: number;
  title: string;
  unit: OrgUnit;
  children: OrgTreeNode[];
}

/** Builds a tree from the flat `/org-units` list (roots = units whose parent is not in the list). */
export function buildOrgTree(units: OrgUnit[], name: (u: OrgUnit) => string): OrgTreeNode[] {
  const byId = new Map<number, OrgTreeNode>();
  for (const u of units) byId.set(u.id, { key: u.id, value: u.id, title: name(u), unit: u, children: [] });
  const roots: OrgTreeNode[] = [];
  for (const u of units) {
    const node = byId.get(u.id)!;
    const parent = u.parentId != null ? byId.get(u.parentId) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  const sort = (nodes: OrgTreeNode[]) => {
    nodes.sort((a, b) => String(a.unit.code).localeCompare(String(b.unit.code)));
    nodes.forEach((n) => sort(n.children));
  };
  sort(roots);
  return roots;
}

/** The caller's org-unit subtree; `failed` when the user may not list org units. */
export function useOrgUnits() {
  const { pick } = useI18n();
  const [units, setUnits] = useState<OrgUnit[] | null>(null);
  const [failed, setFailed] = useState(false);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    api
      .get<{ items: OrgUnit[] }>('/org-units')
      .then((r) => {
        if (!live) return;
        setUnits(r.items ?? []);
        setFailed(false);
      })
      .catch(() => live && setFailed(true));
    return () => {
      live = false;
    };
  }, [tick]);
  const name = useCallback((u: OrgUnit) => pick(u.name, u.nameEn), [pick]);
  const tree = useMemo(() => (units ? buildOrgTree(units, name) : []), [units, name]);
  const reload = useCallback(() => setTick((x) => x + 1), []);
  return { units, tree, failed, reload, name };
}

export function OrgUnitSelect(props: { id?: string; value?: number | string; onChange?: (v: number | undefined) => void; tree: OrgTreeNode[]; placeholder?: string; allowClear?: boolean; testId?: string }) {
  type Opt = { value: number; title: string; children: Opt[] };
  const strip = (nodes: OrgTreeNode[]): Opt[] =>
    nodes.map((n) => ({ value: n.value, title: n.title, children: strip(n.children) }));
  return (
    <TreeSelect
      id={props.id}
      value={props.value === undefined || props.value === '' ? undefined : Number(props.value)}
      onChange={(v) => props.onChange?.(v as number | undefined)}
      treeData={strip(props.tree)}
      treeDefaultExpandAll
      showSearch={{ treeNodeFilterProp: 'title' }}
      allowClear={props.allowClear ?? true}
      placeholder={props.placeholder}
      style={{ width: '100%' }}
      popupMatchSelectWidth={false}
      data-testid={props.testId}
    />
  );
}
