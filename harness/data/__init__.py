"""Data sources: the hub, a local copy in the upstream layout, and the sample a task ships."""
