import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { Alert, App, Button, Card, Col, Descriptions, Empty, Form, Input, Modal, Row, Select, Space, Spin, Tree, Typography } from 'antd';
import { ApartmentOutlined, EditOutlined, PlusOutlined } from '@ant-design/icons';
import { api, ApiError } from '../../api/client';
import type { OrgUnit } from '../../api/types';
import { useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { useDict } from '../../app/dict';
import { can } from '../../app/permissions';
import { PageContainer } from '../../components/PageContainer';
import { errorText, fieldMessage } from '../../components/errors';
import { useOrgUnits, type OrgTreeNode } from '../../components/orgUnits';

/** Which kinds may sit under which (mirrors the server's rule; the server checks again). */
const CHILD_KINDS: Record<string, string[]> = { company: ['county'], county: ['station', 'hall'], station: ['hall'], hall: [] };

type Mode = { kind: 'create'; parent: OrgUnit } | { kind: 'rename'; unit: OrgUnit } | null;

function filterTree(nodes: OrgTreeNode[], term: string): OrgTreeNode[] {
  if (!term) return nodes;
  const out: OrgTreeNode[] = [];
  for (const n of nodes) {
    const children = filterTree(n.children, term);
    if (children.length || n.title.toLowerCase().includes(term) || String(n.unit.code).toLowerCase().includes(term)) out.push({ ...n, children });
  }
  return out;
}

function OrgUnitModal({ mode, onClose, onDone }: { mode: Mode; onClose: () => void; onDone: (id?: number) => void }) {
  const { t } = useI18n();
  const { label } = useDict();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ code?: string; name: string; nameEn?: string; kind?: string }>();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const kinds = mode?.kind === 'create' ? (CHILD_KINDS[mode.parent.kind] ?? ['station']) : [];

  useEffect(() => {
    if (!mode) return;
    setError(null);
    form.resetFields();
    if (mode.kind === 'rename') form.setFieldsValue({ name: mode.unit.name, nameEn: mode.unit.nameEn ?? '' });
    else form.setFieldsValue({ kind: (CHILD_KINDS[mode.parent.kind] ?? [])[0] });
  }, [mode, form]);

  const submit = async () => {
    const v = await form.validateFields();
    setSaving(true);
    setError(null);
    try {
      if (mode?.kind === 'create') {
        const res = await api.post<{ id?: number; orgUnit?: { id: number } }>('/org-units', {
          parentId: mode.parent.id,
          code: v.code?.trim(),
          name: v.name.trim(),
          nameEn: v.nameEn?.trim() || undefined,
          kind: v.kind,
        });
        message.success(t('orgUnits.created', { name: v.name.trim() }));
        onDone(res?.id ?? res?.orgUnit?.id);
      } else if (mode?.kind === 'rename') {
        await api.patch(`/org-units/${mode.unit.id}`, { name: v.name.trim(), nameEn: v.nameEn?.trim() || null });
        message.success(t('common.saved'));
        onDone(mode.unit.id);
      }
    } catch (e) {
      const f = e instanceof ApiError ? e.field : undefined;
      if (f && ['code', 'name', 'nameEn', 'kind'].includes(f)) form.setFields([{ name: f as 'name', errors: [fieldMessage(e)] }]);
      else setError(errorText(t, e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open={!!mode}
      title={mode?.kind === 'create' ? `${t('orgUnits.createChild')} · ${mode.parent.name}` : t('orgUnits.rename')}
      onCancel={onClose}
      onOk={submit}
      confirmLoading={saving}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      destroyOnHidden
      data-testid="org-unit-modal"
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      <Form form={form} layout="vertical">
        {mode?.kind === 'create' && (
          <>
            <Form.Item name="kind" label={t('orgUnits.kind')} rules={[{ required: true, message: t('validation.required') }]}>
              <Select options={kinds.map((k) => ({ value: k, label: label('orgUnitKinds', k) }))} />
            </Form.Item>
            <Form.Item name="code" label={t('orgUnits.code')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
              <Input className="vl-mono" maxLength={32} data-testid="org-unit-code" />
            </Form.Item>
          </>
        )}
        <Form.Item name="name" label={t('orgUnits.name')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
          <Input maxLength={100} data-testid="org-unit-name" />
        </Form.Item>
        <Form.Item name="nameEn" label={t('orgUnits.nameEn')}>
          <Input maxLength={100} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

export default function OrgUnitsPage() {
  const { t, pick } = useI18n();
  const { label } = useDict();
  const { user } = useAuth();
  const { units, tree, failed, reload } = useOrgUnits();
  const [selectedId, setSelectedId] = useState<number | null>(null);
  const [mode, setMode] = useState<Mode>(null);
  const [term, setTerm] = useState('');
  const writable = can(user, 'org.write');

  const selected = units?.find((u) => u.id === selectedId) ?? null;
  const parent = selected?.parentId ? units?.find((u) => u.id === selected.parentId) : undefined;
  const shown = useMemo(() => filterTree(tree, term.trim().toLowerCase()), [tree, term]);
  type TreeItem = { key: number; title: ReactNode; children: TreeItem[] };
  const toTreeData = (nodes: OrgTreeNode[]): TreeItem[] =>
    nodes.map((n) => ({
      key: n.key,
      title: (
        <span data-testid="org-tree-node">
          {n.title} <Typography.Text type="secondary" style={{ fontSize: 12 }}>{label('orgUnitKinds', n.unit.kind)}</Typography.Text>
        </span>
      ),
      children: toTreeData(n.children),
    }));

  useEffect(() => {
    if (selectedId === null && tree.length) setSelectedId(tree[0].unit.id);
  }, [tree, selectedId]);

  return (
    <PageContainer crumbs={[{ title: t('menu.system') }, { title: t('menu.orgUnits') }]} title={t('orgUnits.title')}>
      {failed && <Alert type="error" showIcon title={t('common.loadFailed')} />}
      <Row gutter={[16, 16]}>
        <Col xs={24} md={10} lg={8}>
          <Card size="small" title={<><ApartmentOutlined /> {t('orgUnits.title')}</>}>
            <Input.Search allowClear placeholder={t('orgUnits.search')} onChange={(e) => setTerm(e.target.value)} style={{ marginBottom: 8 }} />
            {!units ? (
              <Spin />
            ) : (
              <Tree
                key={term ? `f-${term}` : `all-${units.length}`}
                treeData={toTreeData(shown)}
                defaultExpandAll
                selectedKeys={selectedId ? [selectedId] : []}
                onSelect={(keys) => keys.length && setSelectedId(Number(keys[0]))}
                data-testid="org-tree"
              />
            )}
          </Card>
        </Col>
        <Col xs={24} md={14} lg={16}>
          <Card
            size="small"
            title={selected ? pick(selected.name, selected.nameEn) : t('orgUnits.selectHint')}
            extra={
              selected &&
              writable && (
                <Space>
                  {(CHILD_KINDS[selected.kind] ?? []).length > 0 && (
                    <Button type="primary" icon={<PlusOutlined />} onClick={() => setMode({ kind: 'create', parent: selected })} data-testid="org-create-child">
                      {t('orgUnits.createChild')}
                    </Button>
                  )}
                  <Button icon={<EditOutlined />} onClick={() => setMode({ kind: 'rename', unit: selected })} data-testid="org-rename">
                    {t('orgUnits.rename')}
                  </Button>
                </Space>
              )
            }
          >
            {selected ? (
              <Descriptions size="small" column={1} bordered>
                <Descriptions.Item label={t('orgUnits.code')}>
                  <span className="vl-mono">{selected.code}</span>
                </Descriptions.Item>
                <Descriptions.Item label={t('orgUnits.name')}>{selected.name}</Descriptions.Item>
                <Descriptions.Item label={t('orgUnits.nameEn')}>{selected.nameEn || '-'}</Descriptions.Item>
                <Descriptions.Item label={t('orgUnits.kind')}>{label('orgUnitKinds', selected.kind)}</Descriptions.Item>
                <Descriptions.Item label={t('orgUnits.parent')}>{parent ? pick(parent.name, parent.nameEn) : '-'}</Descriptions.Item>
                <Descriptions.Item label={t('orgUnits.path')}>
                  <span className="vl-mono">{selected.path ?? '-'}</span>
                </Descriptions.Item>
              </Descriptions>
            ) : (
              <Empty description={t('orgUnits.selectHint')} />
            )}
          </Card>
        </Col>
      </Row>
      <OrgUnitModal
        mode={mode}
        onClose={() => setMode(null)}
        onDone={(id) => {
          setMode(null);
          reload();
          if (id) setSelectedId(id);
        }}
      />
    </PageContainer>
  );
}
