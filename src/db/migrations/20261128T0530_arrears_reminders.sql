-- Arrears reminders (催费通知) for postpaid accounts: a new reminder kind 'arrears' next to the
-- prepaid ones. Sent by `voltline arrears-remind`, the scheduled job arrears-remind (daily 09:00)
-- and 欠费管理 → 发送催费通知; at most one per account per repeat interval (default 7 days).
alter table payment_reminders drop constraint payment_reminders_kind_check;
alter table payment_reminders add constraint payment_reminders_kind_check
  check (kind in ('low_balance', 'cutoff_pending', 'cutoff_notice', 'reconnected', 'arrears'));
create index payment_reminders_kind_idx on payment_reminders (kind, account_id, created_at);
