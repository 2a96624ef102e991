-- Order mails (api/src/commerce/orders/mail.rs): a mail about an order is queued in the
-- transaction of the change it tells of, naming the order and the news (`kind`), and is
-- rendered from the order when it is sent, as plain text and HTML. Its `body` stays empty.
ALTER TABLE mail_outbox ADD COLUMN order_id BIGINT REFERENCES orders (id);
-- What checkout's release and the sender's ordering rule look up (one recipient's mails about
-- one order go out in order).
CREATE INDEX mail_outbox_order_idx ON mail_outbox (order_id, recipient, id)
    WHERE sent_at IS NULL AND failed_at IS NULL;
