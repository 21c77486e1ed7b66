import { useMemo, useState } from 'react';
import { Outlet, useLocation, useNavigate } from 'react-router-dom';
import { App, Avatar, Button, Drawer, Dropdown, Form, Grid, Input, Layout, Menu, Modal, Space, Tag, Typography } from 'antd';
import type { MenuProps } from 'antd';
import { ApartmentOutlined, LockOutlined, LogoutOutlined, MenuFoldOutlined, MenuOutlined, MenuUnfoldOutlined, ThunderboltFilled, TranslationOutlined, UserOutlined } from '@ant-design/icons';
import { useAuth } from './auth';
import { useI18n } from '../i18n';
import { isGroup, visibleMenu } from './menu';
import { api } from '../api/client';
import { useOrgName } from './useOrgName';
import { errorText } from '../components/errors';

const { Header, Sider, Content } = Layout;

/** The menu entry for a path: the longest menu path that is a prefix of it. */
function selectedKey(pathname: string, paths: string[]): string {
  if (pathname === '/') return '/';
  let best = '';
  for (const p of paths) if (p !== '/' && (pathname === p || pathname.startsWith(p + '/')) && p.length > best.length) best = p;
  return best || pathname;
}

export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <Button
      type="text"
      icon={<TranslationOutlined />}
      onClick={() => setLang(lang === 'en' ? 'zh-CN' : 'en')}
      data-testid="lang-switch"
      title={t('header.switchLanguage')}
    >
      {lang === 'en' ? '中文' : 'EN'}
    </Button>
  );
}

function ChangePasswordModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ currentPassword: string; newPassword: string; confirm: string }>();
  const [saving, setSaving] = useState(false);
  const submit = async () => {
    const v = await form.validateFields();
    setSaving(true);
    try {
      await api.post('/auth/password', { currentPassword: v.currentPassword, newPassword: v.newPassword });
      message.success(t('common.saved'));
      form.resetFields();
      onClose();
    } catch (e) {
      message.error(errorText(t, e));
    } finally {
      setSaving(false);
    }
  };
  return (
    <Modal open={open} title={t('header.changePassword')} onCancel={onClose} onOk={submit} confirmLoading={saving} destroyOnHidden okText={t('common.save')} cancelText={t('common.cancel')}>
      <Form form={form} layout="vertical">
        <Form.Item name="currentPassword" label={t('password.current')} rules={[{ required: true, message: t('validation.required') }]}>
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <Form.Item name="newPassword" label={t('password.new')} rules={[{ required: true, message: t('validation.required') }]} extra={t('password.policy')}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item
          name="confirm"
          label={t('password.confirm')}
          dependencies={['newPassword']}
          rules={[
            { required: true, message: t('validation.required') },
            ({ getFieldValue }) => ({
              validator: (_, value) => (!value || getFieldValue('newPassword') === value ? Promise.resolve() : Promise.reject(new Error(t('password.mismatch')))),
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** Ant Design Pro-style shell: side menu by module (drawer on phones), header, content. */
export function AppLayout() {
  const { user, logout } = useAuth();
  const { t } = useI18n();
  const navigate = useNavigate();
  const location = useLocation();
  const screens = Grid.useBreakpoint();
  const isPhone = screens.md === false;
  const [collapsed, setCollapsed] = useState(false);
  const [drawerOpen, setDrawerOpen] = useState(false);
  const [pwdOpen, setPwdOpen] = useState(false);

  const entries = useMemo(() => visibleMenu(user), [user]);
  const items: MenuProps['items'] = entries.map((e) =>
    isGroup(e)
      ? { key: e.key, icon: e.icon, label: t(e.labelKey), children: e.children.map((c) => ({ key: c.path, icon: c.icon, label: t(c.labelKey) })) }
      : { key: e.path, icon: e.icon, label: t(e.labelKey) },
  );
  const selected = selectedKey(location.pathname, entries.flatMap((e) => (isGroup(e) ? e.children.map((c) => c.path) : [e.path])));
  const openGroups = entries.filter(isGroup).map((g) => g.key);

  const menu = (
    <Menu
      theme="dark"
      mode="inline"
      items={items}
      selectedKeys={[selected]}
      defaultOpenKeys={openGroups}
      onClick={({ key }) => {
        navigate(key);
        setDrawerOpen(false);
      }}
      data-testid="side-menu"
    />
  );

  const brand = (small: boolean) => (
    <div style={{ height: 56, display: 'flex', alignItems: 'center', gap: 8, padding: '0 20px', color: '#fff', fontWeight: 600, fontSize: 16, whiteSpace: 'nowrap', overflow: 'hidden' }}>
      <ThunderboltFilled style={{ color: '#faad14', fontSize: 20 }} />
      {!small && <span>{t('app.name')}</span>}
    </div>
  );

  const orgName = useOrgName();

  return (
    <Layout style={{ minHeight: '100vh' }}>
      {!isPhone && (
        <Sider collapsible collapsed={collapsed} trigger={null} width={220}>
          <div style={{ position: 'sticky', top: 0, maxHeight: '100vh', overflowY: 'auto' }}>
            {brand(collapsed)}
            {menu}
          </div>
        </Sider>
      )}
      {isPhone && (
        <Drawer
          placement="left"
          open={drawerOpen}
          onClose={() => setDrawerOpen(false)}
          size={240}
          closable={false}
          styles={{ body: { padding: 0, background: '#001529' } }}
          data-testid="menu-drawer"
        >
          {brand(false)}
          {menu}
        </Drawer>
      )}
      <Layout>
        <Header
          style={{
            background: '#fff',
            padding: isPhone ? '0 8px' : '0 16px',
            height: 56,
            lineHeight: '56px',
            display: 'flex',
            alignItems: 'center',
            justifyContent: 'space-between',
            boxShadow: '0 1px 4px rgba(0,21,41,.08)',
            position: 'sticky',
            top: 0,
            zIndex: 10,
          }}
        >
          <Space size={4}>
            {isPhone ? (
              <Button type="text" icon={<MenuOutlined />} onClick={() => setDrawerOpen(true)} aria-label={t('header.menu')} data-testid="menu-toggle" />
            ) : (
              <Button type="text" icon={collapsed ? <MenuUnfoldOutlined /> : <MenuFoldOutlined />} onClick={() => setCollapsed(!collapsed)} aria-label={t('header.menu')} />
            )}
            {isPhone && (
              <Typography.Text strong>
                <ThunderboltFilled style={{ color: '#faad14' }} /> Voltline
              </Typography.Text>
            )}
          </Space>
          <Space size={isPhone ? 0 : 8}>
            {orgName && !isPhone && (
              <Tag icon={<ApartmentOutlined />} color="blue" data-testid="header-org-unit">
                {orgName}
              </Tag>
            )}
            <LanguageSwitch />
            <Dropdown
              trigger={['click']}
              menu={{
                items: [
                  ...(isPhone && orgName ? [{ key: 'org', icon: <ApartmentOutlined />, label: orgName, disabled: true }] : []),
                  { key: 'password', icon: <LockOutlined />, label: t('header.changePassword') },
                  { type: 'divider' as const },
                  { key: 'logout', icon: <LogoutOutlined />, label: <span data-testid="logout">{t('header.logout')}</span>, danger: true },
                ],
                onClick: async ({ key }) => {
                  if (key === 'logout') {
                    await logout();
                    navigate('/login', { replace: true });
                  } else if (key === 'password') setPwdOpen(true);
                },
              }}
            >
              <Button type="text" data-testid="user-menu" style={{ paddingInline: 6 }}>
                <Avatar size="small" icon={<UserOutlined />} style={{ background: '#1677ff' }} />
                {!isPhone && <span style={{ marginLeft: 6 }}>{user?.displayName ?? user?.username}</span>}
              </Button>
            </Dropdown>
          </Space>
        </Header>
        <Content style={{ padding: isPhone ? 12 : 24, minWidth: 0 }}>
          <Outlet />
        </Content>
        <Layout.Footer style={{ textAlign: 'center', color: '#999', padding: '12px 16px', fontSize: 12 }}>Voltline · {t('app.fullName')}</Layout.Footer>
      </Layout>
      <ChangePasswordModal open={pwdOpen} onClose={() => setPwdOpen(false)} />
    </Layout>
  );
}
