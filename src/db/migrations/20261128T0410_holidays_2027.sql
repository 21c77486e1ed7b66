-- 2027 working-day calendar, PROVISIONAL (issue 7). The State Council notice for 2027
-- (国务院办公厅关于2027年部分节假日安排的通知) was not available when this was written, so these are
-- the statutory holidays of the 全国年节及纪念日放假办法 (2024 revision) only: 元旦 1 day, 春节 4
-- days (除夕 + 初一..初三; 春节 2027-02-06), 清明 1, 劳动节 2, 端午 1, 中秋 1, 国庆 3 — with NO
-- 调休 working weekends. The source text starts with 'provisional:' and the admin calendar page
-- (业扩报装 → 节假日日历) shows a warning; replace the year with the published notice there
-- (import) or with PUT /api/v1/service/holidays. Same data as the 'provisional' section of
-- src/domain/calendar/holidays-cn.json. Days an administrator already entered are kept.
-- Forward only; PostgreSQL 15 / PGlite.
insert into holiday_calendar (day, kind, name, source) values
  ('2027-01-01', 'holiday', '元旦', 'provisional: statutory days only, replace when the notice is published (全国年节及纪念日放假办法 2024年修订; 国务院办公厅关于2027年部分节假日安排的通知 not yet published: no 调休 working weekends, no 补休 for statutory days on a weekend)'),
  ('2027-02-05', 'holiday', '春节', 'provisional: statutory days only, replace when the notice is published (全国年节及纪念日放假办法 2024年修订; 国务院办公厅关于2027年部分节假日安排的通知 not yet published: no 调休 working weekends, no 补休 for statutory days on a weekend)'),
  ('2027-02-06', 'holiday', '春节', 'provisional: statutory days only, replace when the notice is published (全国年节及纪念日放假办法 2024年修订; 国务院办公厅关于2027年部分节假日安排的通知 not yet published: no 调休 working weekends, no 补休 for statutory days on a weekend)'),
  ('2027-02-07', 'holiday', '春节', 'provisional: statutory days only, replace when the notice is published (全国年节及纪念日放假办法 2024年修订; 国务院办公厅关于2027年部分节假日安排的通知 not yet published: no 调休 working weekends, no 补休 for statutory days on a weekend)'),
  ('2027-02-08', 'holiday', '春节', 'provisional: statutory days only, replace when the notice is published (全国年节及纪念日放假办法 2024年修订; 国务院办公厅关于2027年部分节假日安排的通知 not yet published: no 调休 working weekends, no 补休 for statutory days on a weekend)'),
  ('2027-04-05', 'holiday', '清明节', 'provisional: statutory days only, replace when the notice is published (全国年节及纪念日放假办法 2024年修订; 国务院办公厅关于2027年部分节假日安排的通知 not yet published: no 调休 working weekends, no 补休 for statutory days on a weekend)'),
  ('2027-05-01', 'holiday', '劳动节', 'provisional: statutory days only, replace when the notice is published (全国年节及纪念日放假办法 2024年修订; 国务院办公厅关于2027年部分节假日安排的通知 not yet published: no 调休 working weekends, no 补休 for statutory days on a weekend)'),
  ('2027-05-02', 'holiday', '劳动节', 'provisional: statutory days only, replace when the notice is published (全国年节及纪念日放假办法 2024年修订; 国务院办公厅关于2027年部分节假日安排的通知 not yet published: no 调休 working weekends, no 补休 for statutory days on a weekend)'),
  ('2027-06-09', 'holiday', '端午节', 'provisional: statutory days only, replace when the notice is published (全国年节及纪念日放假办法 2024年修订; 国务院办公厅关于2027年部分节假日安排的通知 not yet published: no 调休 working weekends, no 补休 for statutory days on a weekend)'),
  ('2027-09-15', 'holiday', '中秋节', 'provisional: statutory days only, replace when the notice is published (全国年节及纪念日放假办法 2024年修订; 国务院办公厅关于2027年部分节假日安排的通知 not yet published: no 调休 working weekends, no 补休 for statutory days on a weekend)'),
  ('2027-10-01', 'holiday', '国庆节', 'provisional: statutory days only, replace when the notice is published (全国年节及纪念日放假办法 2024年修订; 国务院办公厅关于2027年部分节假日安排的通知 not yet published: no 调休 working weekends, no 补休 for statutory days on a weekend)'),
  ('2027-10-02', 'holiday', '国庆节', 'provisional: statutory days only, replace when the notice is published (全国年节及纪念日放假办法 2024年修订; 国务院办公厅关于2027年部分节假日安排的通知 not yet published: no 调休 working weekends, no 补休 for statutory days on a weekend)'),
  ('2027-10-03', 'holiday', '国庆节', 'provisional: statutory days only, replace when the notice is published (全国年节及纪念日放假办法 2024年修订; 国务院办公厅关于2027年部分节假日安排的通知 not yet published: no 调休 working weekends, no 补休 for statutory days on a weekend)')
on conflict (day) do nothing;
