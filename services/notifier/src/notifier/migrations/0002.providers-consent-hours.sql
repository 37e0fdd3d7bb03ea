-- depends: 0001.contacts-and-messages
-- Providers, consent and opt-out, sending hours and delivery reports.

-- What was sent: encoding and segments of the body; when a held message may go out; delivery.
ALTER TABLE messages
    ADD COLUMN encoding      text,
    ADD COLUMN segments      integer,
    ADD COLUMN send_after    timestamptz,
    ADD COLUMN delivered_at  timestamptz;
DROP INDEX messages_due;
CREATE INDEX messages_due ON messages (next_attempt_at)
    WHERE status IN ('pending', 'sending', 'held');
CREATE INDEX messages_by_provider_id ON messages (provider, provider_message_id)
    WHERE provider_message_id IS NOT NULL;
CREATE INDEX contacts_by_phone ON contacts (phone);

-- The notifier's copy of each branch: its time zone, state (for holidays) and sending window.
CREATE TABLE branches (
    branch_id         uuid PRIMARY KEY,
    chain_id          uuid NOT NULL,
    name              text NOT NULL,
    state             text NOT NULL,
    city              text NOT NULL,
    timezone          text NOT NULL,
    window_starts_at  time NOT NULL DEFAULT '08:00',
    window_ends_at    time NOT NULL DEFAULT '20:00',
    window_weekdays   smallint[] NOT NULL DEFAULT '{0,1,2,3,4,5}',
    updated_at        timestamptz NOT NULL
);

-- What the notifier knows of an order's progress: its latest stage entry and whether it closed.
CREATE TABLE order_progress (
    order_id               uuid PRIMARY KEY,
    chain_id               uuid NOT NULL,
    latest_entry_sequence  integer NOT NULL DEFAULT 0,
    closed_at              timestamptz,
    outcome                text
);

-- Phones that asked for no more SMS. Global: a reply reaches the shared sender, so it applies to
-- every chain. set_by_chain is the chain whose staff set it over the API (NULL for replies).
CREATE TABLE opt_outs (
    phone          text PRIMARY KEY,
    opted_out_at   timestamptz NOT NULL,
    source         text NOT NULL CHECK (source IN ('reply', 'staff')),
    provider       text,
    keyword        text,
    set_by_chain   uuid
);
CREATE INDEX opt_outs_by_chain ON opt_outs (set_by_chain) WHERE set_by_chain IS NOT NULL;
