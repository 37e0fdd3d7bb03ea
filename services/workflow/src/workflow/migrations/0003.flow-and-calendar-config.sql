-- depends: 0001.flows-calendars-orders
-- Flows as configuration (name per version, who saved it, active service types) and branch
-- calendars (the chain's optional days, each branch's working week, hours and closures).

ALTER TABLE service_types ADD COLUMN active boolean NOT NULL DEFAULT true;

ALTER TABLE flow_versions ADD COLUMN name text, ADD COLUMN created_by text;
UPDATE flow_versions v SET name = t.name
FROM service_types t WHERE t.chain_id = v.chain_id AND t.code = v.service_type;
ALTER TABLE flow_versions ALTER COLUMN name SET NOT NULL;

-- The "pontos facultativos" a chain closes on (OptionalDay keys). Each branch row carries a copy,
-- so that a branch row alone says everything its calendar needs.
CREATE TABLE chain_calendars (
    chain_id       uuid PRIMARY KEY,
    optional_days  text[] NOT NULL DEFAULT '{}',
    updated_at     timestamptz NOT NULL,
    updated_by     text
);

-- calendar: the branch's own settings as JSON (working weekdays, hours, municipal holidays,
-- closures); '{}' means the defaults. calendar_revision grows on every change of the calendar or
-- of the chain's optional days: calendar caches are keyed by it.
ALTER TABLE branches
    ADD COLUMN optional_days text[] NOT NULL DEFAULT '{}',
    ADD COLUMN calendar jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN calendar_revision bigint NOT NULL DEFAULT 0,
    ADD COLUMN calendar_updated_at timestamptz,
    ADD COLUMN calendar_updated_by text;

CREATE FUNCTION branches_take_chain_optional_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.optional_days := coalesce(
        (SELECT optional_days FROM chain_calendars WHERE chain_id = NEW.chain_id FOR SHARE),
        '{}');
    RETURN NEW;
END;
$$;

CREATE TRIGGER branches_take_chain_optional_days BEFORE INSERT ON branches
FOR EACH ROW EXECUTE FUNCTION branches_take_chain_optional_days();
