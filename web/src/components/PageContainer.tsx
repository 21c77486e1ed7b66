import { Breadcrumb, Flex, Typography } from 'antd';
import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';

export interface Crumb {
  title: ReactNode;
  path?: string;
}

/** Ant Design Pro-style page frame: breadcrumbs, title and actions, then the content. */
export function PageContainer({ crumbs, title, extra, children }: { crumbs: Crumb[]; title?: ReactNode; extra?: ReactNode; children: ReactNode }) {
  return (
    <div className="vl-page">
      <Breadcrumb
        style={{ marginBottom: 8 }}
        items={crumbs.map((c) => ({ title: c.path ? <Link to={c.path}>{c.title}</Link> : c.title }))}
        data-testid="breadcrumb"
      />
      {(title || extra) && (
        <Flex justify="space-between" align="center" wrap gap={8} style={{ marginBottom: 16 }}>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {title}
          </Typography.Title>
          {extra && <div>{extra}</div>}
        </Flex>
      )}
      {children}
    </div>
  );
}
