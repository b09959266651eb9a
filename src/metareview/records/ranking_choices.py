"""The built-in ranking models as a lead chooses among them, each described in one line.

:data:`RANKING_CHOICES` lists the names of :data:`metareview.records.active_learning.MODELS`
in its order, with a plain description and whether the model reads the records' sentence
vectors. It is kept apart from the models themselves so listing them loads no scikit-learn
(``tests/test_web_ranking_model.py`` ties the two).

>>> [choice.name for choice in RANKING_CHOICES]
['svm', 'logistic', 'nb', 'minilm']
>>> ranking_choice("minilm").reads_vectors
True
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RankingChoice:
    """A built-in ranking model: its name, a one-line plain description, and whether it reads
    the records' sentence vectors (``Model.embedding``)."""

    name: str
    description: str
    reads_vectors: bool = False


RANKING_CHOICES = (
    RankingChoice(
        "svm",
        "The light install's default: a linear support vector machine on the words of title "
        "and abstract, retrained after each vote, with 100 records not yet screened taken "
        "as presumed irrelevant.",
    ),
    RankingChoice("logistic", "A logistic regression on the words of title and abstract."),
    RankingChoice("nb", "A naive Bayes classifier on the words of title and abstract."),
    RankingChoice(
        "minilm",
        "The optional sentence-embedding model, which a new project starts with where it is "
        "installed (it ranked best in the benchmark): svm until 10 relevant records are "
        "found, then svm's top 10 re-ordered with each record's sentence vector "
        "(all-MiniLM-L6-v2).",
        reads_vectors=True,
    ),
)


def ranking_choice(name: str) -> RankingChoice | None:
    """The built-in model called ``name`` (``None`` for a name that is not one)."""
    return next((choice for choice in RANKING_CHOICES if choice.name == name), None)
