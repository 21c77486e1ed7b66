/**
 * 校核规则: the VEE rule set in force (each threshold with its meaning), the version history,
 * a "新建版本" drawer that saves a draft (validated like the server), activate with confirmation
 * and discard a draft. Maintaining needs `reading.rules`; without it the page is read-only.
 * API: GET/POST /metering/rule-sets, POST /metering/rule-sets/:version/activate|retire.
 */
import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { Alert, App, Button, Card, Descriptions, Drawer, Empty, Flex, Form, Grid, Input, InputNumber, List, Popconfirm, Space, Spin, Tag, Typography } from 'antd';
import { CheckCircleOutlined, DeleteOutlined, EyeOutlined, PlusOutlined } from '@ant-design/icons';
import { useAuth } from '../../app/auth';
import { useI18n } from '../../i18n';
import { PageContainer } from '../../components/PageContainer';
import { Mono, monoStyle } from '../../components/Mono';
import { errorText, fieldMessage } from '../../components/errors';
import { ApiError } from '../../api/client';
import { hasPerm } from './api';
import { paramError, PERM_RULES, rulesApi, type ParamKey, type ParamSpec, type RuleParams, type RuleSetVersion } from './rulesApi';
import { useRT, type RKey, type RT } from './rules.i18n';

const STATUS_COLOUR: Record<RuleSetVersion['status'], string> = { draft: 'blue', active: 'green', retired: 'default' };

function fmtTime(s: string | null): string {
  if (!s) return '-';
  // Asia/Shanghai, YYYY-MM-DD HH:mm:ss
  return new Date(new Date(s).getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

function unitText(rt: RT, spec: ParamSpec): string {
  return spec.unit ? rt(`rules.unit.${spec.unit}` as RKey) : '';
}

function rangeText(spec: ParamSpec): string {
  return `${spec.minExclusive ? '>' : '≥'} ${spec.min}, ≤ ${spec.max}`;
}

/** one threshold: name, value (with unit), meaning */
function ParamList({ specs, params, compare, testPrefix }: { specs: ParamSpec[]; params: RuleParams; compare?: RuleParams; testPrefix: string }) {
  const rt = useRT();
  return (
    <List
      size="small"
      dataSource={specs}
      renderItem={(s) => {
        const differs = compare && compare[s.key] !== params[s.key];
        return (
          <List.Item key={s.key} data-testid={`${testPrefix}-${s.key}`}>
            <Flex vertical gap={2} style={{ width: '100%', minWidth: 0 }}>
              <Flex justify="space-between" gap={8} wrap>
                <Typography.Text strong>
                  {rt(`rules.p.${s.key}` as RKey)} <Typography.Text type="secondary" style={{ fontSize: 12 }}>{s.key}</Typography.Text>
                </Typography.Text>
                <Space size={4}>
                  {differs && <Tag color="orange">{rt('rules.diffFromActive')}</Tag>}
                  <Typography.Text strong data-testid={`${testPrefix}-${s.key}-value`} style={monoStyle}>
                    {params[s.key]}
                  </Typography.Text>
                  <Typography.Text type="secondary">{unitText(rt, s)}</Typography.Text>
                </Space>
              </Flex>
              <Typography.Text type="secondary" style={{ fontSize: 13, overflowWrap: 'anywhere' }}>
                {rt(`rules.m.${s.key}` as RKey)}
              </Typography.Text>
            </Flex>
          </List.Item>
        );
      }}
    />
  );
}

function NewVersionDrawer({ open, base, specs, onClose, onSaved }: { open: boolean; base: RuleSetVersion | null; specs: ParamSpec[]; onClose: () => void; onSaved: (v: RuleSetVersion) => void }) {
  const rt = useRT();
  const { t } = useI18n();
  const screens = Grid.useBreakpoint();
  const [form] = Form.useForm<RuleParams & { note?: string }>();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const values = Form.useWatch([], form) as (Partial<RuleParams> & { note?: string }) | undefined;

  useEffect(() => {
    if (open && base) {
      form.setFieldsValue({ ...base.params, note: '' });
      setError(null);
    }
  }, [open, base, form]);

  const submit = async () => {
    if (!base) return;
    setError(null);
    let v: RuleParams & { note?: string };
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    const changed: Partial<RuleParams> = {};
    for (const s of specs) if (v[s.key] !== base.params[s.key]) changed[s.key] = v[s.key];
    if (!Object.keys(changed).length) {
      setError(rt('rules.nothingChanged'));
      return;
    }
    setSaving(true);
    try {
      const d = await rulesApi.createDraft(changed, v.note?.trim());
      onSaved(d);
    } catch (e) {
      const f = e instanceof ApiError ? e.field : undefined;
      const key = f?.startsWith('params.') ? (f.slice(7) as ParamKey) : undefined;
      if (key && specs.some((s) => s.key === key)) form.setFields([{ name: key, errors: [fieldMessage(e)] }]);
      else setError(errorText(t, e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Drawer
      open={open}
      onClose={onClose}
      title={rt('rules.newTitle', { version: base?.version ?? '-' })}
      size={screens.md === false ? '100%' : 560}
      destroyOnHidden
      data-testid="rules-drawer"
      extra={
        <Space>
          <Button onClick={onClose}>{rt('rules.cancel')}</Button>
          <Button type="primary" loading={saving} onClick={submit} data-testid="rules-save">
            {rt('rules.saveDraft')}
          </Button>
        </Space>
      }
    >
      <Alert type="info" showIcon title={rt('rules.newHint')} style={{ marginBottom: 16 }} />
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="rules-error" />}
      <Form form={form} layout="vertical">
        {specs.map((s) => (
          <Form.Item
            key={s.key}
            name={s.key}
            label={
              <Space size={4} wrap>
                <span>{rt(`rules.p.${s.key}` as RKey)}</span>
                {base && values && values[s.key] !== undefined && values[s.key] !== base.params[s.key] && <Tag color="orange">{rt('rules.changed')}</Tag>}
              </Space>
            }
            extra={<span style={{ overflowWrap: 'anywhere' }}>{rt(`rules.m.${s.key}` as RKey)} ({rangeText(s)})</span>}
            rules={[
              {
                validator: async (_r, v) => {
                  const err = paramError(s, v);
                  if (err) throw new Error(rt(`rules.err.${err}`, { range: rangeText(s) }));
                },
              },
            ]}
          >
            <InputNumber
              style={{ width: '100%', maxWidth: 240 }}
              step={s.type === 'integer' ? 1 : 0.1}
              suffix={unitText(rt, s) || undefined}
              data-testid={`rules-input-${s.key}`}
            />
          </Form.Item>
        ))}
        <Form.Item name="note" label={rt('rules.noteLabel')}>
          <Input.TextArea maxLength={500} rows={2} placeholder={rt('rules.notePlaceholder')} data-testid="rules-note" />
        </Form.Item>
      </Form>
    </Drawer>
  );
}

export default function RuleSetPage() {
  const rt = useRT();
  const { t } = useI18n();
  const { user } = useAuth();
  const { message } = App.useApp();
  const canEdit = hasPerm(user?.permissions, PERM_RULES);
  const [items, setItems] = useState<RuleSetVersion[] | null>(null);
  const [specs, setSpecs] = useState<ParamSpec[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [drawer, setDrawer] = useState(false);
  const [viewing, setViewing] = useState<RuleSetVersion | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const r = await rulesApi.list();
      setItems(r.items);
      setSpecs(r.params);
      setLoadError(null);
    } catch (e) {
      setLoadError(errorText(t, e));
    }
  }, [t]);
  useEffect(() => {
    void load();
  }, [load]);

  const active = useMemo(() => items?.find((i) => i.status === 'active') ?? null, [items]);

  const activate = async (v: RuleSetVersion) => {
    setBusy(v.version);
    try {
      await rulesApi.activate(v.version);
      message.success(rt('rules.activated', { version: v.version }));
      setViewing(null);
      await load();
    } catch (e) {
      message.error(errorText(t, e));
    } finally {
      setBusy(null);
    }
  };
  const retire = async (v: RuleSetVersion) => {
    setBusy(v.version);
    try {
      await rulesApi.retire(v.version);
      message.success(rt('rules.retired', { version: v.version }));
      setViewing(null);
      await load();
    } catch (e) {
      message.error(errorText(t, e));
    } finally {
      setBusy(null);
    }
  };

  const actions = (v: RuleSetVersion) => {
    const out = [
      <Button key="view" size="small" icon={<EyeOutlined />} onClick={() => setViewing(v)} data-testid={`rules-view-${v.version}`}>
        {rt('rules.view')}
      </Button>,
    ];
    if (canEdit && v.status !== 'active') {
      out.push(
        <Popconfirm
          key="activate"
          title={rt('rules.activate')}
          description={<div style={{ maxWidth: 280 }}>{rt('rules.activateConfirm', { version: v.version, current: active?.version ?? '-' })}</div>}
          okText={rt('rules.ok')}
          cancelText={rt('rules.cancel')}
          okButtonProps={{ 'data-testid': 'rules-activate-confirm' } as never}
          onConfirm={() => activate(v)}
        >
          <Button size="small" type="primary" icon={<CheckCircleOutlined />} loading={busy === v.version} data-testid={`rules-activate-${v.version}`}>
            {rt('rules.activate')}
          </Button>
        </Popconfirm>,
      );
    }
    if (canEdit && v.status === 'draft') {
      out.push(
        <Popconfirm key="retire" title={rt('rules.retireConfirm', { version: v.version })} okText={rt('rules.ok')} cancelText={rt('rules.cancel')} onConfirm={() => retire(v)}>
          <Button size="small" danger icon={<DeleteOutlined />} data-testid={`rules-retire-${v.version}`}>
            {rt('rules.retire')}
          </Button>
        </Popconfirm>,
      );
    }
    return out;
  };

  return (
    <PageContainer
      crumbs={[{ title: rt('rules.group') }, { title: rt('rules.title') }]}
      title={rt('rules.title')}
      extra={
        canEdit ? (
          <Button type="primary" icon={<PlusOutlined />} disabled={!active} onClick={() => setDrawer(true)} data-testid="rules-new">
            {rt('rules.new')}
          </Button>
        ) : undefined
      }
    >
      <Typography.Paragraph type="secondary">{rt('rules.subtitle')}</Typography.Paragraph>
      {!canEdit && <Alert type="info" showIcon title={rt('rules.readonly')} style={{ marginBottom: 16 }} data-testid="rules-readonly" />}
      {loadError && <Alert type="error" showIcon title={`${rt('rules.loadError')}: ${loadError}`} style={{ marginBottom: 16 }} />}
      {!items && !loadError && <Spin style={{ display: 'block', margin: '48px auto' }} />}
      {items && (
        <Flex vertical gap={16}>
          <Card
            title={
              <Space wrap>
                <span>{rt('rules.active')}</span>
                {active ? <Mono value={active.version} copyable={false} testId="rules-active-version" /> : null}
              </Space>
            }
            data-testid="rules-active"
          >
            {active ? (
              <>
                <Descriptions size="small" column={{ xs: 1, sm: 2, md: 3 }} style={{ marginBottom: 8 }}>
                  <Descriptions.Item label={rt('rules.activatedAt')}>{fmtTime(active.activatedAt)}</Descriptions.Item>
                  <Descriptions.Item label={rt('rules.activatedBy')}>{active.activatedBy ?? '-'}</Descriptions.Item>
                  <Descriptions.Item label={rt('rules.note')}>{active.note ?? '-'}</Descriptions.Item>
                </Descriptions>
                <ParamList specs={specs} params={active.params} testPrefix="rules-param" />
              </>
            ) : (
              <Empty description={rt('rules.noActive')} />
            )}
          </Card>
          <Card title={rt('rules.history')} data-testid="rules-history">
            <List
              dataSource={items}
              renderItem={(v) => (
                <List.Item key={v.version} data-testid={`rules-row-${v.version}`}>
                  <Flex vertical gap={4} style={{ width: '100%', minWidth: 0 }}>
                    <Flex justify="space-between" align="center" gap={8} wrap>
                      <Space wrap size={6}>
                        <Mono value={v.version} copyable={false} />
                        <Tag color={STATUS_COLOUR[v.status]} data-testid={`rules-status-${v.version}`}>{rt(`rules.status.${v.status}`)}</Tag>
                      </Space>
                      <Space wrap size={6}>{actions(v)}</Space>
                    </Flex>
                    <Typography.Text type="secondary" style={{ fontSize: 12, overflowWrap: 'anywhere' }}>
                      {rt('rules.createdAt')} {fmtTime(v.createdAt)} · {rt('rules.createdBy')} {v.createdBy ?? '-'}
                      {v.basedOn ? ` · ${rt('rules.basedOn')} ${v.basedOn}` : ''}
                      {v.activatedAt ? ` · ${rt('rules.activatedAt')} ${fmtTime(v.activatedAt)}` : ''}
                    </Typography.Text>
                    {v.note && <Typography.Text style={{ overflowWrap: 'anywhere' }}>{v.note}</Typography.Text>}
                  </Flex>
                </List.Item>
              )}
            />
          </Card>
        </Flex>
      )}
      <NewVersionDrawer
        open={drawer}
        base={active}
        specs={specs}
        onClose={() => setDrawer(false)}
        onSaved={async (d) => {
          setDrawer(false);
          message.success(rt('rules.created', { version: d.version }));
          await load();
          setViewing(d);
        }}
      />
      <VersionDrawer version={viewing} active={active} specs={specs} onClose={() => setViewing(null)} actions={viewing ? actions(viewing) : []} />
    </PageContainer>
  );
}

function VersionDrawer({ version, active, specs, onClose, actions }: { version: RuleSetVersion | null; active: RuleSetVersion | null; specs: ParamSpec[]; onClose: () => void; actions: ReactNode[] }) {
  const rt = useRT();
  const screens = Grid.useBreakpoint();
  return (
    <Drawer
      open={!!version}
      onClose={onClose}
      title={version ? rt('rules.versionDetail', { version: version.version }) : ''}
      size={screens.md === false ? '100%' : 560}
      data-testid="rules-version-drawer"
      extra={<Space wrap>{actions.filter((a) => (a as { key?: string }).key !== 'view')}</Space>}
    >
      {version && (
        <>
          <Descriptions size="small" column={1} style={{ marginBottom: 8 }}>
            <Descriptions.Item label={rt('rules.history')}>
              <Tag color={STATUS_COLOUR[version.status]}>{rt(`rules.status.${version.status}`)}</Tag>
            </Descriptions.Item>
            <Descriptions.Item label={rt('rules.createdBy')}>{version.createdBy ?? '-'} · {fmtTime(version.createdAt)}</Descriptions.Item>
            {version.basedOn && <Descriptions.Item label={rt('rules.basedOn')}>{version.basedOn}</Descriptions.Item>}
            {version.note && <Descriptions.Item label={rt('rules.note')}>{version.note}</Descriptions.Item>}
          </Descriptions>
          <ParamList specs={specs} params={version.params} compare={version.status !== 'active' ? active?.params : undefined} testPrefix="rules-vparam" />
        </>
      )}
    </Drawer>
  );
}
