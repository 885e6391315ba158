"""The static leaderboard: `evaluate leaderboard` builds it from the run folders in results/.

- runs: the run folders and what the site reads of them;
- selection: a column's data tier, and which run of a model fills its cell (the rule, and
  the runs set aside);
- tables: the numbers every page shows (cells, language cells, ranks, means);
- ranks: ranks that tie where intervals overlap, means with intervals;
- confusion: the Language Confusion Benchmark's rates (LPR, WPR, LCPR) of a cell;
- families: the task families of the overview's filter, and what each family's mean averages;
- svg: colours and charts (inline SVG);
- drill: the drill-down sample files, loaded on demand;
- downloads: the tables as CSV and JSON;
- pages: what every page shares: the Jinja2 environment (templates in leaderboard/templates,
  autoescaped), number formats, provenance, drill-down links;
- language_ranks: per language and kind of metric, the models ranked; gaps to English, best
  and worst languages; model_summary: what a model page shows first; figures: their numbers
  as the pages show them;
- overview, language_view, task_pages, model_pages: one kind of page each; heat: heatmap cells;
- names: file names for models, runs, tasks, variants and languages;
- build, check: building the site, and telling whether a built one is stale.
"""

from __future__ import annotations

from harness.leaderboard.build import SITE_MARKER, Built, build_site
from harness.leaderboard.check import check_site

__all__ = ["SITE_MARKER", "Built", "build_site", "check_site"]
