-- tests/oracle/workload.sql: the sqlite3 CLI workload of the "exact
-- accounting" oracle test (t2100-valgrind-sqlite3.sh), run as
--   sqlite3 -batch -init /dev/null :memory: < workload.sql
-- once under valgrind and once under heapspy; the heap totals must match.
-- Deterministic on purpose: rows come from recursive CTEs and integer
-- arithmetic; no random(), no 'now', no files (in-memory database only).
-- A few thousand rows, an index, joins, grouping, updates and deletes give
-- the allocator a few thousand mallocs/reallocs/frees of varied sizes.

PRAGMA cache_size = 200;

CREATE TABLE customer (
  id      INTEGER PRIMARY KEY,
  name    TEXT NOT NULL,
  city    TEXT NOT NULL,
  credit  INTEGER NOT NULL
);
CREATE TABLE orders (
  id          INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customer(id),
  item        TEXT NOT NULL,
  qty         INTEGER NOT NULL,
  price_cents INTEGER NOT NULL,
  note        TEXT
);

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600)
INSERT INTO customer (id, name, city, credit)
SELECT i,
       'customer-' || printf('%05d', i) || substr('abcdefghijklmnopqrstuvwxyz', 1 + i % 26),
       CASE i % 7 WHEN 0 THEN 'Oslo' WHEN 1 THEN 'Lima' WHEN 2 THEN 'Pune'
                  WHEN 3 THEN 'Kyiv' WHEN 4 THEN 'Accra' WHEN 5 THEN 'Quito'
                  ELSE 'Brno' END,
       (i * 7919) % 10007
FROM n;

BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000)
INSERT INTO orders (id, customer_id, item, qty, price_cents, note)
SELECT i,
       1 + (i * 31) % 600,
       'item-' || ((i * 13) % 97),
       1 + (i % 9),
       100 + (i * 37) % 5000,
       CASE WHEN i % 5 = 0 THEN NULL
            ELSE substr(hex(zeroblob(1 + i % 40)), 1, 2 + (i % 60)) END
FROM n;
COMMIT;

CREATE INDEX orders_by_customer ON orders(customer_id, item);
CREATE INDEX customer_by_city ON customer(city, credit);

SELECT count(*), sum(qty), sum(qty * price_cents) FROM orders;

SELECT c.city, count(DISTINCT c.id), count(o.id), sum(o.qty * o.price_cents)
FROM customer c JOIN orders o ON o.customer_id = c.id
GROUP BY c.city ORDER BY c.city;

SELECT c.name, sum(o.qty * o.price_cents) AS spent
FROM customer c JOIN orders o ON o.customer_id = c.id
GROUP BY c.id ORDER BY spent DESC, c.name LIMIT 10;

SELECT item, count(*), group_concat(DISTINCT qty) FROM orders
WHERE customer_id BETWEEN 100 AND 200 GROUP BY item ORDER BY item LIMIT 15;

UPDATE orders SET note = coalesce(note, '') || '-rev' WHERE id % 3 = 0;
UPDATE customer SET credit = credit + 17 WHERE city IN ('Oslo', 'Kyiv');
DELETE FROM orders WHERE qty = 9 AND price_cents > 2500;

SELECT count(*), sum(length(note)), max(length(note)) FROM orders;

SELECT city, max(credit), min(credit), avg(credit) FROM customer
GROUP BY city ORDER BY city;

WITH ranked AS (
  SELECT customer_id, price_cents,
         row_number() OVER (PARTITION BY customer_id ORDER BY price_cents DESC, id) AS rn
  FROM orders)
SELECT count(*), sum(price_cents) FROM ranked WHERE rn <= 3;

SELECT upper(name), replace(city, 'o', '0'), length(name) FROM customer
WHERE id IN (SELECT customer_id FROM orders WHERE item = 'item-42')
ORDER BY name LIMIT 5;

CREATE TEMP TABLE summary AS
SELECT customer_id, count(*) AS n, sum(qty) AS q FROM orders GROUP BY customer_id;
SELECT count(*), sum(n), sum(q) FROM summary;
DROP TABLE summary;

DROP INDEX customer_by_city;
SELECT count(*) FROM customer WHERE city = 'Lima' AND credit > 5000;
