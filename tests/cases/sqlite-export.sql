-- sqlite-export.sql: the sqlite3 workload the export oracles run twice,
-- once under heapspy and once under the peer (t1226 heaptrack, t1227
-- valgrind massif): 3000 rows, an index, two queries; a peak near 1 MB.
CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c BLOB);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<3000)
INSERT INTO t SELECT i, printf('row %d %s', i, hex(randomblob(20))), zeroblob(i % 200) FROM n;
CREATE INDEX tb ON t(b);
SELECT count(*), sum(length(b)) FROM t WHERE a % 7 = 3;
SELECT b FROM t ORDER BY b DESC LIMIT 3;
