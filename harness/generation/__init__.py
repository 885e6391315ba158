"""Generation: the plan's requests asked of a backend (harness.backends) and answered (runner),
each answer stored as it arrives (cache), or answers made elsewhere read in their place
(predictions)."""
