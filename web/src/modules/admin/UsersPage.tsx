import { useEffect, useState } from 'react';
import { Alert, App, Button, Card, Col, Drawer, Form, Grid, Input, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { EditOutlined, KeyOutlined, PlusOutlined, UnlockOutlined } from '@ant-design/icons';
import { api, ApiError } from '../../api/client';
import type { UserRow } from '../../api/types';
import { useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { can } from '../../app/permissions';
import { useRoles } from '../../app/useRoles';
import { formatDateTime } from '../../app/format';
import { PageContainer } from '../../components/PageContainer';
import { QueryForm } from '../../components/QueryForm';
import { PAGE_SIZES, useListQuery } from '../../components/useListQuery';
import { errorText, fieldMessage } from '../../components/errors';
import { OrgUnitSelect, useOrgUnits } from '../../components/orgUnits';

interface UserForm {
  username?: string;
  displayName: string;
  password?: string;
  orgUnitId: number;
  roles: string[];
  status?: string;
}

const USER_FIELDS = ['username', 'displayName', 'password', 'orgUnitId', 'roles', 'status'];

function UserDrawer({ open, editing, onClose, onSaved }: { open: boolean; editing: UserRow | null; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const screens = Grid.useBreakpoint();
  const { roles, nameOf } = useRoles();
  const org = useOrgUnits();
  const [form] = Form.useForm<UserForm>();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!open) return;
    setError(null);
    form.resetFields();
    if (editing) form.setFieldsValue({ displayName: editing.displayName, orgUnitId: editing.orgUnitId, roles: editing.roles, status: editing.status });
    else form.setFieldsValue({ roles: [] });
  }, [open, editing, form]);

  const submit = async () => {
    let v: UserForm;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    setSaving(true);
    setError(null);
    try {
      if (editing) {
        await api.patch(`/users/${editing.id}`, { displayName: v.displayName.trim(), orgUnitId: v.orgUnitId, roles: v.roles, status: v.status });
        message.success(t('common.saved'));
      } else {
        await api.post('/users', { username: v.username?.trim(), displayName: v.displayName.trim(), password: v.password, orgUnitId: v.orgUnitId, roles: v.roles });
        message.success(t('users.created', { name: v.username?.trim() ?? '' }));
      }
      onSaved();
    } catch (e) {
      const f = e instanceof ApiError ? e.field : undefined;
      if (f && USER_FIELDS.includes(f)) form.setFields([{ name: f as keyof UserForm, errors: [fieldMessage(e)] }]);
      else setError(errorText(t, e));
    } finally {
      setSaving(false);
    }
  };

  const roleOptions = (roles ?? []).map((r) => ({ value: r.code, label: nameOf(r.code) }));
  return (
    <Drawer
      open={open}
      onClose={onClose}
      title={editing ? `${t('users.edit')} · ${editing.username}` : t('users.create')}
      size={screens.md === false ? '100%' : 480}
      destroyOnHidden
      data-testid="user-drawer"
      extra={
        <Space>
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button type="primary" loading={saving} onClick={submit} data-testid="user-save">
            {t('common.save')}
          </Button>
        </Space>
      }
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="user-error" />}
      <Form form={form} layout="vertical">
        {!editing && (
          <Form.Item name="username" label={t('users.username')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
            <Input className="vl-mono" maxLength={64} autoComplete="off" data-testid="user-username" />
          </Form.Item>
        )}
        <Form.Item name="displayName" label={t('users.displayName')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
          <Input maxLength={100} data-testid="user-display-name" />
        </Form.Item>
        {!editing && (
          <Form.Item name="password" label={t('users.password')} rules={[{ required: true, message: t('validation.required') }]} extra={t('password.policy')}>
            <Input.Password autoComplete="new-password" data-testid="user-password" />
          </Form.Item>
        )}
        <Form.Item name="orgUnitId" label={t('users.orgUnit')} rules={[{ required: true, message: t('validation.required') }]}>
          <OrgUnitSelect tree={org.tree} allowClear={false} testId="user-org-unit" />
        </Form.Item>
        <Form.Item name="roles" label={t('users.roles')} rules={[{ required: true, type: 'array', min: 1, message: t('validation.required') }]}>
          <Select mode="multiple" options={roleOptions} data-testid="user-roles" />
        </Form.Item>
        {editing && (
          <Form.Item name="status" label={t('users.status')}>
            <Select
              options={[
                { value: 'active', label: t('users.status.active') },
                { value: 'disabled', label: t('users.status.disabled') },
              ]}
            />
          </Form.Item>
        )}
      </Form>
    </Drawer>
  );
}

function ResetPasswordModal({ user, onClose }: { user: UserRow | null; onClose: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ password: string }>();
  const [saving, setSaving] = useState(false);
  const submit = async () => {
    const v = await form.validateFields();
    setSaving(true);
    try {
      await api.patch(`/users/${user!.id}`, { password: v.password });
      message.success(t('common.saved'));
      onClose();
    } catch (e) {
      if (e instanceof ApiError && e.field === 'password') form.setFields([{ name: 'password', errors: [fieldMessage(e)] }]);
      else message.error(errorText(t, e));
    } finally {
      setSaving(false);
    }
  };
  return (
    <Modal open={!!user} title={user ? t('users.resetPasswordFor', { name: user.displayName }) : ''} onCancel={onClose} onOk={submit} confirmLoading={saving} okText={t('common.save')} cancelText={t('common.cancel')} destroyOnHidden>
      <Form form={form} layout="vertical">
        <Form.Item name="password" label={t('users.newPassword')} rules={[{ required: true, message: t('validation.required') }]} extra={t('password.policy')}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

export default function UsersPage() {
  const { t } = useI18n();
  const { user } = useAuth();
  const { nameOf } = useRoles();
  const [form] = Form.useForm();
  const list = useListQuery<UserRow>('/users', ['q']);
  const [drawer, setDrawer] = useState<{ open: boolean; editing: UserRow | null }>({ open: false, editing: null });
  const [resetting, setResetting] = useState<UserRow | null>(null);
  const writable = can(user, 'user.write');
  const { message } = App.useApp();

  const isLocked = (r: UserRow) => !!r.lockedUntil && new Date(r.lockedUntil).getTime() > Date.now();
  const unlock = async (r: UserRow) => {
    try {
      await api.patch(`/users/${r.id}`, { unlock: true });
      message.success(t('users.unlocked', { name: r.username }));
      list.reload();
    } catch (e) {
      message.error(errorText(t, e));
    }
  };
  const statusTag = (r: UserRow) => {
    if (isLocked(r)) return <Tag color="red">{t('users.status.locked')}</Tag>;
    return r.status === 'active' ? <Tag color="green">{t('users.status.active')}</Tag> : <Tag>{t('users.status.disabled')}</Tag>;
  };

  const columns: ColumnsType<UserRow> = [
    { title: t('users.username'), dataIndex: 'username', width: 140, render: (v: string) => <Typography.Text className="vl-mono">{v}</Typography.Text> },
    { title: t('users.displayName'), dataIndex: 'displayName', width: 140 },
    { title: t('users.orgUnit'), dataIndex: 'orgUnitName', width: 180, ellipsis: true },
    {
      title: t('users.roles'),
      dataIndex: 'roles',
      render: (v: string[]) => (
        <Space size={[4, 4]} wrap>
          {(v ?? []).map((r) => (
            <Tag key={r} color="blue">
              {nameOf(r)}
            </Tag>
          ))}
        </Space>
      ),
    },
    { title: t('users.status'), width: 90, render: (_, r) => statusTag(r) },
    { title: t('users.lastLogin'), dataIndex: 'lastLoginAt', width: 170, render: (v: string) => formatDateTime(v) },
    ...(writable
      ? [
          {
            title: t('common.actions'),
            width: 250,
            fixed: 'right' as const,
            render: (_: unknown, r: UserRow) => (
              <Space size={0}>
                <Button type="link" size="small" icon={<EditOutlined />} onClick={() => setDrawer({ open: true, editing: r })}>
                  {t('common.edit')}
                </Button>
                <Button type="link" size="small" icon={<KeyOutlined />} onClick={() => setResetting(r)}>
                  {t('users.resetPassword')}
                </Button>
                {isLocked(r) && (
                  <Button type="link" size="small" icon={<UnlockOutlined />} onClick={() => unlock(r)}>
                    {t('users.unlock')}
                  </Button>
                )}
              </Space>
            ),
          },
        ]
      : []),
  ];

  return (
    <PageContainer
      crumbs={[{ title: t('menu.system') }, { title: t('menu.users') }]}
      title={t('users.title')}
      extra={
        writable && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setDrawer({ open: true, editing: null })} data-testid="user-create">
            {t('users.create')}
          </Button>
        )
      }
    >
      <Card style={{ marginBottom: 16 }} styles={{ body: { paddingBottom: 4 } }}>
        <QueryForm form={form} values={list.filters} onSearch={(v) => list.search(v as Record<string, string>)}>
          <Col xs={24} md={12} lg={8}>
            <Form.Item name="q" label={t('accounts.keyword')}>
              <Input allowClear placeholder={t('users.searchPlaceholder')} onPressEnter={() => form.submit()} />
            </Form.Item>
          </Col>
        </QueryForm>
      </Card>
      {list.error != null && <Alert type="error" showIcon title={errorText(t, list.error)} style={{ marginBottom: 16 }} />}
      <Card styles={{ body: { padding: 0 } }}>
        <Table<UserRow>
          rowKey="id"
          size="middle"
          columns={columns}
          dataSource={list.items}
          loading={list.loading}
          scroll={{ x: 1100 }}
          data-testid="users-table"
          pagination={{
            current: list.page,
            pageSize: list.pageSize,
            total: list.total,
            pageSizeOptions: PAGE_SIZES,
            showSizeChanger: true,
            showTotal: (total) => t('common.total', { total }),
            onChange: list.setPage,
            style: { paddingInline: 16 },
          }}
        />
      </Card>
      <UserDrawer
        open={drawer.open}
        editing={drawer.editing}
        onClose={() => setDrawer({ open: false, editing: null })}
        onSaved={() => {
          setDrawer({ open: false, editing: null });
          list.reload();
        }}
      />
      <ResetPasswordModal user={resetting} onClose={() => setResetting(null)} />
    </PageContainer>
  );
}
