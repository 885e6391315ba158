"""Task authoring: `evaluate validate` (every problem of a task, with file:line) and
`evaluate new-task` (a scaffold that validates out of the box)."""
