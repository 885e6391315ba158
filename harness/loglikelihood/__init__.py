"""Log-likelihood evaluation: a variant that asks how likely each continuation is after a
context, instead of asking for a reply (`loglikelihood:` in task.yaml, harness.spec.Variant).

- `formulations`: what a variant's context shows and which continuations it scores: the option
  letters (`letter`), the options' texts (`cloze`, options not shown; `hybrid`, shown), or the
  item's whole text (`text`: bits per byte of the language);
- `scoring`: the accuracies of a multiple-choice item from its continuations' log-probabilities
  (`acc`, and normalised by characters or tokens), and bits per byte over a language's texts.

Requests go through the same runner, pool and cache as generations (harness.generation); the
backends score them (harness.backends). Language consistency does not apply: a log-likelihood
answer is one of the continuations given, never a text the model wrote.
"""
