import { Flex, Tooltip, Typography } from 'antd';
import type { Period } from './api';
import { useTTx } from './i18n';

export const PERIOD_COLOURS: Record<Period, string> = {
  SHARP: '#a8071a',
  PEAK: '#fa541c',
  FLAT: '#fadb14',
  VALLEY: '#52c41a',
  DEEP: '#1677ff',
};

const hhmm = (slot: number) => (slot >= 96 ? '24:00' : `${String(Math.floor(slot / 4)).padStart(2, '0')}:${String((slot % 4) * 15).padStart(2, '0')}`);

/** Runs of equal periods over the 96 quarter-hours of a day. */
function runs(slots: Array<Period | null>) {
  const out: Array<{ from: number; to: number; period: Period | null }> = [];
  let start = 0;
  for (let i = 1; i <= slots.length; i++) {
    if (i === slots.length || slots[i] !== slots[start]) {
      out.push({ from: start, to: i, period: slots[start] });
      start = i;
    }
  }
  return out;
}

/**
 * A 24-hour colour bar of TOU periods (one segment per band), hour ticks below.
 * `changed` marks quarter-hours that differ from the other side of a comparison.
 */
export function TouBar({ slots, changed, testId }: { slots: Array<Period | null>; changed?: boolean[]; testId?: string }) {
  const tx = useTTx();
  return (
    <div data-testid={testId} style={{ width: '100%' }}>
      <div style={{ display: 'flex', height: 22, borderRadius: 4, overflow: 'hidden', border: '1px solid #d9d9d9' }}>
        {runs(slots).map((r) => (
          <Tooltip key={r.from} title={`${r.period ? tx(`tariffs.period.${r.period}`, r.period) : '-'} ${hhmm(r.from)}–${hhmm(r.to)}`}>
            <div
              data-period={r.period ?? ''}
              style={{
                flex: r.to - r.from,
                background: r.period ? PERIOD_COLOURS[r.period] : '#f0f0f0',
                borderRight: '1px solid rgba(255,255,255,0.6)',
                fontSize: 11,
                color: r.period === 'FLAT' ? '#614700' : '#fff',
                textAlign: 'center',
                lineHeight: '20px',
                overflow: 'hidden',
                whiteSpace: 'nowrap',
              }}
            >
              {r.to - r.from >= 6 && r.period ? tx(`tariffs.period.${r.period}`, r.period) : ''}
            </div>
          </Tooltip>
        ))}
      </div>
      {changed && (
        <div style={{ display: 'flex', height: 4, marginTop: 1 }}>
          {changed.map((c, i) => (
            <div key={i} style={{ flex: 1, background: c ? '#eb2f96' : 'transparent' }} />
          ))}
        </div>
      )}
      <div style={{ position: 'relative', height: 16, fontSize: 10, color: '#8c8c8c' }}>
        {[0, 3, 6, 9, 12, 15, 18, 21, 24].map((h) => (
          <span key={h} style={{ position: 'absolute', left: `${(h / 24) * 100}%`, transform: h === 0 ? 'none' : h === 24 ? 'translateX(-100%)' : 'translateX(-50%)' }}>
            {h}
          </span>
        ))}
      </div>
    </div>
  );
}

export function PeriodLegend({ periods }: { periods?: Period[] }) {
  const tx = useTTx();
  const list = periods && periods.length ? periods : (Object.keys(PERIOD_COLOURS) as Period[]);
  return (
    <Flex gap={12} wrap>
      {list.map((p) => (
        <Flex key={p} gap={4} align="center">
          <span style={{ display: 'inline-block', width: 12, height: 12, borderRadius: 2, background: PERIOD_COLOURS[p] }} />
          <Typography.Text style={{ fontSize: 12 }}>{tx(`tariffs.period.${p}`, p)}</Typography.Text>
        </Flex>
      ))}
    </Flex>
  );
}
