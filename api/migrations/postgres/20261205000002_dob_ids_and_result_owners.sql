-- Issue 14: a registration may carry the date-of-birth id (`keyDob`) of its
-- test, stored like the GUID as a hash; one registration per id, ever.
ALTER TABLE registrations ADD COLUMN guid_dob_hash TEXT;
CREATE UNIQUE INDEX registrations_guid_dob_hash ON registrations (guid_dob_hash);

-- Issue 15 point 8: a result belongs to the lab that first stored it
-- (`lab:<labs.id>` for a lab API key, `user:<name>` for a portal lab user);
-- another lab's upload for the same id is refused. A pending entry made by a
-- registration has no owner until a lab reports. Existing results go to the
-- lab whose name they carry, else to the portal user of that name.
ALTER TABLE test_results ADD COLUMN owner TEXT;
UPDATE test_results
   SET owner = 'lab:' || CAST((SELECT labs.id FROM labs WHERE labs.name = test_results.lab_id) AS TEXT)
 WHERE lab_id IN (SELECT name FROM labs);
UPDATE test_results
   SET owner = 'user:' || lab_id
 WHERE owner IS NULL AND lab_id IS NOT NULL;
