-- Schema version 2 of the postings: the structured fields (work history, education, languages, work
-- conditions) kept as one JSON document per item, as the event carried them; a vacancy's employer as a column,
-- because recruiters read by it. Items written by a producer of version 1 keep an empty profile.
-- depends: 0007_list_reserves

ALTER TABLE vacancies ADD COLUMN employer_id text;
ALTER TABLE vacancies ADD COLUMN profile jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE resumes ADD COLUMN profile jsonb NOT NULL DEFAULT '{}'::jsonb;
CREATE INDEX vacancies_employer ON vacancies (employer_id) WHERE employer_id IS NOT NULL;
