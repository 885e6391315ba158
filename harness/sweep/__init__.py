"""Sweeps: many `evaluate run`s (models x task groups x language shards) on one machine, a
Slurm cluster or a Ray cluster, and their results collected into one tree.

- spec: the sweep file (SWEEP.yaml), typed;
- cells: the cells it makes, their arguments (checked by `evaluate run`'s parser), the plan
  written to `<output>/sweep.json`, and which cells a re-launch runs;
- executors: local (a bounded pool), slurm (submitit job arrays), ray (one task per cell);
  a cell that exits 3 is run again up to the sweep's `retries`;
- collect: the cells' run folders merged into one results tree (duplicates resolved by the
  leaderboard's rule, language shards merged), the sweep's status, the caches merged.
"""
