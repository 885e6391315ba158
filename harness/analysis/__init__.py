"""Analysis of scored runs: score cells (cells), intervals (stats), paired gaps (gaps), the
summary across languages (summary), comparisons of two runs (compare), the printed tables
(report) and exports to CSV, JSON and Parquet (export)."""
