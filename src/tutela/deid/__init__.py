"""De-identification: find personal data in free text and tables, and de-identify it.

`Analyzer` runs the recognizers (one small class per file in `recognizers/`, listed by the
registry) over a text and returns `Finding`s: entity type, character span, score and the
recognizer that found it. Operators (`operators`) replace what was found, per entity type,
as a policy says.
"""

from tutela.deid.analyzer import Analyzer
from tutela.deid.findings import Finding

__all__ = ["Analyzer", "Finding"]
