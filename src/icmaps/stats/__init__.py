"""Statistics over ratings: the mergeable tally and everything computed from it (summaries,
consensus, fidelity, growth, gaps, configurations, agreement, disagreements). Imports
``ratings``, ``maps`` and the base modules only."""
