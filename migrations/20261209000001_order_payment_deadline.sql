-- Unpaid orders stop holding stock: a PENDING order has until `payment_due_at` to be paid,
-- then the sweeper (`commerce::orders::expiry`) cancels it as the system and puts its stock
-- back. NULL means no deadline: the demo seed's orders, which took no stock.
ALTER TABLE orders ADD COLUMN payment_due_at TIMESTAMPTZ;

-- Orders placed before deadlines existed get the default one (30 minutes after they were
-- placed), so the first sweep frees what old unpaid orders still hold.
UPDATE orders SET payment_due_at = created_at + interval '30 minutes' WHERE status = 'PENDING';

-- What the sweeper reads: only pending orders with a deadline, soonest first.
CREATE INDEX orders_payment_due_idx ON orders (payment_due_at)
    WHERE status = 'PENDING' AND payment_due_at IS NOT NULL;

-- Why a move was made when the mover alone does not say it (the system cancelling an order
-- whose payment did not arrive in time).
CREATE TYPE order_change_reason AS ENUM ('PAYMENT_EXPIRED');
ALTER TABLE order_status_history ADD COLUMN reason order_change_reason;
