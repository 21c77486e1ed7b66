import { useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { LockOutlined, ThunderboltFilled, UserOutlined } from '@ant-design/icons';
import { useAuth } from '../../app/auth';
import { useI18n } from '../../i18n';
import { errorText } from '../../components/errors';
import { ApiError } from '../../api/client';
import { LanguageSwitch } from '../../app/AppLayout';

export function LoginPage() {
  const { user, login, loading } = useAuth();
  const { t } = useI18n();
  const navigate = useNavigate();
  const location = useLocation();
  const [error, setError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const from = (location.state as { from?: string } | null)?.from;

  if (!loading && user) return <Navigate to={from && from !== '/login' ? from : '/'} replace />;

  const onFinish = async (v: { username: string; password: string }) => {
    setSubmitting(true);
    setError(null);
    try {
      await login(v.username.trim(), v.password);
      navigate(from && from !== '/login' ? from : '/', { replace: true });
    } catch (e) {
      // the API's own message, titled by what happened (wrong password, locked, rate limited)
      setError(e instanceof ApiError && e.code === 'UNAUTHENTICATED' ? `${t('login.failed')}: ${e.message}` : errorText(t, e));
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <div className="vl-login-bg">
      <div style={{ position: 'fixed', top: 12, right: 12 }}>
        <div style={{ background: 'rgba(255,255,255,.9)', borderRadius: 6 }}>
          <LanguageSwitch />
        </div>
      </div>
      <Card style={{ width: '100%', maxWidth: 380 }} styles={{ body: { padding: 28 } }}>
        <div style={{ textAlign: 'center', marginBottom: 24 }}>
          <ThunderboltFilled style={{ fontSize: 36, color: '#faad14' }} />
          <Typography.Title level={3} style={{ margin: '8px 0 0' }}>
            Voltline
          </Typography.Title>
          <Typography.Text type="secondary">{t('app.fullName')}</Typography.Text>
        </div>
        {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="login-error" />}
        <Form layout="vertical" onFinish={onFinish} requiredMark={false} size="large">
          <Form.Item name="username" rules={[{ required: true, message: t('login.usernameRequired') }]}>
            <Input prefix={<UserOutlined />} placeholder={t('login.username')} autoComplete="username" autoFocus data-testid="login-username" />
          </Form.Item>
          <Form.Item name="password" rules={[{ required: true, message: t('login.passwordRequired') }]}>
            <Input.Password prefix={<LockOutlined />} placeholder={t('login.password')} autoComplete="current-password" data-testid="login-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={submitting} data-testid="login-submit">
            {t('login.submit')}
          </Button>
        </Form>
      </Card>
    </div>
  );
}
