import { describe, expect, it } from 'vitest';
import { WorkCalendar } from '../calendar/calendar.js';
import { applicableStages, availableActions, decide, initialStage } from './engine.js';
import { dueOn, slaState } from './sla.js';
import {
  DEFAULT_SLA_PROFILE, REQUEST_TYPES, capacityAfterDecrease, checkSlaProfile, checkSuspension, requestType, stageLimit,
} from './service-requests.js';

const cal = WorkCalendar.shipped();
const engineer = { roles: ['service_engineer'], permissions: new Set(['request.handle']) };
const clerk = { roles: ['counter_clerk'], permissions: new Set(['request.handle']) };
const customer = { roles: ['customer'], permissions: new Set(['portal.self']) };

describe('workflow definitions', () => {
  it('every type starts at 受理 and ends at 归档; new HV has the full chain', () => {
    for (const r of REQUEST_TYPES) {
      const s = r.workflow.stages.map((x) => x.code);
      expect(s[0]).toBe('accept');
      expect(s.at(-1)).toBe('archive');
    }
    expect(REQUEST_TYPES.length).toBe(16);
    const hv = requestType('new_hv').workflow;
    expect(applicableStages(hv, { important: true }).map((s) => s.code)).toEqual(
      ['accept', 'survey', 'scheme', 'design_review', 'mid_check', 'completion_check', 'contract', 'connect', 'archive']);
    // 设计审查 / 中间检查 only for 重要客户
    expect(applicableStages(hv, {}).map((s) => s.code)).not.toContain('design_review');
  });
});

describe('engine decisions', () => {
  const res = requestType('new_lv_resident').workflow;
  it('pass moves on; mandatory documents and fields are checked first', () => {
    expect(initialStage(res, {}).code).toBe('accept');
    expect(() => decide(res, { state: 'accept', data: {}, documents: [] }, { action: 'pass', actor: clerk })).toThrow(/documents.*id_proof/);
    expect(decide(res, { state: 'accept', data: {}, documents: ['id_proof'] }, { action: 'pass', actor: clerk }).to).toBe('survey');
    expect(() => decide(res, { state: 'connect', data: {}, documents: [] }, { action: 'pass', actor: engineer })).toThrow(/data\.effectiveOn/);
    const d = decide(res, { state: 'connect', data: { effectiveOn: '2024-10-08', tariffCode: 'R', meterAssetNo: 'A1', commAddress: '1', initialReading: '0' }, documents: [] }, { action: 'pass', actor: engineer });
    expect(d).toMatchObject({ to: 'archive', effect: 'create_account' });
    expect(decide(res, { state: 'archive', data: {}, documents: [] }, { action: 'pass', actor: clerk }).to).toBe('completed');
  });
  it('role and permission per stage', () => {
    expect(() => decide(res, { state: 'survey', data: {}, documents: [] }, { action: 'pass', actor: clerk })).toThrow(/worked by role service_engineer/);
    expect(() => decide(res, { state: 'accept', data: {}, documents: ['id_proof'] }, { action: 'pass', actor: customer })).toThrow(/permission request.handle/);
    expect(availableActions(res, { state: 'survey', data: {}, documents: [] }, clerk)).toEqual([]);
    expect(availableActions(res, { state: 'survey', data: {}, documents: [] }, engineer)).toEqual(['pass', 'return', 'reject', 'cancel']);
  });
  it('return needs a reason and goes back; reject ends; no move from the end or while paused', () => {
    expect(() => decide(res, { state: 'survey', data: {}, documents: [] }, { action: 'return', actor: engineer })).toThrow(/reason/);
    expect(decide(res, { state: 'survey', data: {}, documents: [] }, { action: 'return', actor: engineer, reason: '资料不符' }).to).toBe('accept');
    expect(() => decide(res, { state: 'accept', data: {}, documents: [] }, { action: 'return', actor: clerk, reason: 'x' })).toThrow(/not allowed from stage/);
    expect(decide(res, { state: 'survey', data: {}, documents: [] }, { action: 'reject', actor: engineer, reason: '不具备条件' }).to).toBe('rejected');
    expect(() => decide(res, { state: 'rejected', data: {}, documents: [] }, { action: 'pass', actor: engineer })).toThrow(/rejected/);
    expect(() => decide(res, { state: 'survey', data: {}, documents: [], paused: true }, { action: 'pass', actor: engineer })).toThrow(/paused/);
  });
  it('过户 carries the no_arrears guard on leaving 受理 and 变更实施', () => {
    const tr = requestType('transfer').workflow;
    expect(tr.transitions.filter((x) => x.guard === 'no_arrears').map((x) => x.from)).toEqual(['accept', 'execute']);
    expect(() => decide(tr, { state: 'accept', data: {}, documents: ['id_proof', 'transfer_agreement'] }, { action: 'pass', actor: clerk, guards: { no_arrears: () => 'arrears 5.00' } })).toThrow(/arrears 5.00/);
    expect(decide(tr, { state: 'accept', data: {}, documents: ['id_proof', 'transfer_agreement'] }, { action: 'pass', actor: clerk, guards: { no_arrears: () => null } }).to).toBe('contract');
  });
  it('guards refuse with their message', () => {
    const def = { ...res, transitions: res.transitions.map((x) => (x.from === 'accept' && x.action === 'pass' ? { ...x, guard: 'arrears' } : x)) };
    expect(() => decide(def, { state: 'accept', data: {}, documents: ['id_proof'] }, { action: 'pass', actor: clerk, guards: { arrears: () => 'account has arrears 12.00' } })).toThrow(/arrears 12.00/);
  });
});

describe('SLA clock (hand-checked)', () => {
  it('due date across 国庆 2024 with 调休, pause stops the clock', () => {
    expect(dueOn(cal, '2024-09-27', { days: 3 }, [])).toBe('2024-10-08');
    // paused 09-29 .. 10-09: 09-29 counts (1), 09-30/10-08/10-09 paused, 10-10 (2), 10-11 (3)
    expect(dueOn(cal, '2024-09-27', { days: 3 }, [{ from: '2024-09-29', to: '2024-10-09', reason: 'customer' }])).toBe('2024-10-11');
    expect(dueOn(cal, '2024-09-27', { days: 3 }, [{ from: '2024-09-29', to: null, reason: 'customer' }])).toBeNull();
  });
  it('warning one working day before, overdue after', () => {
    const base = { startedOn: '2024-09-27', limit: { days: 3 }, pauses: [], warnDays: 1 };
    expect(slaState(cal, { ...base, asOf: '2024-09-29' }).status).toBe('ok'); // used 1, left 2
    expect(slaState(cal, { ...base, asOf: '2024-09-30' })).toMatchObject({ status: 'warning', remainingDays: 1 });
    expect(slaState(cal, { ...base, asOf: '2024-10-07' })).toMatchObject({ status: 'warning', remainingDays: 1 }); // holidays do not count
    expect(slaState(cal, { ...base, asOf: '2024-10-08' })).toMatchObject({ status: 'warning', remainingDays: 0 });
    expect(slaState(cal, { ...base, asOf: '2024-10-09' })).toMatchObject({ status: 'overdue', remainingDays: -1 });
    expect(slaState(cal, { ...base, asOf: '2024-10-20', completedOn: '2024-10-08' }).status).toBe('on_time');
    expect(slaState(cal, { ...base, asOf: '2024-10-20', completedOn: '2024-10-09' }).status).toBe('late');
  });
  it('calendar-day limits count every day', () => {
    expect(dueOn(cal, '2024-09-27', { days: 5, unit: 'calendar' }, [])).toBe('2024-10-02');
  });
  it('default profile: §6.2 values and the dual-supply variant', () => {
    const hv = requestType('new_hv').workflow;
    const scheme = hv.stages.find((s) => s.code === 'scheme')!;
    expect(stageLimit(DEFAULT_SLA_PROFILE, 'new_hv', scheme, {})).toEqual({ days: 10, unit: 'working' });
    expect(stageLimit(DEFAULT_SLA_PROFILE, 'new_hv', scheme, { dualSupply: true })).toEqual({ days: 25, unit: 'working' });
    const res = requestType('new_lv_resident').workflow;
    expect(stageLimit(DEFAULT_SLA_PROFILE, 'new_lv_resident', res.stages.find((s) => s.code === 'connect')!, {})?.days).toBe(3);
    expect(stageLimit(DEFAULT_SLA_PROFILE, 'new_lv_resident', res.stages.find((s) => s.code === 'contract')!, {})).toBeNull();
    expect(() => checkSlaProfile({ ...DEFAULT_SLA_PROFILE, limits: { new_hv: { scheme: { days: -1 } } } })).toThrow(/limits.new_hv.scheme.days/);
    expect(() => checkSlaProfile({ ...DEFAULT_SLA_PROFILE, limits: { nope: {} } })).toThrow(/type/);
  });
});

describe('business rules', () => {
  it('capacity decrease below zero is refused', () => {
    expect(capacityAfterDecrease('500', '200')).toBe('300');
    expect(capacityAfterDecrease('315', '0.5')).toBe('314.5');
    expect(() => capacityAfterDecrease('100', '150')).toThrow(/data.decreaseKva.*below zero/);
    expect(() => capacityAfterDecrease('100', '0')).toThrow(/greater than 0/);
  });
  it('暂停: at least 15 days, at most 183 days in a calendar year', () => {
    expect(() => checkSuspension({ from: '2024-03-01', to: '2024-03-14' }, [], 15, 183)).toThrow(/at least 15 days \(this one: 14\)/);
    expect(() => checkSuspension({ from: '2024-03-01', to: '2024-03-15' }, [], 15, 183)).not.toThrow();
    // 2024-01-01..2024-05-31 = 152 days; + 07-01..08-01 = 32 -> 184 > 183
    expect(() => checkSuspension({ from: '2024-07-01', to: '2024-08-01' }, [{ from: '2024-01-01', to: '2024-05-31' }], 15, 183)).toThrow(/184 days/);
    expect(() => checkSuspension({ from: '2024-07-01', to: '2024-07-31' }, [{ from: '2024-01-01', to: '2024-05-31' }], 15, 183)).not.toThrow();
    // across New Year: only the 2025 part counts against 2025
    expect(() => checkSuspension({ from: '2024-12-20', to: '2025-01-10' }, [], 15, 183)).not.toThrow();
  });
});
