/**
 * A small workflow engine: a workflow is DATA (stages, transitions, guards, permission and roles
 * per stage, mandatory documents and fields, named completion effects, conditional stages) and
 * one interpreter decides every move. Pure: no I/O, no clock. The same engine serves service
 * requests (业扩报装/变更用电, domain-cn §6) and later cut-off/reconnect and inspection work
 * orders: they only add definitions.
 *
 * Example:
 *   const def = defineLinear('demo', { zh: '示例', en: 'Demo' }, [
 *     { code: 'accept', name: { zh: '受理', en: 'Accept' }, roles: ['counter_clerk'], permission: 'request.handle' },
 *     { code: 'done_work', name: { zh: '实施', en: 'Execute' }, roles: ['service_engineer'], permission: 'request.handle' },
 *   ]);
 *   decide(def, { state: 'accept', data: {}, documents: [] }, { action: 'pass', actor }) // -> { to: 'done_work' }
 */
import { AppError, ValidationError } from '../errors.js';

export interface Localized {
  zh: string;
  en: string;
}

/** A condition on the request data: the stage applies / the variant is used only when it holds. */
export interface DataCondition {
  field: string;
  equals: unknown;
}

export interface StageDef {
  code: string;
  name: Localized;
  /** roles that work this stage (work queues); 'administrator' may always act */
  roles: string[];
  /** permission needed for any transition out of this stage */
  permission: string;
  /** document kinds that must be attached before 'pass' */
  documents?: string[];
  /** request data fields that must be present (non-empty) before 'pass' */
  fields?: string[];
  /** named completion effect the application layer runs in the same transaction on 'pass' */
  effect?: string;
  /** the stage applies only when the request data matches (else it is skipped) */
  when?: DataCondition;
  /** SLA key variant: use `key` instead of the stage code when the data matches */
  slaVariant?: DataCondition & { key: string };
}

export type Action = 'pass' | 'return' | 'reject' | 'cancel';

export const TERMINAL = ['completed', 'rejected', 'cancelled'] as const;
export type Terminal = (typeof TERMINAL)[number];

export interface TransitionDef {
  from: string;
  action: Action;
  /** a stage code, a terminal state, '@next' (next applicable stage or 'completed') or '@prev' */
  to: string;
  /** overrides the stage permission */
  permission?: string;
  /** named guard the caller supplies; it returns an error message or null */
  guard?: string;
  needsReason?: boolean;
}

export interface WorkflowDef {
  code: string;
  name: Localized;
  stages: StageDef[];
  transitions: TransitionDef[];
}

export interface ActorLike {
  roles: string[];
  permissions: Set<string>;
}

export interface InstanceLike {
  /** current stage code or terminal state */
  state: string;
  data: Record<string, unknown>;
  /** kinds of the documents attached so far */
  documents: string[];
  paused?: boolean;
}

export type Guard = (instance: InstanceLike, input: DecideInput) => string | null;

export interface DecideInput {
  action: Action;
  actor: ActorLike;
  reason?: string | null;
  guards?: Record<string, Guard>;
  /** documents kinds and names for messages */
  documentNames?: Record<string, Localized>;
}

export interface Decision {
  from: string;
  to: string;
  action: Action;
  /** the stage left (for its effect) */
  stage: StageDef;
  effect?: string;
}

/** Linear workflow: pass -> next applicable stage, return -> previous applicable, reject/cancel -> terminal. */
export function defineLinear(code: string, name: Localized, stages: StageDef[]): WorkflowDef {
  const transitions: TransitionDef[] = [];
  stages.forEach((s, i) => {
    transitions.push({ from: s.code, action: 'pass', to: '@next' });
    if (i > 0) transitions.push({ from: s.code, action: 'return', to: '@prev', needsReason: true });
    transitions.push({ from: s.code, action: 'reject', to: 'rejected', needsReason: true });
    transitions.push({ from: s.code, action: 'cancel', to: 'cancelled', needsReason: true });
  });
  return { code, name, stages, transitions };
}

export function isTerminal(state: string): state is Terminal {
  return (TERMINAL as readonly string[]).includes(state);
}

export function matches(c: DataCondition | undefined, data: Record<string, unknown>): boolean {
  return !c || data[c.field] === c.equals;
}

/** Stages that apply to this request's data, in order. */
export function applicableStages(def: WorkflowDef, data: Record<string, unknown>): StageDef[] {
  return def.stages.filter((s) => matches(s.when, data));
}

export function stageOf(def: WorkflowDef, code: string): StageDef {
  const s = def.stages.find((x) => x.code === code);
  if (!s) throw new AppError('CONFLICT', `stage ${code} is not part of workflow ${def.code}`, { field: 'stage' });
  return s;
}

/** First stage of a new instance. */
export function initialStage(def: WorkflowDef, data: Record<string, unknown>): StageDef {
  return applicableStages(def, data)[0];
}

function resolve(def: WorkflowDef, from: string, to: string, data: Record<string, unknown>): string {
  const list = applicableStages(def, data);
  const i = list.findIndex((s) => s.code === from);
  if (to === '@next') return i >= 0 && i + 1 < list.length ? list[i + 1].code : 'completed';
  if (to === '@prev') return i > 0 ? list[i - 1].code : from;
  return to;
}

function hasPermission(actor: ActorLike, p: string) {
  return actor.permissions.has('*') || actor.permissions.has(p);
}

/** May this actor work this stage (permission and role)? */
export function canAct(stage: StageDef, actor: ActorLike, permission = stage.permission): boolean {
  if (!hasPermission(actor, permission)) return false;
  if (actor.permissions.has('*') || actor.roles.includes('administrator')) return true;
  return stage.roles.some((r) => actor.roles.includes(r));
}

function filled(v: unknown): boolean {
  return v !== undefined && v !== null && !(typeof v === 'string' && v.trim() === '');
}

/** Mandatory documents of a stage still missing. */
export function missingDocuments(stage: StageDef, documents: string[]): string[] {
  return (stage.documents ?? []).filter((d) => !documents.includes(d));
}

/** Actions this actor may take now (for the UI). */
export function availableActions(def: WorkflowDef, inst: InstanceLike, actor: ActorLike): Action[] {
  if (isTerminal(inst.state) || inst.paused) return [];
  const stage = def.stages.find((s) => s.code === inst.state);
  if (!stage) return [];
  return def.transitions
    .filter((t) => t.from === inst.state && canAct(stage, actor, t.permission))
    .map((t) => t.action)
    .filter((a, i, arr) => arr.indexOf(a) === i);
}

/**
 * Decide one move. Throws (and so nothing changes) when: the instance is finished or paused;
 * the action is not defined from this state (CONFLICT, field `action`); the actor lacks the
 * permission or the stage's role (FORBIDDEN); a reason is required (field `reason`); a
 * mandatory document is missing (field `documents`); a mandatory data field is missing
 * (field `data.<name>`); a guard refuses (CONFLICT with the guard's message).
 */
export function decide(def: WorkflowDef, inst: InstanceLike, input: DecideInput): Decision {
  if (isTerminal(inst.state)) {
    throw new AppError('CONFLICT', `action: the request is ${inst.state}; no further transitions`, { field: 'action', state: inst.state });
  }
  if (inst.paused) throw new AppError('CONFLICT', 'action: the request is paused; resume it first', { field: 'action', state: inst.state });
  const stage = stageOf(def, inst.state);
  const t = def.transitions.find((x) => x.from === inst.state && x.action === input.action);
  if (!t) {
    throw new AppError('CONFLICT', `action: '${input.action}' is not allowed from stage ${stage.name.en} (${stage.name.zh})`, { field: 'action', state: inst.state });
  }
  const perm = t.permission ?? stage.permission;
  if (!hasPermission(input.actor, perm)) {
    throw new AppError('FORBIDDEN', `permission ${perm} required to ${input.action} stage ${stage.name.zh}`, { permission: perm, field: 'action' });
  }
  if (!canAct(stage, input.actor, perm)) {
    throw new AppError('FORBIDDEN', `stage ${stage.name.zh} is worked by role ${stage.roles.join(' / ')}`, { roles: stage.roles, field: 'action' });
  }
  if (t.needsReason && !(input.reason && input.reason.trim())) throw new ValidationError('reason', `required to ${input.action}`);
  if (input.action === 'pass') {
    const miss = missingDocuments(stage, inst.documents);
    if (miss.length) {
      const names = miss.map((m) => (input.documentNames?.[m] ? `${m} (${input.documentNames[m].zh})` : m));
      throw new ValidationError('documents', `missing mandatory documents for stage ${stage.name.zh}: ${names.join(', ')}`, { missing: miss });
    }
    for (const f of stage.fields ?? []) {
      if (!filled(inst.data[f])) throw new ValidationError(`data.${f}`, `required to pass stage ${stage.name.zh}`);
    }
  }
  if (t.guard) {
    const g = input.guards?.[t.guard];
    const msg = g ? g(inst, input) : null;
    if (msg) throw new AppError('CONFLICT', msg, { field: 'action', guard: t.guard });
  }
  const to = resolve(def, inst.state, t.to, inst.data);
  return { from: inst.state, to, action: input.action, stage, ...(input.action === 'pass' && stage.effect ? { effect: stage.effect } : {}) };
}
