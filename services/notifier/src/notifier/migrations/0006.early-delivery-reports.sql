-- depends: 0005.message-correlation-and-trace
-- A delivery report that arrives before the notifier has written its message's `sent` (the
-- provider answered, the write is still on its way or waiting out a busy database) is kept
-- here, and applied once the message is `sent` (usecases/delivery_report.py). One per
-- provider's message id: the first final report is the one kept. Rows older than two days are
-- dropped when a new one is kept (a report for a message that never became `sent`).

CREATE TABLE early_reports (
    provider             text NOT NULL,
    provider_message_id  text NOT NULL,
    outcome              text NOT NULL CHECK (outcome IN ('delivered', 'failed')),
    reason               text,
    received_at          timestamptz NOT NULL,
    PRIMARY KEY (provider, provider_message_id)
);
CREATE INDEX early_reports_by_age ON early_reports (received_at);
