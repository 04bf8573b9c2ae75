"""Re-identification risk of a table: prosecutor, journalist and marketer models, sample
uniques, and an estimate of population uniqueness (Pitman's model).

Every figure comes from the sizes of the equivalence classes over the quasi-identifiers
(records that agree on every one of them), counted with one Polars group-by:

- **Prosecutor** (the attacker knows their target is in the table): a record in a class of `f`
  records is re-identified with probability `1/f`. Highest risk `1/min f`; average risk over
  the records `classes / records`.
- **Journalist** (the attacker does not know whether the target is in the table): the risk of
  a record is `1/F`, with `F` the size of its class in the *population* the table was drawn
  from. Given a population table (generalized the same way), `F` is counted there (at least
  `f`, since the sample's own records belong to the population); without one, the table is
  taken as the population and journalist risk equals prosecutor risk.
- **Marketer** (the attacker tries to re-identify as many records as possible): the expected
  share of records re-identified, `classes / records` without a population, and
  `mean(1/F)` over the records with one.

"Records at risk" is the share of records whose risk is strictly above the threshold, so a
5-anonymous table has none at threshold 0.2.

Population uniqueness (optional, needs the population size `N`) follows Hoshino (2001),
"Applying Pitman's sampling formula to microdata disclosure risk assessment", J. Official
Statistics 17(4): the class sizes of the sample are taken to follow Pitman's sampling
formula with parameters `theta > -alpha`, `0 < alpha < 1`, fitted by maximum likelihood on the
sample's frequencies of frequencies (Newton's method from Hoshino's moment estimates, the
approach ARX takes). The expected number of population uniques is then
`Gamma(theta + 1) / Gamma(theta + alpha) * N ** alpha`, reported with its share of `N`. The
model assumes a simple random sample of the population; it is an estimate, not a bound.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tutela.anonymize.errors import AnonymizationInvalid

if TYPE_CHECKING:
    import polars as pl

DEFAULT_THRESHOLD = 0.2
_SIZE = "__tutela_class_size"
_POPULATION = "__tutela_population_size"


@dataclass(frozen=True)
class AttackerRisk:
    """Re-identification risk of the records under one attacker model.

    Attributes:
        highest: the largest risk of any record.
        average: the mean risk over the records.
        at_risk: the share of records whose risk is above the threshold.
    """

    highest: float
    average: float
    at_risk: float

    def as_dict(self) -> dict[str, float]:
        return {"highest": self.highest, "average": self.average, "at_risk": self.at_risk}


@dataclass(frozen=True)
class PopulationUniqueness:
    """Pitman-model estimate of how many records of the population are unique.

    Attributes:
        population: the population size `N` the estimate is for.
        uniques: the expected number of population uniques.
        theta: the fitted concentration parameter.
        alpha: the fitted discount parameter.
    """

    population: int
    uniques: float
    theta: float
    alpha: float

    @property
    def share(self) -> float:
        """Expected population uniques as a share of the population."""
        return self.uniques / self.population

    def as_dict(self) -> dict[str, str | float | int]:
        return {
            "model": "pitman",
            "population": self.population,
            "uniques": self.uniques,
            "share": self.share,
            "theta": self.theta,
            "alpha": self.alpha,
        }


@dataclass(frozen=True)
class RiskReport:
    """The re-identification risk of one table over its quasi-identifiers.

    Attributes:
        quasi_identifiers: the columns that define the equivalence classes.
        records: the number of records assessed.
        classes: the number of equivalence classes.
        threshold: the risk above which a record counts as "at risk".
        prosecutor: risk when the attacker knows the target is in the table.
        journalist: risk when the attacker does not (equals `prosecutor` without a population).
        marketer: expected share of records re-identified in a wholesale attack.
        sample_uniques: records alone in their class.
        population_given: whether journalist and marketer risk used a population table.
        population_uniqueness: the Pitman estimate, when a population size was given and the
            model could be fitted.
    """

    quasi_identifiers: tuple[str, ...]
    records: int
    classes: int
    threshold: float
    prosecutor: AttackerRisk
    journalist: AttackerRisk
    marketer: float
    sample_uniques: int
    population_given: bool = False
    population_uniqueness: PopulationUniqueness | None = None

    @property
    def sample_uniqueness(self) -> float:
        """Sample uniques as a share of the records."""
        return self.sample_uniques / self.records if self.records else 0.0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of every figure."""
        return {
            "quasi_identifiers": list(self.quasi_identifiers),
            "records": self.records,
            "classes": self.classes,
            "threshold": self.threshold,
            "prosecutor": self.prosecutor.as_dict(),
            "journalist": self.journalist.as_dict(),
            "marketer": self.marketer,
            "sample_uniques": self.sample_uniques,
            "sample_uniqueness": self.sample_uniqueness,
            "population_given": self.population_given,
            "population_uniqueness": (
                None if self.population_uniqueness is None else self.population_uniqueness.as_dict()
            ),
        }


def class_sizes(frame: pl.DataFrame, quasi_identifiers: Sequence[str]) -> pl.DataFrame:
    """One row per equivalence class: the quasi-identifier values and `size`, its record count.

    Raises:
        AnonymizationInvalid: a quasi-identifier is not a column of `frame`, or none is given.
    """
    _check_columns(frame, quasi_identifiers, "table")
    return frame.group_by(list(quasi_identifiers)).len(name="size")


def class_size_histogram(
    frame: pl.DataFrame, quasi_identifiers: Sequence[str]
) -> list[tuple[int, int]]:
    """How many equivalence classes have each size: `(size, classes)` pairs, smallest first."""
    import polars as pl

    sizes = class_sizes(frame, quasi_identifiers)
    hist = sizes.group_by("size").agg(pl.len().alias("classes")).sort("size")
    return [(int(s), int(c)) for s, c in hist.iter_rows()]


def assess_risk(
    frame: pl.DataFrame,
    quasi_identifiers: Sequence[str],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    population: pl.DataFrame | None = None,
    population_size: int | None = None,
) -> RiskReport:
    """The re-identification risk of `frame` as it is (pass only the records released).

    Args:
        frame: the table; only the quasi-identifier columns are read.
        quasi_identifiers: the columns an attacker can link on.
        threshold: the risk above which a record counts as at risk (0 < threshold <= 1).
        population: the population the table was drawn from, with the same quasi-identifier
            columns in the same representation, for journalist and marketer risk.
        population_size: the population size `N` for the Pitman estimate of population
            uniqueness (default: the population table's height, if given; else no estimate).

    Returns:
        Every figure of the three attacker models, with sample uniques and the estimate.

    Raises:
        AnonymizationInvalid: a column is missing, the threshold is out of range, or the
            population is smaller than the table.
    """
    import polars as pl

    if not 0 < threshold <= 1:
        raise AnonymizationInvalid("threshold", "must be above 0 and at most 1")
    qis = list(quasi_identifiers)
    sizes = class_sizes(frame, qis)
    records = frame.height
    classes = sizes.height
    if records == 0:
        empty = AttackerRisk(0.0, 0.0, 0.0)
        return RiskReport(tuple(qis), 0, 0, threshold, empty, empty, 0.0, 0)

    prosecutor = _attacker(sizes, pl.col("size"), threshold, records)
    journalist = prosecutor
    marketer = classes / records
    if population is not None:
        _check_columns(population, qis, "population")
        if population.height < records:
            raise AnonymizationInvalid("population", "has fewer records than the table")
        counted = population.group_by(qis).len(name=_POPULATION)
        joined = sizes.join(counted, on=qis, how="left", nulls_equal=True).with_columns(
            pl.max_horizontal(pl.col(_POPULATION).fill_null(0), pl.col("size")).alias(_POPULATION)
        )
        journalist = _attacker(joined, pl.col(_POPULATION), threshold, records)
        marketer = journalist.average
    unique = int(sizes.filter(pl.col("size") == 1).height)

    size_n = population_size if population_size is not None else None
    if size_n is None and population is not None:
        size_n = population.height
    estimate = None
    if size_n is not None:
        if size_n < records:
            raise AnonymizationInvalid("population_size", "is smaller than the table")
        frequencies = _frequencies_of_frequencies(sizes)
        estimate = pitman_uniqueness(frequencies, size_n)
    return RiskReport(
        quasi_identifiers=tuple(qis),
        records=records,
        classes=classes,
        threshold=threshold,
        prosecutor=prosecutor,
        journalist=journalist,
        marketer=marketer,
        sample_uniques=unique,
        population_given=population is not None,
        population_uniqueness=estimate,
    )


def _check_columns(frame: pl.DataFrame, columns: Sequence[str], what: str) -> None:
    if not columns:
        raise AnonymizationInvalid("quasi_identifiers", "at least one column is needed")
    present = set(frame.columns)
    for column in columns:
        if column not in present:
            raise AnonymizationInvalid(column, f"is not a column of the {what}")


def _attacker(
    classes: pl.DataFrame, denominator: pl.Expr, threshold: float, records: int
) -> AttackerRisk:
    """Risk figures from one row per class with its `size` (records in the table) and the
    denominator of its records' risk (the class size in the table or the population)."""
    import polars as pl

    risk = 1.0 / denominator.cast(pl.Float64)
    row = classes.select(
        risk.max().alias("highest"),
        (risk * pl.col("size")).sum().alias("mass"),
        pl.col("size").filter(risk > threshold).sum().alias("at_risk"),
    ).row(0)
    highest, mass, at_risk = row
    return AttackerRisk(float(highest), float(mass) / records, int(at_risk or 0) / records)


def _frequencies_of_frequencies(sizes: pl.DataFrame) -> dict[int, int]:
    import polars as pl

    hist = sizes.group_by("size").agg(pl.len().alias("classes"))
    return {int(s): int(c) for s, c in hist.iter_rows()}


# -- Pitman's model ----------------------------------------------------------------------


def pitman_uniqueness(
    frequencies: Mapping[int, int], population: int, *, max_iterations: int = 200
) -> PopulationUniqueness | None:
    """Expected population uniques under Pitman's sampling formula (Hoshino 2001).

    Args:
        frequencies: class size -> number of classes of that size, in the sample.
        population: the population size `N` (at least the sample size).
        max_iterations: Newton steps before giving up.

    Returns:
        The estimate, or None when the model cannot be fitted (no sample uniques, every class
        unique, or no convergence): Pitman's model then says nothing useful.
    """
    counts = {s: c for s, c in frequencies.items() if s > 0 and c > 0}
    n = sum(s * c for s, c in counts.items())
    u = sum(counts.values())
    c1 = counts.get(1, 0)
    if n < 2 or c1 == 0 or u < 2 or c1 == n:
        return None
    c2 = counts.get(2, 0) or 1  # no pairs: overestimate, as ARX does
    # Hoshino's moment estimates as the starting point.
    c = c1 * (c1 - 1) / c2
    denom = 2 * c1 * u + c1 * c - n * c
    theta = (n * u * c - c1 * (n - 1) * (2 * u + c)) / denom if denom else 1.0
    alpha = (theta * (c1 - n) + (n - 1) * c1) / (n * u)
    if not (0 < alpha < 1 and theta > -alpha):
        theta, alpha = 1.0, 0.5
    solved = _newton(counts, n, u, (theta, alpha), max_iterations)
    if solved is None:
        return None
    theta, alpha = solved
    try:
        uniques = math.exp(
            math.lgamma(theta + 1) - math.lgamma(theta + alpha) + alpha * math.log(population)
        )
    except (OverflowError, ValueError):
        return None
    if not 0 <= uniques <= population:
        return None
    return PopulationUniqueness(population, uniques, theta, alpha)


def _newton(
    counts: Mapping[int, int],
    n: int,
    u: int,
    start: tuple[float, float],
    max_iterations: int,
) -> tuple[float, float] | None:
    """Solve the two score equations of Pitman's likelihood for (theta, alpha).

    log L = sum_{i<u} log(theta + i*alpha) - sum_{i<n} log(theta + i)
            + sum_classes sum_{j<size} log(j - alpha)
    The sums over i and j are written with digamma/trigamma, so a step costs O(distinct sizes).
    """
    theta, alpha = start
    for _ in range(max_iterations):
        grad, hess = _score(counts, n, u, theta, alpha)
        det = hess[0][0] * hess[1][1] - hess[0][1] * hess[1][0]
        if det == 0 or not math.isfinite(det):
            return None
        step_t = (grad[0] * hess[1][1] - grad[1] * hess[0][1]) / det
        step_a = (hess[0][0] * grad[1] - hess[1][0] * grad[0]) / det
        # Damp the step so the iterate stays inside the parameter space.
        scale = 1.0
        while scale > 1e-6:
            t_next, a_next = theta - scale * step_t, alpha - scale * step_a
            if 0 < a_next < 1 and t_next > -a_next:
                break
            scale /= 2
        else:
            return None
        theta, alpha = t_next, a_next
        if abs(scale * step_t) <= 1e-10 * max(1.0, abs(theta)) and abs(scale * step_a) <= 1e-12:
            return theta, alpha
    return None


def _score(
    counts: Mapping[int, int], n: int, u: int, theta: float, alpha: float
) -> tuple[tuple[float, float], tuple[tuple[float, float], tuple[float, float]]]:
    """Gradient and Hessian of Pitman's log-likelihood at (theta, alpha)."""
    r = theta / alpha
    # S0 = sum_{i=1}^{u-1} 1/(theta + i alpha), S1 = sum i/(...), and their squares' sums.
    s0 = (_digamma(r + u) - _digamma(r + 1)) / alpha
    q0 = (_trigamma(r + 1) - _trigamma(r + u)) / alpha**2  # sum 1/(theta + i alpha)^2
    s1 = ((u - 1) - theta * s0) / alpha
    q1 = (s0 - theta * q0) / alpha  # sum i/(theta + i alpha)^2
    q2 = ((u - 1) - 2 * theta * s0 + theta**2 * q0) / alpha**2  # sum i^2/(...)^2
    # Over the sample: sum_{i=1}^{n-1} 1/(theta + i) and its square.
    p0 = _digamma(theta + n) - _digamma(theta + 1)
    p1 = _trigamma(theta + 1) - _trigamma(theta + n)
    # Over the classes: sum_{j=1}^{size-1} 1/(j - alpha) and squares.
    d1 = _digamma(1 - alpha)
    t1 = _trigamma(1 - alpha)
    w0 = sum(c * (_digamma(s - alpha) - d1) for s, c in counts.items() if s > 1)
    w1 = sum(c * (t1 - _trigamma(s - alpha)) for s, c in counts.items() if s > 1)
    grad = (s0 - p0, s1 - w0)
    hess = ((p1 - q0, -q1), (-q1, -q2 - w1))
    return grad, hess


def _digamma(x: float) -> float:
    """psi(x) for x > 0: recurrence up to x >= 10, then the asymptotic series."""
    result = 0.0
    while x < 10:
        result -= 1 / x
        x += 1
    inv = 1 / (x * x)
    series = inv * (1 / 12 - inv * (1 / 120 - inv * (1 / 252 - inv * (1 / 240 - inv * (1 / 132)))))
    return result + math.log(x) - 0.5 / x - series


def _trigamma(x: float) -> float:
    """psi'(x) for x > 0: recurrence up to x >= 10, then the asymptotic series."""
    result = 0.0
    while x < 10:
        result += 1 / (x * x)
        x += 1
    inv = 1 / (x * x)
    series = (1 / x) * inv * (1 / 6 - inv * (1 / 30 - inv * (1 / 42 - inv * (1 / 30))))
    return result + 1 / x + 0.5 * inv + series
