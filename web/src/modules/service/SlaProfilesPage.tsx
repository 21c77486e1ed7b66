/**
 * 时限配置 (/service/sla, administrators: role.write): the SLA profiles with the active one,
 * per request type and per stage limits in working days. Edit a profile (save under the same
 * code, or a new code = a new version) with validation naming the field (non-negative integers);
 * activate an earlier profile; the change history comes from the audit trail. A change applies
 * to stages entered afterwards (running stages keep the limit they started with).
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Card, Collapse, Drawer, Flex, Input, List, Popconfirm, Space, Tag, Typography } from 'antd';
import { EditOutlined, HistoryOutlined, ReloadOutlined } from '@ant-design/icons';
import { PageContainer } from '../../components/PageContainer';
import { errorText } from '../../components/errors';
import { ApiError } from '../../api/client';
import { useI18n } from '../../i18n';
import { serviceApi, type TypesResponse } from './api';
import { adminApi, type ProfileRow, type SlaProfileV } from './adminApi';
import { useAT, type AKey } from './adminI18n';
import { useL, useST } from './i18n';

type Draft = { code: string; name: string; warnDays: string; limits: Record<string, Record<string, string>>; base: SlaProfileV };

const INT = /^\d+$/;

function toDraft(p: SlaProfileV): Draft {
  const limits: Draft['limits'] = {};
  for (const [type, stages] of Object.entries(p.limits)) {
    limits[type] = {};
    for (const [k, l] of Object.entries(stages)) limits[type][k] = String(l.days);
  }
  return { code: p.code, name: p.name, warnDays: String(p.warnDays), limits, base: p };
}

export default function SlaProfilesPage() {
  const at = useAT();
  const st = useST();
  const l = useL();
  const { t } = useI18n();
  const { message } = App.useApp();
  const [rows, setRows] = useState<ProfileRow[]>([]);
  const [keys, setKeys] = useState<Record<string, string[]>>({});
  const [types, setTypes] = useState<TypesResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [serverError, setServerError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [history, setHistory] = useState<{ code: string; items: Array<{ id: number; at: string; actor: string; action: string }> } | null>(null);

  const load = useCallback(async () => {
    setLoading(true);
    setError(null);
    try {
      const [p, ty] = await Promise.all([adminApi.profiles(), serviceApi.types()]);
      setRows(p.items);
      setKeys(p.keys);
      setTypes(ty);
    } catch (e) {
      setError(errorText(t, e));
    } finally {
      setLoading(false);
    }
  }, [t]);

  useEffect(() => {
    void load();
  }, [load]);

  /** Stage name of an SLA key (stage code or variant key) for a type ('*': any type having it). */
  const stageName = useMemo(() => {
    const m = new Map<string, string>();
    for (const ty of types?.items ?? []) for (const s of ty.stages) {
      m.set(`${ty.code}:${s.code}`, l(s.name));
      if (!m.has(`*:${s.code}`)) m.set(`*:${s.code}`, l(s.name));
    }
    return (type: string, key: string) => m.get(`${type}:${key}`) ?? m.get(`*:${key}`) ?? (at(`adm.variant.${key}` as AKey) !== `adm.variant.${key}` ? at(`adm.variant.${key}` as AKey) : key);
  }, [types, l, at]);
  const typeName = (code: string) => (code === '*' ? at('adm.allTypes') : l(types?.items.find((x) => x.code === code)?.name) || code);

  const validate = (d: Draft): Record<string, string> => {
    const e: Record<string, string> = {};
    if (!/^[a-z0-9_-]{1,40}$/.test(d.code)) e.code = `code: ${at('adm.codeHint')}`;
    if (!d.name.trim()) e.name = at('adm.required', { field: 'name' });
    if (!INT.test(d.warnDays.trim()) || Number(d.warnDays) > 30) e.warnDays = at('adm.mustInt', { field: 'warnDays' });
    for (const [type, stages] of Object.entries(d.limits)) for (const [k, v] of Object.entries(stages)) {
      if (v.trim() === '') continue;
      const f = `limits.${type}.${k}.days`;
      if (!INT.test(v.trim()) || Number(v) > 365) e[f] = at('adm.mustInt', { field: f });
    }
    return e;
  };

  const save = async () => {
    if (!draft) return;
    const e = validate(draft);
    setErrors(e);
    setServerError(null);
    if (Object.keys(e).length) return;
    const limits: SlaProfileV['limits'] = {};
    for (const [type, stages] of Object.entries(draft.limits)) {
      for (const [k, v] of Object.entries(stages)) {
        if (v.trim() === '') continue;
        (limits[type] ??= {})[k] = { days: Number(v), unit: draft.base.limits[type]?.[k]?.unit ?? 'working' };
      }
    }
    setBusy(true);
    try {
      const p = await adminApi.saveProfile({ code: draft.code.trim(), name: draft.name.trim(), warnDays: Number(draft.warnDays), limits, rules: draft.base.rules });
      message.success(at('adm.profileSaved', { code: p.code }));
      setDraft(null);
      await load();
    } catch (err) {
      const f = err instanceof ApiError ? err.field : undefined;
      if (f) setErrors({ [f]: `${f}: ${(err as Error).message}` });
      setServerError(f ? `${f}: ${(err as Error).message}` : errorText(t, err));
    } finally {
      setBusy(false);
    }
  };

  const activate = async (code: string) => {
    try {
      await adminApi.activate(code);
      message.success(at('adm.activated', { code }));
      await load();
    } catch (e) {
      message.error(errorText(t, e));
    }
  };

  const openHistory = async (code: string) => {
    try {
      setHistory(await adminApi.history(code));
    } catch (e) {
      message.error(errorText(t, e));
    }
  };

  const setLimit = (type: string, k: string, v: string) =>
    setDraft((d) => (d ? { ...d, limits: { ...d.limits, [type]: { ...(d.limits[type] ?? {}), [k]: v } } } : d));

  const typeOrder = ['*', ...(types?.items.map((x) => x.code) ?? [])].filter((c) => keys[c]);
  const errorList = Object.values(errors);

  return (
    <PageContainer
      crumbs={[{ title: st('svc.group') }, { title: at('adm.sla') }]}
      title={at('adm.sla')}
      extra={<Button icon={<ReloadOutlined />} onClick={() => void load()} aria-label={at('adm.reload')} />}
    >
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} />}
      <Card size="small" title={at('adm.profiles')} style={{ marginBottom: 12 }}>
        <List
          loading={loading} dataSource={rows} data-testid="sla-profiles"
          renderItem={(p) => (
            <List.Item
              key={p.code} data-testid="sla-profile-row" data-code={p.code}
              actions={[
                <Button key="e" size="small" icon={<EditOutlined />} onClick={() => { setDraft(toDraft(p.params)); setErrors({}); setServerError(null); }} data-testid="sla-edit">{at('adm.edit')}</Button>,
                ...(p.stored && !p.active ? [
                  <Popconfirm key="a" title={`${at('adm.activate')} ${p.code}?`} onConfirm={() => void activate(p.code)}>
                    <Button size="small" data-testid="sla-activate">{at('adm.activate')}</Button>
                  </Popconfirm>,
                ] : []),
                ...(p.stored ? [<Button key="h" size="small" icon={<HistoryOutlined />} onClick={() => void openHistory(p.code)} aria-label={at('adm.history')} data-testid="sla-history" />] : []),
              ]}
            >
              <div style={{ minWidth: 0 }}>
                <Space wrap size={4}>
                  <Typography.Text strong>{p.name}</Typography.Text>
                  <Typography.Text code>{p.code}</Typography.Text>
                  {p.active && <Tag color="green" data-testid="sla-active">{at('adm.active')}</Tag>}
                  {!p.stored && <Tag>{at('adm.builtIn')}</Tag>}
                </Space>
                {p.updatedAt && <div><Typography.Text type="secondary" style={{ fontSize: 12 }}>{at('adm.updatedAt')} {new Date(p.updatedAt).toLocaleString()}</Typography.Text></div>}
              </div>
            </List.Item>
          )}
        />
      </Card>

      {draft && (
        <Card size="small" title={at('adm.editProfile')} data-testid="sla-editor"
          extra={<Space><Button onClick={() => setDraft(null)}>{at('adm.cancel')}</Button><Button type="primary" loading={busy} onClick={() => void save()} data-testid="sla-save">{at('adm.saveActivate')}</Button></Space>}
        >
          {(serverError || errorList.length > 0) && (
            <Alert type="error" showIcon style={{ marginBottom: 12 }} data-testid="sla-errors" message={serverError ?? errorList[0]} description={errorList.length > 1 ? errorList.slice(1).join('；') : undefined} />
          )}
          <Flex wrap gap={12} style={{ marginBottom: 12 }}>
            <label style={{ flex: '1 1 200px', minWidth: 0 }}>
              <div>{at('adm.code')}</div>
              <Input value={draft.code} status={errors.code ? 'error' : undefined} onChange={(e) => setDraft({ ...draft, code: e.target.value })} data-testid="sla-code" />
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>{at('adm.codeHint')}</Typography.Text>
            </label>
            <label style={{ flex: '2 1 240px', minWidth: 0 }}>
              <div>{at('adm.profileName')}</div>
              <Input value={draft.name} status={errors.name ? 'error' : undefined} onChange={(e) => setDraft({ ...draft, name: e.target.value })} data-testid="sla-name" />
            </label>
            <label style={{ flex: '0 1 160px', minWidth: 0 }}>
              <div>{at('adm.warnDays')}</div>
              <Input value={draft.warnDays} inputMode="numeric" status={errors.warnDays ? 'error' : undefined} onChange={(e) => setDraft({ ...draft, warnDays: e.target.value })} data-testid="sla-warn" />
            </label>
          </Flex>
          <Typography.Paragraph strong style={{ marginBottom: 4 }}>{at('adm.limits')}</Typography.Paragraph>
          <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>{at('adm.limitsHint')}</Typography.Paragraph>
          <Collapse
            size="small" defaultActiveKey={typeOrder}
            items={typeOrder.map((type) => ({
              key: type,
              label: typeName(type),
              children: (
                <div style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(min(100%, 250px), 1fr))', gap: 8 }}>
                  {keys[type].map((k) => {
                    const f = `limits.${type}.${k}.days`;
                    const v = draft.limits[type]?.[k] ?? '';
                    const inherited = type !== '*' ? draft.limits['*']?.[k] : undefined;
                    return (
                      <Flex key={k} align="center" gap={8} style={{ minWidth: 0 }}>
                        <span style={{ flex: 1, minWidth: 0, overflowWrap: 'anywhere' }}>{stageName(type, k)}</span>
                        <Input
                          style={{ width: 72 }} value={v} inputMode="numeric" status={errors[f] ? 'error' : undefined} aria-label={`${typeName(type)} ${stageName(type, k)}`}
                          placeholder={inherited ?? ''} onChange={(e) => setLimit(type, k, e.target.value)} data-testid={`sla-limit-${type === '*' ? 'all' : type}-${k}`}
                        />
                        <Typography.Text type="secondary" style={{ fontSize: 11, width: 64 }}>
                          {v.trim() === '' ? (inherited ? at('adm.inherited', { n: inherited }) : at('adm.notMeasured')) : v.trim() === '0' ? at('adm.notMeasured') : ''}
                        </Typography.Text>
                      </Flex>
                    );
                  })}
                </div>
              ),
            }))}
          />
        </Card>
      )}

      <Drawer open={!!history} onClose={() => setHistory(null)} title={history ? at('adm.historyTitle', { code: history.code }) : ''} width={Math.min(480, typeof window !== 'undefined' ? window.innerWidth : 480)}>
        <List
          dataSource={history?.items ?? []} data-testid="sla-history-list"
          renderItem={(h) => (
            <List.Item key={h.id}>
              <div>
                <div>{new Date(h.at).toLocaleString()} · {h.actor}</div>
                <Typography.Text type="secondary">{h.action}</Typography.Text>
              </div>
            </List.Item>
          )}
        />
      </Drawer>
    </PageContainer>
  );
}
