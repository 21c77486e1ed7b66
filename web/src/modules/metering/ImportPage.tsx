// Placeholder until the page is built (work in progress in this session; not a finished page).
import { Result } from 'antd';
export default function Page() {
  return <Result status="info" title="建设中 / Under construction" />;
}
