/**
 * Permission checks. The server sends the user's permission codes (`module.action`, e.g.
 * `account.read`). Menus and buttons are built from them so nobody sees what they cannot use;
 * the server enforces the same rules again.
 */
import type { User } from '../api/types';

/** Accepted spellings per capability, so the UI survives small naming differences. */
const CAPABILITIES = {
  'account.read': ['account.read', 'account.view', 'account.list', 'account.search'],
  'account.write': ['account.write', 'account.update', 'account.edit', 'account.manage'],
  'customer.read': ['customer.read', 'customer.view', 'customer.list'],
  'customer.write': ['customer.write', 'customer.update', 'customer.edit', 'customer.manage'],
  'org.read': ['org.read', 'org.view', 'org.list', 'org.manage', 'org.write', 'org.create', 'org.update'],
  'org.write': ['org.write', 'org.manage', 'org.create', 'org.update'],
  'user.read': ['user.read', 'user.view', 'user.list', 'user.manage', 'user.write'],
  'user.write': ['user.write', 'user.manage', 'user.create', 'user.update'],
  'role.read': ['role.read', 'role.view', 'role.list', 'role.manage', 'role.write'],
  'role.write': ['role.write', 'role.manage', 'role.create', 'role.update'],
  'audit.read': ['audit.read', 'audit.view', 'audit.list'],
  'audit.verify': ['audit.verify'],
  'stats.read': ['stats.read'],
  'portal.self': ['portal.self'],
  'tariff.read': ['tariff.read'],
  'quote.create': ['quote.create'],
  'metering.tools': ['metering.tools'],
  'reading.read': ['reading.read'],
  'reading.write': ['reading.write'],
  'reading.review': ['reading.review'],
  'reading.rules': ['reading.rules'],
  'collection.run': ['collection.run'],
  'billing.run': ['billing.run'],
  'billing.review': ['billing.review'],
  'billing.adjust': ['billing.adjust'],
  'billing.adjust.approve': ['billing.adjust.approve'],
  'request.handle': ['request.handle'],
} as const;

export type Capability = keyof typeof CAPABILITIES;

export function can(user: User | null | undefined, cap: Capability): boolean {
  if (!user) return false;
  const perms = user.permissions ?? [];
  if (perms.includes('*')) return true;
  const accepted: readonly string[] = CAPABILITIES[cap];
  if (accepted.some((p) => perms.includes(p))) return true;
  const mod = cap.split('.')[0];
  // `module.*` wildcard
  return perms.includes(`${mod}.*`);
}
