import { Button, Col, Form, Grid, Row, Space, type FormInstance } from 'antd';
import { ReloadOutlined, SearchOutlined } from '@ant-design/icons';
import { useEffect, type ReactNode } from 'react';
import { useI18n } from '../i18n';

/**
 * Query form above a table with 查询 / 重置. `values` (from the URL) are loaded into the form;
 * `onSearch` gets the trimmed values.
 */
export function QueryForm<V extends Record<string, unknown>>({
  form,
  values,
  onSearch,
  children,
  testId,
  extraActions,
}: {
  form: FormInstance<V>;
  values: Record<string, unknown>;
  onSearch: (v: V) => void;
  children: ReactNode;
  testId?: string;
  extraActions?: ReactNode;
}) {
  const { t } = useI18n();
  const screens = Grid.useBreakpoint();
  const valuesJson = JSON.stringify(values);
  useEffect(() => {
    form.resetFields();
    form.setFieldsValue(JSON.parse(valuesJson));
  }, [form, valuesJson]);
  return (
    <Form form={form} className="vl-query-form" layout="vertical" onFinish={onSearch} data-testid={testId}>
      <Row gutter={16} align="bottom">
        {children}
        <Col xs={24} sm={24} md={8} lg={6} xl={4} style={{ marginLeft: 'auto' }}>
          <Form.Item label={screens.md === false ? undefined : ' '} colon={false}>
            <Space>
              <Button type="primary" htmlType="submit" icon={<SearchOutlined />} data-testid="query-submit">
                {t('common.query')}
              </Button>
              <Button
                icon={<ReloadOutlined />}
                onClick={() => {
                  form.resetFields();
                  onSearch({} as V);
                }}
                data-testid="query-reset"
              >
                {t('common.reset')}
              </Button>
              {extraActions}
            </Space>
          </Form.Item>
        </Col>
      </Row>
    </Form>
  );
}
