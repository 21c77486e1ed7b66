/** Account lookup for payments: by 户号 or id, with the org-unit path for the data scope. */
import { AppError } from '../../domain/errors.js';
import type { Actor, Q } from '../context.js';
import { requireScope } from '../context.js';
import { PREPARED } from '../../db/database.js';

export interface PayAccount {
  id: number;
  accountNo: string;
  name: string;
  orgUnitId: number;
  orgPath: string;
  customerClass: string;
  status: string;
  paymentMode: string;
}

export async function findAccount(q: Q, key: { accountNo?: string; accountId?: number }, field = 'accountNo'): Promise<PayAccount> {
  let qb = q.selectFrom('accounts as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id')
    .select(['a.id', 'a.account_no', 'a.name', 'a.org_unit_id', 'o.path', 'a.customer_class', 'a.status', 'a.payment_mode']);
  qb = key.accountId !== undefined ? qb.where('a.id', '=', key.accountId) : qb.where('a.account_no', '=', String(key.accountNo ?? ''));
  const a = await qb.modifyEnd(PREPARED).executeTakeFirst();
  if (!a) throw new AppError('NOT_FOUND', `account ${key.accountNo ?? key.accountId} not found`, { field, entity: 'account' });
  return { id: a.id, accountNo: a.account_no, name: a.name, orgUnitId: a.org_unit_id, orgPath: a.path, customerClass: a.customer_class, status: a.status, paymentMode: a.payment_mode };
}

/** Account in the actor's data scope (customers: only their own accounts). */
export async function scopedAccount(q: Q, actor: Actor, key: { accountNo?: string; accountId?: number }, field = 'accountNo'): Promise<PayAccount> {
  const a = await findAccount(q, key, field);
  if (actor.accountIds) {
    if (!actor.accountIds.includes(a.id)) throw new AppError('OUT_OF_SCOPE', 'account is not yours', { field });
  } else {
    requireScope(actor, a.orgPath, 'account');
  }
  return a;
}
