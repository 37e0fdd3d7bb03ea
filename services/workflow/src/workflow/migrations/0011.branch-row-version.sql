-- depends: 0010.delivered-summaries
-- Each branch row's version, for workflow's in-process branch cache: a new number from a
-- sequence at every insert and every update of the row (whatever the change: intake's
-- snapshot, the chain's name, the calendar, the optional days, a city's holiday list). A
-- sequence never gives a number twice, even to a transaction that rolled back, so a cached
-- branch is valid exactly while its number is the row's.

CREATE SEQUENCE branch_row_versions;

ALTER TABLE branches ADD COLUMN row_version bigint NOT NULL DEFAULT nextval('branch_row_versions');

CREATE FUNCTION branches_next_row_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.row_version := nextval('branch_row_versions');
    RETURN NEW;
END
$$;

CREATE TRIGGER branches_next_row_version BEFORE UPDATE ON branches
    FOR EACH ROW EXECUTE FUNCTION branches_next_row_version();
