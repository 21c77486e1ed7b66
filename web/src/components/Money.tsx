import { formatMoney } from '../app/format';

/** Right-aligned, formatted amount. Never computes. */
export function Money({ value, block }: { value: string | number | null | undefined; block?: boolean }) {
  const text = formatMoney(value);
  const negative = text.startsWith('-¥');
  return (
    <span
      style={{
        display: block ? 'block' : 'inline-block',
        textAlign: 'right',
        fontVariantNumeric: 'tabular-nums',
        color: negative ? '#cf1322' : undefined,
        whiteSpace: 'nowrap',
      }}
    >
      {text}
    </span>
  );
}
