import { Tag } from 'antd';
import { useDict } from '../app/dict';

const COLORS: Record<string, string> = { active: 'green', suspended: 'orange', closed: 'default', disabled: 'red', locked: 'red' };

export function AccountStatusTag({ status }: { status?: string | null }) {
  const { label } = useDict();
  if (!status) return <>-</>;
  return <Tag color={COLORS[status] ?? 'blue'}>{label('accountStatuses', status)}</Tag>;
}
