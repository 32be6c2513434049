-- Two lookups of the scorer's ranking rounds. Each round asks which items changed since the last one
-- (`updated_at >= $1`, with a margin): without an index every round read both item tables whole (hundreds of
-- megabytes at the seed's scale). A round takes, with the oldest logged list changes, every other change
-- logged for the same lists (it ranks their candidates as they are now): by list.
-- depends: 0011_api_access

CREATE INDEX vacancies_by_update ON vacancies (updated_at);
CREATE INDEX resumes_by_update ON resumes (updated_at);
CREATE INDEX list_changes_by_list ON list_changes (direction, source_id);
