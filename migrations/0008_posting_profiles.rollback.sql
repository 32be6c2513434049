DROP INDEX IF EXISTS vacancies_employer;
ALTER TABLE resumes DROP COLUMN IF EXISTS profile;
ALTER TABLE vacancies DROP COLUMN IF EXISTS profile;
ALTER TABLE vacancies DROP COLUMN IF EXISTS employer_id;
