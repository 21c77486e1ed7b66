import { useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Card, Checkbox, Drawer, Form, Grid, Input, Space, Table, Tag, Typography } from 'antd';
import { EditOutlined, PlusOutlined } from '@ant-design/icons';
import { api, ApiError } from '../../api/client';
import type { Permission, Role } from '../../api/types';
import { useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { can } from '../../app/permissions';
import { useRoles } from '../../app/useRoles';
import { PageContainer } from '../../components/PageContainer';
import { errorText, fieldMessage } from '../../components/errors';
import { PAGE_SIZES } from '../../components/useListQuery';

/** Checkbox matrix: one row per module, one checkbox per permission, a select-all per module. */
function PermissionMatrix({ value = [], onChange, permissions }: { value?: string[]; onChange?: (v: string[]) => void; permissions: Permission[] }) {
  const { pick, tx, t } = useI18n();
  const groups = useMemo(() => {
    const m = new Map<string, Permission[]>();
    for (const p of permissions) m.set(p.module, [...(m.get(p.module) ?? []), p]);
    return [...m.entries()];
  }, [permissions]);
  const set = new Set(value);
  const toggle = (codes: string[], on: boolean) => {
    const next = new Set(set);
    codes.forEach((c) => (on ? next.add(c) : next.delete(c)));
    onChange?.(permissions.map((p) => p.code).filter((c) => next.has(c)));
  };
  return (
    <Table
      size="small"
      rowKey={(g) => g[0]}
      dataSource={groups}
      pagination={false}
      bordered
      data-testid="permission-matrix"
      columns={[
        {
          title: t('roles.module'),
          width: 150,
          render: (_, [mod, perms]) => {
            const codes = perms.map((p) => p.code);
            const n = codes.filter((c) => set.has(c)).length;
            return (
              <Checkbox checked={n === codes.length} indeterminate={n > 0 && n < codes.length} onChange={(e) => toggle(codes, e.target.checked)}>
                <b>{tx(`module.${mod}`, mod)}</b>
              </Checkbox>
            );
          },
        },
        {
          title: t('roles.permissions'),
          render: (_, [, perms]) => (
            <Space wrap size={[12, 4]}>
              {perms.map((p) => (
                <Checkbox key={p.code} checked={set.has(p.code)} onChange={(e) => toggle([p.code], e.target.checked)} data-testid={`perm-${p.code}`}>
                  {pick(p.zh, p.en)} <Typography.Text type="secondary" className="vl-mono" style={{ fontSize: 11 }}>{p.code}</Typography.Text>
                </Checkbox>
              ))}
            </Space>
          ),
        },
      ]}
    />
  );
}

function RoleDrawer({ open, editing, permissions, onClose, onSaved }: { open: boolean; editing: Role | null; permissions: Permission[]; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const screens = Grid.useBreakpoint();
  const [form] = Form.useForm<{ code?: string; nameZh: string; nameEn: string; permissions: string[] }>();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!open) return;
    setError(null);
    form.resetFields();
    form.setFieldsValue(editing ? { nameZh: editing.nameZh, nameEn: editing.nameEn, permissions: editing.permissions } : { permissions: [] });
  }, [open, editing, form]);

  const submit = async () => {
    let v;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    setSaving(true);
    setError(null);
    try {
      if (editing) await api.patch(`/roles/${encodeURIComponent(editing.code)}`, { nameZh: v.nameZh.trim(), nameEn: v.nameEn.trim(), permissions: v.permissions });
      else await api.post('/roles', { code: v.code?.trim(), nameZh: v.nameZh.trim(), nameEn: v.nameEn.trim(), permissions: v.permissions });
      message.success(t('common.saved'));
      onSaved();
    } catch (e) {
      const f = e instanceof ApiError ? e.field : undefined;
      if (f && ['code', 'nameZh', 'nameEn', 'permissions'].includes(f)) form.setFields([{ name: f as 'nameZh', errors: [fieldMessage(e)] }]);
      else setError(errorText(t, e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Drawer
      open={open}
      onClose={onClose}
      title={editing ? `${t('roles.edit')} · ${editing.code}` : t('roles.create')}
      size={screens.md === false ? '100%' : 860}
      destroyOnHidden
      data-testid="role-drawer"
      extra={
        <Space>
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button type="primary" loading={saving} onClick={submit} data-testid="role-save">
            {t('common.save')}
          </Button>
        </Space>
      }
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      <Form form={form} layout="vertical">
        {!editing && (
          <Form.Item name="code" label={t('roles.code')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
            <Input className="vl-mono" maxLength={64} />
          </Form.Item>
        )}
        <Space.Compact block style={{ gap: 16 }}>
          <Form.Item name="nameZh" label={t('roles.nameZh')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]} style={{ flex: 1 }}>
            <Input maxLength={100} />
          </Form.Item>
          <Form.Item name="nameEn" label={t('roles.nameEn')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]} style={{ flex: 1 }}>
            <Input maxLength={100} />
          </Form.Item>
        </Space.Compact>
        <Form.Item name="permissions" label={t('roles.permissions')}>
          <PermissionMatrix permissions={permissions} />
        </Form.Item>
      </Form>
    </Drawer>
  );
}

export default function RolesPage() {
  const { t, pick } = useI18n();
  const { user } = useAuth();
  const { roles, reload } = useRoles();
  const [permissions, setPermissions] = useState<Permission[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [drawer, setDrawer] = useState<{ open: boolean; editing: Role | null }>({ open: false, editing: null });
  const writable = can(user, 'role.write');

  useEffect(() => {
    api
      .get<{ items: Permission[] }>('/permissions')
      .then((r) => setPermissions(r.items ?? []))
      .catch(setError);
  }, []);

  return (
    <PageContainer
      crumbs={[{ title: t('menu.system') }, { title: t('menu.roles') }]}
      title={t('roles.title')}
      extra={
        writable && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setDrawer({ open: true, editing: null })} data-testid="role-create">
            {t('roles.create')}
          </Button>
        )
      }
    >
      {error != null && <Alert type="error" showIcon title={errorText(t, error)} style={{ marginBottom: 16 }} />}
      <Card styles={{ body: { padding: 0 } }}>
        <Table<Role>
          rowKey="code"
          size="middle"
          loading={roles === null && !error}
          dataSource={roles ?? []}
          scroll={{ x: 800 }}
          pagination={{ pageSizeOptions: PAGE_SIZES, showSizeChanger: true, defaultPageSize: 20, showTotal: (total) => t('common.total', { total }), style: { paddingInline: 16 } }}
          columns={[
            { title: t('roles.code'), dataIndex: 'code', width: 180, render: (v: string) => <span className="vl-mono">{v}</span> },
            { title: t('field.name'), render: (_, r) => pick(r.nameZh, r.nameEn) },
            { title: t('roles.permissions'), width: 140, render: (_, r) => t('roles.permissionCount', { count: r.permissions?.length ?? 0 }) },
            { title: '', width: 90, render: (_, r) => (r.builtin ? <Tag>{t('roles.builtin')}</Tag> : null) },
            ...(writable
              ? [
                  {
                    title: t('common.actions'),
                    width: 100,
                    render: (_: unknown, r: Role) => (
                      <Button type="link" size="small" icon={<EditOutlined />} onClick={() => setDrawer({ open: true, editing: r })}>
                        {t('common.edit')}
                      </Button>
                    ),
                  },
                ]
              : []),
          ]}
        />
      </Card>
      <RoleDrawer
        open={drawer.open}
        editing={drawer.editing}
        permissions={permissions}
        onClose={() => setDrawer({ open: false, editing: null })}
        onSaved={() => {
          setDrawer({ open: false, editing: null });
          reload();
        }}
      />
    </PageContainer>
  );
}
