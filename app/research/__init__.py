"""Research without exposure: questionnaires, the anonymised export and aggregate figures."""
