/**
 * The built-in scheduled jobs of `voltline serve` (src/jobs/scheduler.ts). Each calls the same
 * app-layer function as its CLI command, as the system actor, with the scheduler's `now`:
 *
 * | job               | default           | CLI                      |
 * |-------------------|-------------------|--------------------------|
 * | accrue-late-fees  | daily 00:30       | voltline accrue-late-fees |
 * | prepaid-deduct    | daily 01:00       | voltline prepaid-deduct (yesterday) |
 * | missing-readings  | daily 06:00       | voltline missing-readings |
 * | sla-check         | daily 07:00       | voltline sla-check       |
 * | arrears-remind    | daily 09:00       | voltline arrears-remind  |
 * | reconnect-check   | every 300 s       | voltline reconnect-check |
 * | send-messages     | every 30 s        | voltline send-messages   |
 *
 * Daily times are Asia/Shanghai. Summaries are short: counts, not lists.
 */
import { SYSTEM_ACTOR } from '../app/context.js';
import { accrueLateFees } from '../app/payments/late-fees.js';
import { runPrepaidDeduction } from '../app/payments/prepaid.js';
import { sendArrearsReminders } from '../app/payments/arrears.js';
import { reconnectCheck } from '../app/payments/reconnect.js';
import { slaCheck } from '../app/service/report.js';
import { flagMissingReadings } from '../app/metering/missing.js';
import { resolveSmsGatewayUrl, sendOutboxOnce } from '../app/messaging/gateway-config.js';
import { addDays, shanghaiDate } from '../domain/payments/index.js';
import type { JobDef } from './scheduler.js';

export const DEFAULT_SCHEDULES = {
  'accrue-late-fees': '00:30',
  'prepaid-deduct': '01:00',
  'missing-readings': '06:00',
  'sla-check': '07:00',
  'arrears-remind': '09:00',
  'reconnect-check': 300,
  'send-messages': 30,
} as const;

export function defaultJobs(o: { smsGatewayUrl?: string; smsGatewayToken?: string } = {}): JobDef[] {
  return [
    {
      name: 'accrue-late-fees', schedule: DEFAULT_SCHEDULES['accrue-late-fees'],
      description: { zh: '违约金计提（截至当日）', en: 'Late-fee accrual through today' },
      run: (db, now) => accrueLateFees(db, shanghaiDate(now), SYSTEM_ACTOR),
    },
    {
      name: 'prepaid-deduct', schedule: DEFAULT_SCHEDULES['prepaid-deduct'],
      description: { zh: '预付费日扣费（前一日）、余额提醒与停电工单', en: 'Prepaid daily deduction for yesterday, reminders and cut-off orders' },
      run: async (db, now) => {
        const { outcomes, ...summary } = await runPrepaidDeduction(db, SYSTEM_ACTOR, addDays(shanghaiDate(now), -1), { now });
        return { ...summary, problems: outcomes.filter((x) => x.status === 'error' || x.status === 'no_data').length };
      },
    },
    {
      name: 'missing-readings', schedule: DEFAULT_SCHEDULES['missing-readings'],
      description: { zh: '漏抄标记', en: 'Flag missing readings' },
      run: async (db, now) => {
        const { items, ...r } = await flagMissingReadings(db, SYSTEM_ACTOR, { asOf: shanghaiDate(now) }, now);
        return { ...r, missing: items.length };
      },
    },
    {
      name: 'sla-check', schedule: DEFAULT_SCHEDULES['sla-check'],
      description: { zh: '业扩时限预警与超期告警', en: 'Service-request SLA warnings and overdue alerts' },
      run: async (db, now) => {
        const { items, ...r } = await slaCheck(db, SYSTEM_ACTOR, { asOf: shanghaiDate(now) }, now);
        return { ...r, overdue: items.filter((i) => i.status === 'overdue').length, warning: items.filter((i) => i.status === 'warning').length };
      },
    },
    {
      name: 'arrears-remind', schedule: DEFAULT_SCHEDULES['arrears-remind'],
      description: { zh: '欠费催费短信（每户 7 天内至多一次）', en: 'Arrears reminders by SMS (at most one per account in 7 days)' },
      run: async (db, now) => {
        const { items, ...r } = await sendArrearsReminders(db, SYSTEM_ACTOR, {}, now);
        return r;
      },
    },
    {
      name: 'reconnect-check', schedule: DEFAULT_SCHEDULES['reconnect-check'],
      description: { zh: '欠费结清复电检查', en: 'Reconnection orders for cleared accounts' },
      run: async (db, now) => {
        const { reconnectOrderIds, cancelledOrderIds, ...r } = await reconnectCheck(db, SYSTEM_ACTOR, now);
        return { ...r, reconnectOrders: reconnectOrderIds.length, cancelledOrders: cancelledOrderIds.length };
      },
    },
    {
      name: 'send-messages', schedule: DEFAULT_SCHEDULES['send-messages'],
      description: { zh: '短信发件箱外发', en: 'Send the SMS outbox' },
      run: async (db, now) => {
        const choice = { envUrl: o.smsGatewayUrl, envToken: o.smsGatewayToken };
        // no gateway configured: nothing to send through, not a failure
        if (!(await resolveSmsGatewayUrl(db, choice))) return { skipped: 'no SMS gateway configured (VOLTLINE_SMS_GATEWAY_URL or setting messaging.sms_gateway_url)' };
        const clockStart = now.getTime() - Date.now();
        const { errors, ...r } = await sendOutboxOnce(db, { ...choice, now: () => new Date(Date.now() + clockStart) });
        return { ...r, errors: errors.length, firstError: errors[0]?.error ?? null };
      },
    },
  ];
}
