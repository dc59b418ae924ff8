"""Stage 4, reports: findings.json (the machine-readable truth every other output derives
from), the terminal summary, and the human/CI formats."""
