-- New permissions of issue 4 (reading.rules: maintain VEE rule sets; collection.run: head-end
-- collection and on-demand reads) granted to the built-in roles of databases seeded before
-- them. A fresh database has no roles yet at this point (the seed writes them from
-- src/domain/security/permissions.ts), so this is a no-op there. Admin-edited custom roles are
-- left alone. Forward only.
update roles set permissions = array_append(permissions, 'collection.run')
  where builtin and code in ('meter_reader', 'billing_checker', 'inspector', 'administrator')
    and not ('collection.run' = any(permissions));
update roles set permissions = array_append(permissions, 'reading.rules')
  where builtin and code in ('billing_checker', 'administrator')
    and not ('reading.rules' = any(permissions));
