"""One adapter per architecture: what differs between models, in one place.

How residues are written for the tokenizer (ESM: ``MKT``; Rostlab's ProtBert, ProtAlbert,
ProtXLNet and ProtT5: ``M K T`` with U, Z, O, B as X), which transformers classes load
it, what separates concatenated chains, and the longest chain one pass takes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Family",
    "FAMILIES",
]


@dataclass(frozen=True)
class Family:
    """What differs between architectures, in one place.

    Attributes
    ----------
    name : str
    model_class : str
        transformers class that returns attention (``"EsmModel"``, ``"T5EncoderModel"``).
    tokenizer_class : str or None
        transformers tokenizer class; None for ``AutoTokenizer``.
    spaced : bool
        Residues are written space-separated (``"M K T"``), as Rostlab's models expect.
    rare_to_x : bool
        U, Z, O and B are written as X (Rostlab's preprocessing).
    separator : str or None
        Special token put between concatenated chains; None puts :data:`LINKER`.
    max_positions_less : int or None
        The longest chain is ``config.max_position_embeddings`` less this (the
        special tokens); None when the architecture has no position limit.
    max_residues_cap : int or None
        A fixed cap instead (ESM: 1022, its training crop).
    tokenizer_kwargs : dict
    pads : bool
        Chains of different lengths may run as one batch, padded at the end with the
        pad token and masked (:meth:`protattn.lm.model.LanguageModel.forward`): every
        real token's attention is then that of its own pass. True for every family
        protattn knows: absolute positions (BERT, ALBERT, AntiBERTy, ESM-1b) and
        rotary ones (ESM-2) count from the first token, which padding at the end does
        not move, and XLNet's and T5's relative positions depend on distances only
        (XLNet's tokenizer pads at the start, for a summary token this does not use;
        its attention with padding at the end is the same, as the tests check). False
        for ``auto``: an architecture protattn does not know may place or number its
        tokens otherwise, so it runs one chain a pass.
    """

    name: str
    model_class: str
    tokenizer_class: str | None
    spaced: bool
    rare_to_x: bool
    separator: str | None
    max_positions_less: int | None = 2
    max_residues_cap: int | None = None
    tokenizer_kwargs: dict[str, Any] = field(default_factory=dict)
    pads: bool = True


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "esm",
            "EsmModel",
            "EsmTokenizer",
            spaced=False,
            rare_to_x=False,
            separator=None,
            max_residues_cap=1022,
        ),
        Family(
            "bert",
            "BertModel",
            "BertTokenizer",
            spaced=True,
            rare_to_x=True,
            separator="[SEP]",
            tokenizer_kwargs={"do_lower_case": False},
        ),
        Family(
            "albert",
            "AlbertModel",
            "AlbertTokenizer",
            spaced=True,
            rare_to_x=True,
            separator="[SEP]",
            tokenizer_kwargs={"do_lower_case": False},
        ),
        Family(
            "xlnet",
            "XLNetModel",
            "XLNetTokenizer",
            spaced=True,
            rare_to_x=True,
            separator="<sep>",
            max_positions_less=None,
            tokenizer_kwargs={"do_lower_case": False},
        ),
        Family(
            "t5",
            "T5EncoderModel",
            "T5Tokenizer",
            spaced=True,
            rare_to_x=True,
            separator="</s>",
            max_positions_less=None,
            tokenizer_kwargs={"do_lower_case": False},
        ),
        Family(
            "antiberty",
            "BertForMaskedLM",
            "BertTokenizer",
            spaced=True,
            rare_to_x=False,
            separator="[SEP]",
            tokenizer_kwargs={"do_lower_case": False},
        ),
        Family(
            "auto",
            "AutoModel",
            None,
            spaced=False,
            rare_to_x=False,
            separator=None,
            max_positions_less=2,
            pads=False,
        ),
    )
}

MODEL_TYPE_FAMILY = {"esm": "esm", "bert": "bert", "albert": "albert", "xlnet": "xlnet", "t5": "t5"}
