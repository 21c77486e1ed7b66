import { Typography } from 'antd';
import type { CSSProperties } from 'react';

export const monoStyle: CSSProperties = {
  fontFamily: "'SFMono-Regular', Consolas, 'Liberation Mono', Menlo, 'Noto Sans Mono CJK SC', monospace",
};

/** 户号 / meter numbers: monospace and copyable. */
export function Mono({ value, copyable = true, strong, testId }: { value: string | number | null | undefined; copyable?: boolean; strong?: boolean; testId?: string }) {
  if (value === null || value === undefined || value === '') return <>-</>;
  const text = String(value);
  return (
    <Typography.Text style={monoStyle} copyable={copyable ? { text } : false} strong={strong} data-testid={testId}>
      {text}
    </Typography.Text>
  );
}
