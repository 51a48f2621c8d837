"""Stage 4, the analysis: attention against the structure, pure numpy.

- :mod:`.pairs`: attention maps to residue pairs and residue scores;
- :mod:`.contacts`: contact prediction from attention (APC) and its precision;
- :mod:`.statistics`: per-head shares of a property over a set of chains (the
  paper's eq. 1), from the counts of :mod:`protattn.lm.counts`;
- :mod:`.intervals`: the intervals and tests those shares are reported with.
"""
