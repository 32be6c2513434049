DROP INDEX IF EXISTS list_changes_by_list;
DROP INDEX IF EXISTS resumes_by_update;
DROP INDEX IF EXISTS vacancies_by_update;
