"""Label-free monitoring of a binary classifier: drift, estimated performance, and its value.

Fit a :class:`Reference` once on a labelled reference period (not the training
set), keep it beside the ledger as JSON, and check later unlabelled data against
it, chunk by chunk::

    reference = Reference.fit(ref_df, features=["x0", "x1", "segment"],
                              prediction="prediction", proba="proba", target="target")
    reference.save("monitor/reference.json")
    result = Reference.load("monitor/reference.json").check(
        prod_df, chunk_size=5_000, value=project, kpi="fraud_value")
    result            # a card: drift alerts, estimated metrics, money per year
    result.to_frame() # one row per chunk and statistic
    result.plot()

What a reference keeps: summaries only, never rows. Per numeric column the
histogram on NumPy's ``doane`` bins, a histogram on up to 1,000 reference
quantiles (for Kolmogorov-Smirnov and Wasserstein) and mean, std, min and max;
per categorical column the category frequencies; the calibration map; and the
statistics of each reference chunk (10 chunks by default). Its size depends on
the number of columns, not of rows, and so does the memory ``check`` needs beside
the data it checks.

Drift (per chunk and column, against the whole reference):

- ``jensen_shannon`` (default): Jensen-Shannon distance, base 2
  (``scipy.spatial.distance.jensenshannon``) on the doane bins plus one bin for
  values outside the reference range (numeric), or on the categories plus one
  bin for categories never seen in the reference;
- ``psi``: population stability index on the same bins (empty bins floored at 1e-4);
- ``kolmogorov_smirnov`` and ``wasserstein`` (numeric): on the reference quantile
  histogram, as NannyML does above 10,000 reference rows; Wasserstein adds the
  exact distance of values beyond the reference range;
- ``chi2`` (categorical): ``scipy.stats.chi2_contingency`` of the chunk's counts
  against the reference's; an alert when p < 0.05.

Alerts, ``thresholds="std"`` (default): a statistic above mean + 3 std of the same
statistic over the reference chunks. Unlike NannyML, the threshold is rescaled to
each chunk's size: a reference chunk is compared with a reference that contains
it (variance of a difference of shares (1/m - 1/n)) and a chunk of N new rows
with one that does not (1/N + 1/n); the distances scale with the square root of
that ratio (PSI with the ratio itself). ``thresholds="fixed"``: JS 0.1, KS 0.1,
PSI 0.25 (0.1 to 0.25 is "moderate" drift, shown but not alerted), Wasserstein
0.1 reference standard deviations; or a mapping of method to threshold.

Performance without labels (confidence-based performance estimation, CBPE, as in
NannyML): the reference's probabilities are calibrated with
``sklearn.isotonic.IsotonicRegression(out_of_bounds="clip")`` only if that lowers
the expected calibration error (10 equal-count bins, over 10 stratified 90/10
splits) and the reference ROC AUC is below 0.999. With calibrated p and predicted
class y_hat, the expected confusion matrix of a chunk is TP = sum(p | y_hat=1),
FP = sum(1-p | y_hat=1), FN = sum(p | y_hat=0), TN = sum(1-p | y_hat=0); accuracy,
precision, recall and F1 follow from it; ROC AUC from the expected ROC curve
(rows sorted by the model's own score, weighted by p). Alerts: an estimate
outside the reference chunks' realised mean +- 3 std (std rescaled to the
chunk's size).

Sampling error: conditional on a chunk's inputs each label is an independent
Bernoulli(p), so the realised confusion counts are Poisson-binomial. The
standard error shown is that of the realised metric around the estimate:
exact for accuracy and precision (sqrt(sum p(1-p)) / n), the delta method for
recall, F1 and business value, Hanley and McNeil (1982) for ROC AUC with the
expected class counts. The band is +-3 standard errors (as NannyML draws it).
It leaves out the error of the calibration map itself (small for a reference of
tens of thousands of rows).

**What the estimates cannot see: concept drift.** CBPE assumes P(y | x) is
the same as in the reference. If the relation between inputs and outcome
changes (fraudsters change tactics, a policy changes who churns), the model's
probabilities stay confident, the estimate stays flat, and performance drops
unseen. Only labels show it: pass the target column when labels arrive and
compare the realised metrics with the estimates (``realised`` in the frame and
the card). Drift alerts on the features are a hint, not a substitute.

Business value: through the registry's ``confusion`` link for the target KPI
(or a value matrix and cases per year given directly): value per prediction =
sum(value_matrix * expected counts) / n, per year = that times
``cases_per_year``, and the change against the reference's realised value per
prediction, in money per year.
"""

from __future__ import annotations

import html
import itertools
import json
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from bizml_nb.core.errors import BizmlError, BizmlWarning, did_you_mean

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable, Mapping, Sequence

    import numpy as np
    import numpy.typing as npt
    import pandas as pd
    from matplotlib.figure import Figure

    from bizml_nb.core.registry import Link, Registry
    from bizml_nb.projects.project import Project

    FloatArray = npt.NDArray[np.float64]
    IntArray = npt.NDArray[np.intp]
    BoolArray = npt.NDArray[np.bool_]

FORMAT = "bizml.monitor.reference"
FORMAT_VERSION = 1
RECORD_FORMAT = "bizml.monitor"
MONITOR_MIME = "application/vnd.bizml.monitor+json"
METHODS = ("jensen_shannon", "kolmogorov_smirnov", "psi", "wasserstein", "chi2")
DEFAULT_METHODS = ("jensen_shannon",)
NUMERIC_ONLY = ("kolmogorov_smirnov", "wasserstein")
CATEGORICAL_ONLY = ("chi2",)
METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")
METRIC_WORDS = {
    "accuracy": "accuracy",
    "precision": "precision",
    "recall": "recall",
    "f1": "F1",
    "roc_auc": "ROC AUC",
}
FIXED_THRESHOLDS = {
    "jensen_shannon": 0.1,
    "kolmogorov_smirnov": 0.1,
    "psi": 0.25,
    "wasserstein": 0.1,  # in reference standard deviations
    "chi2": 0.05,  # p-value: an alert below it
}
PSI_MODERATE = 0.1
PSI_FLOOR = 1e-4
STD_MULTIPLIER = 3.0
BAND_Z = 3.0
MIN_CHUNK_ROWS = 100
REFERENCE_CHUNKS = 10
QUANTILES = 1_000
MAX_CATEGORIES = 1_000
ECE_BINS = 10
CALIBRATION_SPLITS = 10
CALIBRATION_SEED = 42
MAX_AUC_FOR_CALIBRATION = 0.999

Kind = Literal["numeric", "categorical"]
Role = Literal["feature", "proba", "prediction"]
Thresholds = Literal["std", "fixed"]


class MonitorError(BizmlError):
    """A reference, or the data checked against it, is not valid."""


# --------------------------------------------------------------------------- reference


@dataclass(frozen=True)
class ColumnSummary:
    """What a reference keeps of one column: histograms and frequencies, never rows.

    ``counts`` are reference rows per doane bin (numeric) or per category
    (categorical), missing values left out; ``grid`` and ``grid_counts`` the
    quantile histogram (numeric: rows <= grid[0], then per (grid[i-1], grid[i]]);
    ``chunk_stats`` each drift method's statistic over the reference chunks.
    """

    name: str
    kind: Kind
    role: Role
    rows: int
    missing: int
    counts: tuple[int, ...]
    edges: tuple[float, ...] = ()
    grid: tuple[float, ...] = ()
    grid_counts: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()
    mean: float | None = None
    std: float | None = None
    min: float | None = None
    max: float | None = None
    chunk_stats: Mapping[str, tuple[float, ...]] | None = None

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "role": self.role,
            "rows": self.rows,
            "missing": self.missing,
            "counts": list(self.counts),
        }
        if self.kind == "numeric":
            record.update(
                edges=list(self.edges),
                mean=self.mean,
                std=self.std,
                min=self.min,
                max=self.max,
                grid=list(self.grid),
                grid_counts=list(self.grid_counts),
            )
        else:
            record["categories"] = list(self.categories)
        record["chunk_stats"] = {
            method: [_json_float(v) for v in values]
            for method, values in (self.chunk_stats or {}).items()
        }
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ColumnSummary:
        kind = record["kind"]
        role = record["role"]
        if kind not in ("numeric", "categorical") or role not in ("feature", "proba", "prediction"):
            raise MonitorError(f"column {record.get('name')!r}: unknown kind or role")
        return cls(
            name=str(record["name"]),
            kind=kind,
            role=role,
            rows=int(record["rows"]),
            missing=int(record["missing"]),
            counts=tuple(int(c) for c in record["counts"]),
            edges=tuple(float(e) for e in record.get("edges", ())),
            grid=tuple(float(g) for g in record.get("grid", ())),
            grid_counts=tuple(int(c) for c in record.get("grid_counts", ())),
            categories=tuple(str(c) for c in record.get("categories", ())),
            mean=_opt_float(record.get("mean")),
            std=_opt_float(record.get("std")),
            min=_opt_float(record.get("min")),
            max=_opt_float(record.get("max")),
            chunk_stats={
                str(m): tuple(math.nan if v is None else float(v) for v in values)
                for m, values in record.get("chunk_stats", {}).items()
            },
        )


@dataclass(frozen=True)
class Reference:
    """Summaries of a labelled reference period, to check later unlabelled data against.

    Build one with :meth:`Reference.fit`; keep it with :meth:`save` and :meth:`load`;
    check new data with :meth:`check`.

    >>> from bizml_nb.interfaces.datasets import classifier_drift
    >>> data = classifier_drift(5_000, 10_000, n_features=3, seed=0)
    >>> ref = Reference.fit(data.reference, features=["x0", "x1", "x2"],
    ...                     prediction="prediction", proba="proba", target="target")
    >>> ref.rows, ref.features
    (5000, ('x0', 'x1', 'x2'))
    >>> result = ref.check(data.analysis, chunk_size=5_000)
    >>> result.alerted_columns()  # x0 and x1 move in the second chunk; so do the predictions
    ('x0', 'x1', 'proba', 'prediction')
    """

    rows: int
    features: tuple[str, ...]
    proba: str
    target: str
    prediction: str | None
    threshold: float
    columns: tuple[ColumnSummary, ...]
    calibration: Mapping[str, Any]
    chunk_sizes: tuple[int, ...]
    chunk_metrics: Mapping[str, tuple[float, ...]]
    confusion: tuple[int, int, int, int]  # realised TN, FP, FN, TP over the whole reference
    metrics: Mapping[str, float]  # realised over the whole reference
    version: int = FORMAT_VERSION

    # -- building

    @classmethod
    def fit(
        cls,
        df: pd.DataFrame,
        *,
        features: Sequence[str],
        proba: str,
        target: str,
        prediction: str | None = None,
        threshold: float = 0.5,
        categorical: Sequence[str] = (),
        chunks: int | None = None,
        chunk_size: int | None = None,
        quantiles: int = QUANTILES,
    ) -> Reference:
        """Summarise a labelled reference set (keeping no rows).

        ``proba`` holds the model's probability of class 1; ``prediction`` its
        predicted class (0/1 or bool), or None for ``proba >= threshold``; ``target``
        the true class (0/1 or bool). Numeric features are summarised as histograms
        unless named in ``categorical``; other dtypes are categorical. The reference
        is cut into ``chunks`` (default 10) or chunks of ``chunk_size`` consecutive
        rows, whose statistics set the alert thresholds.
        """
        import numpy as np

        features = _names(features, "features")
        categorical = _names(categorical, "categorical")
        frame = _frame(df, "the reference data")
        roles = [proba, target] + ([prediction] if prediction is not None else [])
        clash = [f for f in features if f in roles]
        if clash:
            raise MonitorError(
                f"feature {clash[0]!r} is also the proba, prediction or target column; "
                "list only the model's inputs in features"
            )
        unknown = [c for c in categorical if c not in features]
        if unknown:
            raise MonitorError(
                f"categorical names {unknown[0]!r}, which is not among the features"
                f"{did_you_mean(unknown[0], features)}"
            )
        _require_columns(frame, [*features, *roles], "the reference data")
        n = len(frame)
        if n < 2 * MIN_CHUNK_ROWS:
            raise MonitorError(
                f"the reference data has {n} rows; it needs at least {2 * MIN_CHUNK_ROWS} "
                f"(two chunks of {MIN_CHUNK_ROWS}) to set alert thresholds"
            )
        if not 0.0 < threshold < 1.0:
            raise MonitorError(f"threshold must lie strictly between 0 and 1 (not {threshold!r})")
        if isinstance(quantiles, bool) or not isinstance(quantiles, int) or quantiles < 10:
            raise MonitorError(
                f"quantiles must be a whole number of at least 10 (not {quantiles!r})"
            )
        scores = _probabilities(frame[proba], proba)
        y_hat = _predictions(frame, prediction, scores, threshold)
        y = _labels(frame[target], target, allow_missing=False)
        classes = np.unique(y)
        if len(classes) < 2:
            raise MonitorError(
                f"the reference target {target!r} holds only class {int(classes[0])}; "
                "estimating performance needs a reference with both classes"
            )
        ref_chunking = _reference_chunking(n, chunks, chunk_size)
        calibration = _fit_calibration(scores, y)

        kinds = {f: _kind(frame[f], f in categorical) for f in features}
        summaries = [
            _summarise(name, kinds[name], "feature", frame[name], quantiles) for name in features
        ]
        summaries.append(_summarise(proba, "numeric", "proba", scores, quantiles))
        summaries.append(
            _summarise(
                prediction or f"{proba} >= {threshold:g}",
                "categorical",
                "prediction",
                y_hat,
                quantiles,
            )
        )
        # The reference's histograms are the sums of its chunks' histograms; each chunk's
        # statistics are then measured against the whole reference, as new chunks will be.
        counted = _counts(summaries, frame, scores, y_hat, ref_chunking, grid=True)
        with_stats: list[ColumnSummary] = []
        for bare in summaries:
            counts = counted[bare.name]
            summary = bare
            if bare.kind == "numeric":
                summary = _with_counts(
                    bare,
                    counts.bins[:, : len(bare.edges) - 1].sum(axis=0),
                    None if counts.grid is None else counts.grid.sum(axis=0),
                )
            stats = {
                method: tuple(float(v) for v in _statistic(summary, counts, method)[0])
                for method in METHODS
                if method != "chi2" and _applies(method, summary)
            }
            with_stats.append(_replace_stats(summary, stats))

        confusion = _confusion_counts(y_hat, y, ref_chunking)
        chunk_rates = _rates(confusion)
        chunk_rates["roc_auc"] = _realised_auc(scores, y, ref_chunking)
        total = confusion.sum(axis=0)
        overall = {k: float(v[0]) for k, v in _rates(total[None, :]).items()}
        from sklearn.metrics import roc_auc_score

        overall["roc_auc"] = float(roc_auc_score(y, scores))
        return cls(
            rows=n,
            features=features,
            proba=proba,
            target=target,
            prediction=prediction,
            threshold=float(threshold),
            columns=tuple(with_stats),
            calibration=calibration,
            chunk_sizes=tuple(int(s) for s in ref_chunking.sizes),
            chunk_metrics={k: tuple(float(x) for x in v) for k, v in chunk_rates.items()},
            confusion=cast("tuple[int, int, int, int]", tuple(int(c) for c in total)),
            metrics=overall,
        )

    # -- keeping

    def to_record(self) -> dict[str, Any]:
        """The reference as plain JSON-ready data."""
        from bizml_nb.core.version import __version__

        return {
            "format": FORMAT,
            "version": self.version,
            "written_by": f"bizml_nb {__version__}",
            "rows": self.rows,
            "features": list(self.features),
            "proba": self.proba,
            "target": self.target,
            "prediction": self.prediction,
            "threshold": self.threshold,
            "confusion": {"tn_fp_fn_tp": list(self.confusion)},
            "metrics": {k: _json_float(v) for k, v in self.metrics.items()},
            "chunk_sizes": list(self.chunk_sizes),
            "chunk_metrics": {
                k: [_json_float(x) for x in v] for k, v in self.chunk_metrics.items()
            },
            "calibration": dict(self.calibration),
            "columns": [c.to_record() for c in self.columns],
        }

    @classmethod
    def from_record(cls, record: Any, where: str = "the reference") -> Reference:
        """Rebuild a reference from :meth:`to_record`'s data; MonitorError if it is not one."""
        if not isinstance(record, dict) or record.get("format") != FORMAT:
            raise MonitorError(
                f'{where} is not a bizml monitor reference (no "format": "{FORMAT}")'
            )
        version = record.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise MonitorError(f"{where} has no valid format version (found {version!r})")
        if version > FORMAT_VERSION:
            raise MonitorError(
                f"{where} was written by a newer bizml_nb ({record.get('written_by', 'unknown')}, "
                f"reference format {version}; this version reads up to {FORMAT_VERSION}): "
                "upgrade bizml_nb to read it"
            )
        _check_record(record, where)
        try:
            return cls(
                rows=int(record["rows"]),
                features=tuple(str(f) for f in record["features"]),
                proba=str(record["proba"]),
                target=str(record["target"]),
                prediction=None if record["prediction"] is None else str(record["prediction"]),
                threshold=float(record["threshold"]),
                columns=tuple(ColumnSummary.from_record(c) for c in record["columns"]),
                calibration=dict(record["calibration"]),
                chunk_sizes=tuple(int(s) for s in record["chunk_sizes"]),
                chunk_metrics={
                    str(k): tuple(math.nan if x is None else float(x) for x in v)
                    for k, v in record["chunk_metrics"].items()
                },
                confusion=cast(
                    "tuple[int, int, int, int]",
                    tuple(int(c) for c in record["confusion"]["tn_fp_fn_tp"]),
                ),
                metrics={
                    str(k): math.nan if v is None else float(v)
                    for k, v in record["metrics"].items()
                },
                version=version,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise MonitorError(f"{where} is damaged: {type(exc).__name__} {exc}") from None

    def save(self, path: str | os.PathLike[str], *, force: bool = False) -> Path:
        """Write the reference as JSON (one line per column, so it diffs well in git).

        An earlier reference at ``path`` is replaced (a notebook re-run refits and
        saves again); any other existing file is refused unless ``force=True``.
        """
        from bizml_nb.core._io import is_bizml_file, refuse_existing

        target = Path(path)
        if not force and not is_bizml_file(target, FORMAT):
            refuse_existing(target, force=False, flag="force=True")
        record = self.to_record()
        columns = record.pop("columns")
        lines = ["{"]
        for key, value in record.items():
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, allow_nan=False)},")
        lines.append('  "columns": [')
        body = [json.dumps(c, separators=(",", ":"), allow_nan=False) for c in columns]
        lines.append(",\n".join(f"    {line}" for line in body))
        lines.append("  ]")
        lines.append("}")
        text = "\n".join(lines) + "\n"
        from bizml_nb.core._io import atomic_write_text, make_folder

        make_folder(target)
        atomic_write_text(target, text)
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Reference:
        """Read a reference written by :meth:`save`."""
        source = Path(path)
        try:
            text = source.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise MonitorError(
                f"{source} does not exist; build a reference with Reference.fit(...).save(path)"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise MonitorError(f"cannot read {source}: {exc}") from None
        from bizml_nb.core.schema import JSONProblem, parse_json

        try:
            record = parse_json(text)
        except JSONProblem as exc:
            if exc.deep:
                raise MonitorError(f"cannot read {source}: {exc.detail}") from None
            raise MonitorError(f"{source} is not valid JSON: {exc.detail}") from None
        return cls.from_record(record, str(source))

    # -- using

    @property
    def calibrated(self) -> bool:
        """Whether the probabilities are recalibrated (isotonic) before estimating."""
        return bool(self.calibration.get("isotonic"))

    def calibrate(self, proba: npt.ArrayLike) -> FloatArray:
        """The calibrated probabilities of class 1 that the estimates use."""
        import numpy as np

        values = np.asarray(proba, dtype=np.float64)
        if not self.calibrated:
            return values.copy()
        x = np.asarray(self.calibration["x"], dtype=np.float64)
        y = np.asarray(self.calibration["y"], dtype=np.float64)
        return np.interp(values, x, y)

    def column(self, name: str) -> ColumnSummary:
        for summary in self.columns:
            if summary.name == name:
                return summary
        raise MonitorError(
            f"the reference has no column {name!r}"
            f"{did_you_mean(name, [c.name for c in self.columns])}"
        )

    def check(
        self,
        df: pd.DataFrame,
        *,
        chunk_size: int | None = None,
        chunks: int | None = None,
        by: str | None = None,
        freq: str | None = None,
        methods: Sequence[str] = DEFAULT_METHODS,
        thresholds: Thresholds | Mapping[str, float] = "std",
        value: Link | Registry | Project | Mapping[str, Any] | None = None,
        kpi: str | None = None,
        currency: str | None = None,
    ) -> MonitorResult:
        """Drift, estimated performance and value of ``df``, chunk by chunk.

        Chunks: ``chunk_size`` consecutive rows, ``chunks`` equal parts, or one
        chunk per value of column ``by`` (per period of ``freq``, e.g. ``"D"``,
        ``"W"``, ``"M"``, when ``by`` holds times); 10 equal parts by default.
        ``methods``: drift statistics out of :data:`METHODS`. ``thresholds``:
        ``"std"`` (mean + 3 std of the reference chunks), ``"fixed"``, or a mapping
        of method to threshold. ``value``: a confusion :class:`~bizml_nb.core.registry.Link`,
        a mapping with ``value_matrix`` ([[TN, FP], [FN, TP]]) and ``cases_per_year``,
        or a project or registry with ``kpi`` naming the KPI its confusion link
        prices. When ``df`` holds the target column, realised metrics are computed
        for the rows with a label.
        """
        import numpy as np

        frame = _frame(df, "the data to check")
        methods = _methods(methods)
        limits = _thresholds(thresholds)
        pricing = _pricing(value, kpi, currency)
        needed = [*self.features, self.proba] + ([self.prediction] if self.prediction else [])
        _require_columns(frame, needed + ([by] if by else []), "the data to check")
        if len(frame) == 0:
            raise MonitorError("the data to check has no rows")
        chunking = _chunking(frame, chunk_size, chunks, by, freq)
        small = [
            k for k, s in zip(chunking.keys, chunking.sizes, strict=True) if s < MIN_CHUNK_ROWS
        ]
        notes: list[str] = []
        if small:
            message = (
                f"{len(small)} of {chunking.count} chunks have fewer than {MIN_CHUNK_ROWS} rows "
                f"(first: {small[0]}); their statistics are too noisy to act on"
            )
            warnings.warn(message, BizmlWarning, stacklevel=2)
            notes.append(message)

        raw = _probabilities(frame[self.proba], self.proba)
        y_hat = chunking.take(_predictions(frame, self.prediction, raw, self.threshold))
        scores = chunking.take(raw)

        # Estimated performance: the expected confusion matrix and ROC curve per chunk.
        k = chunking.count
        expected, var_by, auc = self._expected(scores, y_hat, chunking)
        estimates = _rates(expected)
        estimates["roc_auc"] = auc
        errors = _sampling_errors(expected, var_by, auc)

        # Realised performance where labels are present.
        labelled = np.zeros(k, dtype=np.int64)
        realised_counts = np.full((k, 4), math.nan)
        realised = {m: np.full(k, math.nan) for m in METRICS}
        if self.target in frame.columns:
            y = chunking.take(_labels(frame[self.target], self.target, allow_missing=True))
            counts = _confusion_counts(y_hat, y, chunking)
            labelled = counts.sum(axis=1).astype(np.int64)
            with_labels = labelled > 0
            if with_labels.any():
                realised_counts[with_labels] = counts[with_labels]
                for name, values in _rates(counts).items():
                    realised[name] = np.where(with_labels, values, math.nan)
                realised["roc_auc"] = _realised_auc(scores, y, chunking)

        performance = self._performance(estimates, errors, realised, chunking)

        # Drift per column.
        drift, outside, missing = self._drift(
            frame, scores, y_hat, chunking, methods=methods, limits=limits
        )

        money = None
        if pricing is not None:
            money = _value(pricing, expected, var_by, realised_counts, self.confusion)
        if self.calibration.get("isotonic"):
            notes.append("probabilities recalibrated on the reference (isotonic)")
        return MonitorResult(
            chunks=chunking.keys,
            rows=chunking.sizes,
            starts=chunking.starts,
            ends=chunking.ends,
            columns=tuple(c.name for c in self.columns),
            kinds=tuple(c.kind for c in self.columns),
            roles=tuple(c.role for c in self.columns),
            drift=drift,
            outside=outside,
            missing=missing,
            performance=performance,
            expected=expected,
            realised_counts=realised_counts,
            labelled=labelled,
            value=money,
            reference_rows=self.rows,
            thresholds=limits,
            notes=tuple(notes),
        )

    def _expected(
        self, scores: FloatArray, y_hat: IntArray, chunking: _Chunking
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Per chunk: expected TN, FP, FN, TP; the variance of FN and TP; expected ROC AUC.

        Rows are sorted within each chunk so that the calibration map (``np.interp``)
        runs on sorted input, many times faster than on shuffled input. One sort key
        ``score + 2 * y_hat`` puts predicted negatives before predicted positives, each
        run sorted by score (score recovered within 4.5e-16).
        """
        import numpy as np

        k = chunking.count
        expected = np.zeros((k, 4))
        var_by = np.zeros((k, 2))
        auc = np.full(k, math.nan)
        keys = scores + 2.0 * y_hat
        for i, seg in enumerate(chunking.segments()):
            ordered = np.sort(keys[seg])
            n0 = int(np.searchsorted(ordered, 2.0))
            p0 = self.calibrate(ordered[:n0])
            p1 = self.calibrate(ordered[n0:] - 2.0)
            fn, tp = float(p0.sum()), float(p1.sum())
            expected[i] = (n0 - fn, len(p1) - tp, fn, tp)
            var_by[i] = (float(np.dot(p0, 1.0 - p0)), float(np.dot(p1, 1.0 - p1)))
            s_sorted = np.sort(scores[seg])
            auc[i] = _curve_auc(s_sorted, self.calibrate(s_sorted))
        return expected, var_by, auc

    def _performance(
        self,
        estimates: Mapping[str, FloatArray],
        errors: Mapping[str, FloatArray],
        realised: Mapping[str, FloatArray],
        chunking: _Chunking,
    ) -> dict[str, Estimate]:
        """Each metric with its alert range: the reference chunks' realised mean +- 3 std."""
        import numpy as np

        performance: dict[str, Estimate] = {}
        scale = np.sqrt(float(np.mean(self.chunk_sizes)) / chunking.sizes)
        for name in METRICS:
            centre, spread = _mean_std(np.asarray(self.chunk_metrics[name], dtype=np.float64))
            lower = np.clip(centre - STD_MULTIPLIER * spread * scale, 0.0, 1.0)
            upper = np.clip(centre + STD_MULTIPLIER * spread * scale, 0.0, 1.0)
            est = estimates[name]
            with np.errstate(invalid="ignore"):
                alerts = (est < lower) | (est > upper)
            performance[name] = Estimate(
                metric=name,
                estimate=est,
                sampling_error=errors[name],
                lower=lower,
                upper=upper,
                alerts=alerts,
                realised=realised[name],
                reference=float(self.metrics[name]),
            )
        return performance

    def _drift(
        self,
        frame: pd.DataFrame,
        scores: FloatArray,
        y_hat: IntArray,
        chunking: _Chunking,
        *,
        methods: tuple[str, ...],
        limits: Mapping[str, float] | None,
    ) -> tuple[dict[str, Drift], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        import numpy as np

        k, c = chunking.count, len(self.columns)
        values = {m: np.full((k, c), math.nan) for m in methods}
        limit = {m: np.full((k, c), math.nan) for m in methods}
        p_values = np.full((k, c), math.nan)
        outside = np.zeros((k, c), dtype=np.int64)
        missing = np.zeros((k, c), dtype=np.int64)
        n_ref = float(self.rows)
        m = float(np.mean(self.chunk_sizes))
        sizes = chunking.sizes.astype(np.float64)
        # Null spread of a chunk of N new rows over that of a reference chunk (see the module doc).
        ratio = (1.0 / sizes + 1.0 / n_ref) / (1.0 / m - 1.0 / n_ref)
        need_grid = any(method in NUMERIC_ONLY for method in methods)
        counted = _counts(self.columns, frame, scores, y_hat, chunking, grid=need_grid)
        for j, summary in enumerate(self.columns):
            counts = counted[summary.name]
            outside[:, j] = counts.bins[:, -2]
            missing[:, j] = counts.bins[:, -1]
            for method in methods:
                if not _applies(method, summary):
                    continue
                stat, p = _statistic(summary, counts, method)
                values[method][:, j] = stat
                if method == "chi2":
                    p_values[:, j] = p
                    limit[method][:, j] = (limits or FIXED_THRESHOLDS)["chi2"]
                elif limits is not None:
                    fixed = limits[method]
                    if method == "wasserstein":
                        fixed *= summary.std or 0.0
                    limit[method][:, j] = fixed
                else:
                    ref = np.asarray((summary.chunk_stats or {}).get(method, ()), dtype=np.float64)
                    centre, spread = _mean_std(ref)
                    factor = ratio if method == "psi" else np.sqrt(ratio)
                    limit[method][:, j] = (centre + STD_MULTIPLIER * spread) * factor
        drift: dict[str, Drift] = {}
        for method in methods:
            with np.errstate(invalid="ignore"):
                if method == "chi2":
                    alerts = p_values < limit[method]
                else:
                    alerts = values[method] > limit[method]
            drift[method] = Drift(
                method=method,
                values=values[method],
                thresholds=limit[method],
                alerts=alerts,
                p_values=p_values if method == "chi2" else None,
            )
        return drift, outside, missing

    def __repr__(self) -> str:
        calibration = "isotonic calibration" if self.calibrated else "no recalibration"
        return (
            f"<Reference {self.rows:,} rows, {len(self.features)} features, "
            f"{len(self.chunk_sizes)} chunks, {calibration}>"
        )


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Drift:
    """One drift statistic per chunk and column, its thresholds and alerts.

    For ``chi2`` the thresholds are p-values (an alert below) and ``p_values`` is set.
    NaN where the method does not apply to a column.
    """

    method: str
    values: FloatArray
    thresholds: FloatArray
    alerts: BoolArray
    p_values: FloatArray | None = None


@dataclass(frozen=True)
class Estimate:
    """One metric per chunk: the estimate, its sampling error, alert range and realised value."""

    metric: str
    estimate: FloatArray
    sampling_error: FloatArray
    lower: FloatArray  # alert below
    upper: FloatArray  # alert above
    alerts: BoolArray
    realised: FloatArray  # NaN where the chunk has no labels
    reference: float  # realised over the whole reference

    @property
    def band(self) -> tuple[FloatArray, FloatArray]:
        """Estimate +- 3 sampling errors, within [0, 1]."""
        import numpy as np

        low = np.clip(self.estimate - BAND_Z * self.sampling_error, 0.0, 1.0)
        high = np.clip(self.estimate + BAND_Z * self.sampling_error, 0.0, 1.0)
        return low, high


@dataclass(frozen=True)
class Pricing:
    """A value matrix [[TN, FP], [FN, TP]] per case and the cases a year, in a currency."""

    value_matrix: tuple[tuple[float, float], tuple[float, float]]
    cases_per_year: float
    currency: str = "USD"
    label: str = "value matrix"

    @property
    def flat(self) -> tuple[float, float, float, float]:
        (tn, fp), (fn, tp) = self.value_matrix
        return (tn, fp, fn, tp)


@dataclass(frozen=True)
class Value:
    """Business value per chunk through a confusion link: per prediction and per year."""

    pricing: Pricing
    per_prediction: FloatArray
    sampling_error: FloatArray  # of the value per prediction
    reference_per_prediction: float
    realised_per_prediction: FloatArray  # NaN where the chunk has no labels

    @property
    def per_year(self) -> FloatArray:
        return self.per_prediction * self.pricing.cases_per_year

    @property
    def change_per_year(self) -> FloatArray:
        """Against the reference's realised value per prediction, in money per year."""
        return (self.per_prediction - self.reference_per_prediction) * self.pricing.cases_per_year

    @property
    def realised_change_per_year(self) -> FloatArray:
        delta = self.realised_per_prediction - self.reference_per_prediction
        return delta * self.pricing.cases_per_year


@dataclass(frozen=True)
class MonitorResult:
    """What :meth:`Reference.check` found, per chunk: drift, estimates, realised metrics, value.

    In a notebook it shows as a card (``text/plain``, ``text/html`` and a JSON record
    under ``application/vnd.bizml.monitor+json``); :meth:`to_frame` gives the figures
    as a table and :meth:`plot` as a figure.
    """

    chunks: tuple[str, ...]
    rows: IntArray
    starts: tuple[int | None, ...]
    ends: tuple[int | None, ...]
    columns: tuple[str, ...]
    kinds: tuple[Kind, ...]
    roles: tuple[Role, ...]
    drift: Mapping[str, Drift]
    outside: npt.NDArray[np.int64]  # per chunk and column: out of the reference range, or unseen
    missing: npt.NDArray[np.int64]
    performance: Mapping[str, Estimate]
    expected: FloatArray  # per chunk: expected TN, FP, FN, TP
    realised_counts: FloatArray  # per chunk: realised TN, FP, FN, TP (NaN without labels)
    labelled: npt.NDArray[np.int64]
    value: Value | None
    reference_rows: int
    thresholds: Mapping[str, float] | None  # None: mean + 3 std of the reference chunks
    notes: tuple[str, ...] = ()

    # -- queries

    def alerted_columns(self, method: str | None = None) -> tuple[str, ...]:
        """The columns with at least one drift alert (for ``method``, or any method)."""
        import numpy as np

        chosen = [self.drift[method]] if method else list(self.drift.values())
        hit = np.zeros(len(self.columns), dtype=bool)
        for d in chosen:
            hit |= d.alerts.any(axis=0)
        return tuple(c for c, h in zip(self.columns, hit, strict=True) if h)

    def to_frame(self, kind: str | None = None) -> pd.DataFrame:
        """One row per chunk and statistic: ``kind`` is drift, performance or value.

        Columns: chunk, start, end, rows, kind, column (feature or metric), method,
        value (statistic or estimate), sampling_error, band_low, band_high (estimate
        +- 3 sampling errors), threshold_low, threshold_high, alert, realised,
        outside (values out of the reference range, or categories never seen),
        missing, labelled.
        """
        import numpy as np
        import pandas as pd

        kinds = ("drift", "performance", "value")
        if kind is not None and kind not in kinds:
            raise MonitorError(
                f"kind must be one of {', '.join(kinds)} (not {kind!r}){did_you_mean(kind, kinds)}"
            )
        k, c = len(self.chunks), len(self.columns)
        parts: list[pd.DataFrame] = []
        base = {
            "chunk": list(self.chunks),
            "start": list(self.starts),
            "end": list(self.ends),
            "rows": self.rows,
        }
        nan = np.full(k, math.nan)
        if kind in (None, "drift"):
            for method, d in self.drift.items():
                cols = np.arange(c)
                applies = ~np.isnan(d.values).all(axis=0)
                for j in cols[applies]:
                    parts.append(
                        pd.DataFrame(
                            {
                                **base,
                                "kind": "drift",
                                "column": self.columns[j],
                                "method": method,
                                "value": d.values[:, j],
                                "p_value": d.p_values[:, j] if d.p_values is not None else nan,
                                "threshold_high": d.thresholds[:, j],
                                "alert": d.alerts[:, j],
                                "outside": self.outside[:, j],
                                "missing": self.missing[:, j],
                            }
                        )
                    )
        if kind in (None, "performance"):
            for name, est in self.performance.items():
                low, high = est.band
                parts.append(
                    pd.DataFrame(
                        {
                            **base,
                            "kind": "performance",
                            "column": name,
                            "method": "cbpe",
                            "value": est.estimate,
                            "sampling_error": est.sampling_error,
                            "band_low": low,
                            "band_high": high,
                            "threshold_low": est.lower,
                            "threshold_high": est.upper,
                            "alert": est.alerts,
                            "realised": est.realised,
                            "labelled": self.labelled,
                        }
                    )
                )
        if kind in (None, "value") and self.value is not None:
            v = self.value
            cases = v.pricing.cases_per_year
            for name, values, error, real in (
                (
                    "value_per_prediction",
                    v.per_prediction,
                    v.sampling_error,
                    v.realised_per_prediction,
                ),
                (
                    "value_per_year",
                    v.per_year,
                    v.sampling_error * cases,
                    v.realised_per_prediction * cases,
                ),
                (
                    "value_change_per_year",
                    v.change_per_year,
                    v.sampling_error * cases,
                    v.realised_change_per_year,
                ),
            ):
                parts.append(
                    pd.DataFrame(
                        {
                            **base,
                            "kind": "value",
                            "column": name,
                            "method": v.pricing.label,
                            "value": values,
                            "sampling_error": error,
                            "band_low": values - BAND_Z * error,
                            "band_high": values + BAND_Z * error,
                            "realised": real,
                            "labelled": self.labelled,
                        }
                    )
                )
        order = [
            "chunk",
            "start",
            "end",
            "rows",
            "kind",
            "column",
            "method",
            "value",
            "sampling_error",
            "band_low",
            "band_high",
            "threshold_low",
            "threshold_high",
            "p_value",
            "alert",
            "realised",
            "outside",
            "missing",
            "labelled",
        ]
        if not parts:
            return pd.DataFrame(columns=order)
        frame = pd.concat(parts, ignore_index=True)
        for name in order:
            if name not in frame.columns:
                frame[name] = math.nan
        frame["alert"] = frame["alert"].fillna(False).astype(bool)
        for name in ("outside", "missing", "labelled"):
            frame[name] = frame[name].astype("Int64")  # counts, empty where not applicable
        return frame[order]

    def plot(self, metrics: Sequence[str] = ("accuracy", "f1", "roc_auc")) -> Figure:
        """Estimates with their band, realised values where known, and alerts marked.

        One panel per metric, one for the value per year (when priced), and one
        for drift: each column's statistic over its threshold (above 1 = alert).
        """
        import matplotlib.pyplot as plt
        import numpy as np

        unknown = [m for m in metrics if m not in self.performance]
        if unknown:
            raise MonitorError(
                f"no metric {unknown[0]!r}{did_you_mean(unknown[0], METRICS)}; "
                f"known: {', '.join(METRICS)}"
            )
        panels = len(metrics) + (1 if self.value is not None else 0) + (1 if self.drift else 0)
        fig, axes = plt.subplots(panels, 1, figsize=(9, 2.3 * panels), sharex=True, squeeze=False)
        x = np.arange(len(self.chunks))
        axis_list = list(axes[:, 0])
        for ax, name in zip(axis_list, metrics, strict=False):
            _plot_metric(ax, x, self.performance[name])
        used = len(metrics)
        if self.value is not None:
            _plot_value(axis_list[used], x, self.value)
            used += 1
        if self.drift:
            method = next(iter(self.drift))
            _plot_drift(axis_list[used], x, self.drift[method], self.columns)
        last = axis_list[-1]
        last.set_xticks(x)
        last.set_xticklabels([_tex_safe(key) for key in self.chunks], rotation=90, fontsize=7)
        last.set_xlabel("chunk")
        fig.tight_layout()
        return fig

    # -- the card

    def rows_text(self) -> list[tuple[str, str]]:
        """The card's (label, text) rows, shared by the text and HTML forms."""
        features = [c for c, r in zip(self.columns, self.roles, strict=True) if r == "feature"]
        preds = [c for c, r in zip(self.columns, self.roles, strict=True) if r != "feature"]
        rows = [
            (
                "Columns",
                f"{_plural(len(features), 'feature')} ({_names_text(features)}); predictions "
                f"{' and '.join(preds)}",
            )
        ]
        rows.extend(("Drift", self._drift_text(method)) for method in self.drift)
        rows.extend(self._performance_rows())
        if self.value is not None:
            rows.append(("Value", self._value_text(len(self.chunks) - 1)))
        unseen = []
        for j, (name, kind) in enumerate(zip(self.columns, self.kinds, strict=True)):
            total = int(self.outside[:, j].sum())
            if total and kind == "categorical":
                unseen.append(f"{name} {total:,} values never seen in the reference")
        if unseen:
            rows.append(("Unseen", "; ".join(unseen)))
        rows.extend(("Note", note) for note in self.notes)
        rows.append(
            (
                "Caution",
                "estimates assume P(y | x) is as in the reference: they cannot see concept "
                "drift; only realised labels can",
            )
        )
        return rows

    def _drift_text(self, method: str) -> str:
        import numpy as np

        d = self.drift[method]
        k = len(self.chunks)
        if method == "chi2":
            rule = f"p < {(self.thresholds or FIXED_THRESHOLDS)['chi2']:g}"
        elif self.thresholds is None:
            rule = "mean + 3 std of the reference chunks, scaled to each chunk's size"
        else:
            rule = "fixed thresholds"
        per_column = d.alerts.sum(axis=0)
        applies = int((~np.isnan(d.values).all(axis=0)).sum())
        if per_column.sum() == 0:
            return f"{method}: no alerts on {_plural(applies, 'column')} ({rule})"
        ranked = sorted(zip(self.columns, per_column, strict=True), key=lambda t: (-t[1], t[0]))
        hits = [f"{name} ({int(n)})" for name, n in ranked if n > 0]
        rest = applies - len(hits)
        chunks_hit = int(d.alerts.any(axis=1).sum())
        return (
            f"{method}: alerts in {chunks_hit} of {_plural(k, 'chunk')} on {_names_text(hits)}"
            + (f"; none on the other {rest} of {applies} columns" if rest else "")
            + f" ({rule})"
        )

    def _performance_rows(self) -> list[tuple[str, str]]:
        import numpy as np

        k = len(self.chunks)
        last = k - 1
        shown = ("accuracy", "f1", "roc_auc")
        parts = []
        for name in shown:
            est = self.performance[name]
            low, high = est.band
            parts.append(
                f"{METRIC_WORDS[name]} {_fmt(est.estimate[last])} "
                f"[{_fmt(low[last])}, {_fmt(high[last])}]"
            )
        refs = ", ".join(f"{METRIC_WORDS[n]} {_fmt(self.performance[n].reference)}" for n in shown)
        rows = [
            ("Estimated", f"last chunk ({self.chunks[last]}): " + ", ".join(parts)),
            ("Reference", f"{self.reference_rows:,} rows: {refs} (realised)"),
        ]
        alerts = []
        for name, est in self.performance.items():
            count = int(est.alerts.sum())
            if count:
                first = self.chunks[int(np.argmax(est.alerts))]
                alerts.append(f"{METRIC_WORDS[name]} in {_plural(count, 'chunk')} (first {first})")
        rows.append(
            (
                "Alerts",
                "estimates outside the reference range: " + "; ".join(alerts)
                if alerts
                else f"no estimate outside the reference range in {k} chunks",
            )
        )
        with_labels = self.labelled > 0
        if with_labels.any():
            gaps = []
            for name in ("accuracy", "f1"):
                est = self.performance[name]
                gap = np.abs(est.estimate - est.realised)[with_labels]
                gaps.append(f"{METRIC_WORDS[name]} {_fmt(float(np.nanmax(gap)))}")
            acc = self.performance["accuracy"]
            idx = int(np.flatnonzero(with_labels)[-1])
            rows.append(
                (
                    "Realised",
                    f"labels in {int(with_labels.sum())} of {k} chunks; last labelled "
                    f"({self.chunks[idx]}): accuracy {_fmt(acc.realised[idx])} vs estimated "
                    f"{_fmt(acc.estimate[idx])}; largest gap {', '.join(gaps)}",
                )
            )
        return rows

    def _value_text(self, i: int) -> str:
        v = self.value
        assert v is not None
        cur = v.pricing.currency
        cases = v.pricing.cases_per_year
        from bizml_nb.core import units

        err = BAND_Z * v.sampling_error[i] * cases
        change = v.change_per_year[i]
        return (
            f"last chunk about {units.money(v.per_year[i], cur)}/yr "
            f"({units.money(v.per_prediction[i], cur)} a prediction, {cases:,.0f} cases/yr); "
            f"{units.money(change, cur, signed=True)}/yr "
            f"[{units.money(change - err, cur, signed=True)}, "
            f"{units.money(change + err, cur, signed=True)}] vs the reference ({v.pricing.label})"
        )

    def text(self) -> str:
        """The deterministic plain-text card."""
        k = len(self.chunks)
        sizes = sorted({int(s) for s in self.rows})
        size = f"{sizes[0]:,} rows" if len(sizes) == 1 else f"{sizes[0]:,}-{sizes[-1]:,} rows"
        lines = [
            f"Monitor  {k} chunks of {size}, {int(self.rows.sum()):,} rows against a reference "
            f"of {self.reference_rows:,}"
        ]
        lines.extend(f"  {label:<11} {_one_line(text)}" for label, text in self.rows_text())
        return "\n".join(lines)

    def html(self) -> str:
        """The HTML card; every name from the data is escaped."""
        from bizml_nb.present.cards import text_html

        e = html.escape
        body = "".join(
            f'<tr><th style="text-align:left;vertical-align:top;padding:2px 12px 2px 0;'
            f'font-weight:600;white-space:nowrap">{e(label)}</th>'
            f'<td class="bizml-{e(label.lower())}">{text_html(text)}</td></tr>'
            for label, text in self.rows_text()
        )
        title = self.text().splitlines()[0]
        return (
            '<div class="bizml-card bizml-monitor" style="border:1px solid '
            "var(--jp-border-color1,#d0d7de);border-radius:6px;padding:8px 12px;"
            'margin:4px 0;font-size:13px;max-width:960px">'
            f'<div style="margin-bottom:4px"><b>{text_html(title)}</b></div>'
            f'<table style="border-collapse:collapse">{body}</table></div>'
        )

    def record(self) -> dict[str, Any]:
        """The whole result as JSON-ready data (``application/vnd.bizml.monitor+json``)."""

        def floats(values: Iterable[Any]) -> list[float | None]:
            return [_json_float(float(v)) for v in values]

        record: dict[str, Any] = {
            "format": RECORD_FORMAT,
            "version": 1,
            "reference_rows": self.reference_rows,
            "thresholds": "std" if self.thresholds is None else dict(self.thresholds),
            "chunks": [
                {"key": key, "start": s, "end": e, "rows": int(n), "labelled": int(lab)}
                for key, s, e, n, lab in zip(
                    self.chunks, self.starts, self.ends, self.rows, self.labelled, strict=True
                )
            ],
            "performance": {
                name: {
                    "estimate": floats(est.estimate),
                    "sampling_error": floats(est.sampling_error),
                    "lower": floats(est.lower),
                    "upper": floats(est.upper),
                    "alert": [bool(a) for a in est.alerts],
                    "realised": floats(est.realised),
                    "reference": _json_float(est.reference),
                }
                for name, est in self.performance.items()
            },
            "expected_confusion": [floats(row) for row in self.expected],
            "drift": {
                method: {
                    name: {
                        "value": floats(d.values[:, j]),
                        "threshold": floats(d.thresholds[:, j]),
                        "alert": [bool(a) for a in d.alerts[:, j]],
                    }
                    for j, name in enumerate(self.columns)
                    if not all(math.isnan(float(v)) for v in d.values[:, j])
                }
                for method, d in self.drift.items()
            },
            "outside": {
                name: [int(v) for v in self.outside[:, j]] for j, name in enumerate(self.columns)
            },
            "notes": list(self.notes),
        }
        if self.value is not None:
            v = self.value
            record["value"] = {
                "label": v.pricing.label,
                "currency": v.pricing.currency,
                "value_matrix": [list(row) for row in v.pricing.value_matrix],
                "cases_per_year": v.pricing.cases_per_year,
                "per_prediction": floats(v.per_prediction),
                "sampling_error": floats(v.sampling_error),
                "per_year": floats(v.per_year),
                "change_per_year": floats(v.change_per_year),
                "reference_per_prediction": _json_float(v.reference_per_prediction),
                "realised_per_prediction": floats(v.realised_per_prediction),
            }
        return record

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return {"text/plain": self.text(), "text/html": self.html(), MONITOR_MIME: self.record()}

    def __repr__(self) -> str:
        return self.text()


# --------------------------------------------------------------------------- plotting


def _plot_metric(ax: Any, x: IntArray, est: Estimate) -> None:
    low, high = est.band
    ax.fill_between(x, low, high, color="#8ab4f8", alpha=0.35, label="estimate +- 3 SE")
    ax.plot(x, est.estimate, color="#1a73e8", marker="o", ms=3, label="estimated")
    if not _all_nan(est.realised):
        ax.plot(x, est.realised, color="#202124", marker="s", ms=3, lw=1, label="realised")
    ax.plot(x, est.lower, color="#c5221f", ls="--", lw=0.8, label="alert range")
    ax.plot(x, est.upper, color="#c5221f", ls="--", lw=0.8)
    if est.alerts.any():
        ax.scatter(
            x[est.alerts],
            est.estimate[est.alerts],
            color="#c5221f",
            marker="x",
            s=40,
            zorder=5,
            label="alert",
        )
    ax.set_ylabel(METRIC_WORDS[est.metric])
    ax.legend(loc="best", fontsize=7)


def _plot_value(ax: Any, x: IntArray, v: Value) -> None:
    from bizml_nb.core.figures import money_axis

    cases = v.pricing.cases_per_year
    low = (v.per_prediction - BAND_Z * v.sampling_error) * cases
    high = (v.per_prediction + BAND_Z * v.sampling_error) * cases
    ax.fill_between(x, low, high, color="#81c995", alpha=0.35, label="estimate +- 3 SE")
    ax.plot(x, v.per_year, color="#188038", marker="o", ms=3, label="estimated")
    if not _all_nan(v.realised_per_prediction):
        realised = v.realised_per_prediction * cases
        ax.plot(x, realised, color="#202124", marker="s", ms=3, lw=1, label="realised")
    reference = v.reference_per_prediction * cases
    ax.axhline(reference, color="#5f6368", ls=":", lw=1, label="reference")
    money_axis(ax.yaxis, v.pricing.currency)
    ax.set_ylabel(_tex_safe(f"value/yr ({v.pricing.currency})"))
    ax.legend(loc="best", fontsize=7)


def _plot_drift(ax: Any, x: IntArray, d: Drift, columns: Sequence[str]) -> None:
    import numpy as np

    with np.errstate(invalid="ignore", divide="ignore"):
        # chi2: above 1 when p is below its threshold
        ratio = d.thresholds / d.p_values if d.p_values is not None else d.values / d.thresholds
    alerted = np.asarray(d.alerts.any(axis=0), dtype=bool)
    for j, name in enumerate(columns):
        if _all_nan(ratio[:, j]):
            continue
        if alerted[j]:
            ax.plot(x, ratio[:, j], marker="o", ms=3, label=_tex_safe(name))
        else:
            ax.plot(x, ratio[:, j], color="#bdc1c6", lw=0.8)
    ax.axhline(1.0, color="#c5221f", ls="--", lw=0.8)
    ax.set_ylabel(f"{d.method}\n/ threshold")
    if alerted.any():
        ax.legend(loc="best", fontsize=7, ncol=3)


def _all_nan(values: FloatArray) -> bool:
    import numpy as np

    return bool(np.isnan(values).all())


def _tex_safe(text: str) -> str:
    """Matplotlib reads $...$ as mathtext: escape dollar signs in names and currencies."""
    return text.replace("$", r"\$")


# --------------------------------------------------------------------------- input checks


def _frame(df: Any, what: str) -> pd.DataFrame:
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise MonitorError(f"{what} must be a pandas DataFrame (not {type(df).__name__})")
    return df


def _names(names: Any, what: str) -> tuple[str, ...]:
    if isinstance(names, str):
        raise MonitorError(f"{what} must be a list of column names (not the string {names!r})")
    result = tuple(str(n) for n in names)
    seen: set[str] = set()
    for name in result:
        if name in seen:
            raise MonitorError(f"{what} names {name!r} twice")
        seen.add(name)
    return result


def _require_columns(frame: pd.DataFrame, names: Sequence[str], what: str) -> None:
    present = [str(c) for c in frame.columns]
    missing = [n for n in names if n not in frame.columns]
    if missing:
        quoted = ", ".join(repr(m) for m in missing)
        raise MonitorError(
            f"{what} lacks the column{'s' if len(missing) > 1 else ''} {quoted}"
            f"{did_you_mean(missing[0], present)}"
        )


def _numbers(series: pd.Series[Any], name: str) -> FloatArray:
    import numpy as np
    import pandas as pd

    if isinstance(series.dtype, pd.CategoricalDtype) or series.dtype == object:
        try:
            return np.asarray(pd.to_numeric(series), dtype=np.float64)
        except (TypeError, ValueError):
            raise MonitorError(f"column {name!r} must hold numbers") from None
    try:
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise MonitorError(
            f"column {name!r} must hold numbers (its dtype is {series.dtype})"
        ) from None


def _probabilities(series: pd.Series[Any], name: str) -> FloatArray:
    import numpy as np

    values = _numbers(series, name)
    bad = np.isnan(values)
    if bad.any():
        raise MonitorError(
            f"the probability column {name!r} has {int(bad.sum()):,} missing values "
            f"(first at row {int(np.argmax(bad))}); every prediction needs its probability"
        )
    low, high = float(values.min()), float(values.max())
    if low < 0.0 or high > 1.0:
        which = low if low < 0.0 else high
        raise MonitorError(
            f"the probability column {name!r} holds {which!r}, outside [0, 1]; pass the "
            "model's probability of class 1 (e.g. predict_proba(X)[:, 1]), not a score or logit"
        )
    return values


def _binary(series: pd.Series[Any], name: str, what: str, *, allow_missing: bool) -> IntArray:
    """0/1 (or bool) values as intp; -1 where missing (when allowed)."""
    import numpy as np

    values = _numbers(series, name)
    missing = np.isnan(values)
    if missing.any() and not allow_missing:
        raise MonitorError(
            f"the {what} column {name!r} has {int(missing.sum()):,} missing values "
            f"(first at row {int(np.argmax(missing))})"
        )
    ok = missing | (values == 0.0) | (values == 1.0)
    if not ok.all():
        bad = values[~ok][0]
        raise MonitorError(
            f"the {what} column {name!r} must hold the classes 0 and 1 (or False and True); "
            f"it holds {bad!r}"
        )
    return np.where(missing, -1.0, values).astype(np.intp)


def _predictions(
    frame: pd.DataFrame, prediction: str | None, scores: FloatArray, threshold: float
) -> IntArray:
    import numpy as np

    if prediction is None:
        return (scores >= threshold).astype(np.intp)
    return _binary(frame[prediction], prediction, "prediction", allow_missing=False)


def _labels(series: pd.Series[Any], name: str, *, allow_missing: bool) -> IntArray:
    return _binary(series, name, "target", allow_missing=allow_missing)


def _kind(series: pd.Series[Any], categorical: bool) -> Kind:
    import pandas as pd

    if categorical:
        return "categorical"
    if pd.api.types.is_bool_dtype(series.dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(series.dtype):
        return "numeric"
    return "categorical"


def _methods(methods: Sequence[str]) -> tuple[str, ...]:
    if isinstance(methods, str):
        methods = (methods,)
    chosen = tuple(methods)
    if not chosen:
        raise MonitorError(f"methods is empty; choose from {', '.join(METHODS)}")
    for method in chosen:
        if method not in METHODS:
            raise MonitorError(
                f"unknown drift method {method!r}{did_you_mean(method, METHODS)}; "
                f"known: {', '.join(METHODS)}"
            )
    return tuple(dict.fromkeys(chosen))


def _thresholds(thresholds: Thresholds | Mapping[str, float]) -> dict[str, float] | None:
    if thresholds == "std":
        return None
    if thresholds == "fixed":
        return dict(FIXED_THRESHOLDS)
    if isinstance(thresholds, str):
        raise MonitorError(
            f"thresholds must be 'std', 'fixed' or a mapping of method to threshold "
            f"(not {thresholds!r})"
        )
    limits = dict(FIXED_THRESHOLDS)
    for method, value in thresholds.items():
        if method not in METHODS:
            raise MonitorError(
                f"thresholds names an unknown method {method!r}{did_you_mean(method, METHODS)}"
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise MonitorError(
                f"the threshold of {method} must be a positive number (not {value!r})"
            )
        limits[method] = float(value)
    return limits


def _pricing(
    value: Link | Registry | Project | Mapping[str, Any] | None,
    kpi: str | None,
    currency: str | None,
) -> Pricing | None:
    from collections.abc import Mapping as MappingABC

    from bizml_nb.core.registry import Link, Registry

    if value is None:
        if kpi is not None:
            raise MonitorError(
                "kpi is given without value: pass value=project (or its registry) as well"
            )
        return None
    from bizml_nb.projects.project import Project

    registry: Registry | None = None
    if isinstance(value, Registry):
        registry = value
    elif isinstance(value, Project):
        registry = value.registry
    if registry is not None:
        return _registry_pricing(registry, kpi, currency)
    if isinstance(value, Link):
        if value.kind != "confusion":
            raise MonitorError(
                f"link {value.label} is a {value.kind} link; value needs a confusion link "
                "(value_matrix and cases_per_year)"
            )
        return _from_link(value, currency or "USD")
    if isinstance(value, MappingABC):
        missing = [k for k in ("value_matrix", "cases_per_year") if k not in value]
        if missing:
            raise MonitorError(f"value lacks {missing[0]!r}: give value_matrix and cases_per_year")
        try:
            link = Link(
                "confusion",
                "value",
                kind="confusion",
                params={
                    "value_matrix": tuple(
                        tuple(float(v) for v in row) for row in value["value_matrix"]
                    ),
                    "cases_per_year": float(value["cases_per_year"]),
                },
            )
        except (BizmlError, TypeError, ValueError) as exc:
            raise MonitorError(f"value: {exc}") from None
        return _from_link(link, currency or str(value.get("currency", "USD")), "value matrix")
    raise MonitorError(
        "value must be a confusion Link, a mapping with value_matrix and cases_per_year, "
        f"or a project or registry with kpi= (not {type(value).__name__})"
    )


def _registry_pricing(registry: Registry, kpi: str | None, currency: str | None) -> Pricing:
    """The one confusion link into ``kpi``, priced in the registry's currency."""
    if kpi is None:
        raise MonitorError("value is a project or registry: name the KPI with kpi=...")
    registry.metric(kpi)  # RegistryError with a hint if unknown
    links = [link for link in registry.links_to(kpi) if link.kind == "confusion"]
    if not links:
        raise MonitorError(
            f"the registry has no confusion link into {kpi!r}; declare one with "
            f"`%bizml link confusion {kpi} --value-matrix TN FP FN TP --cases-per-year N`"
        )
    if len(links) > 1:
        raise MonitorError(
            f"the registry has {len(links)} confusion links into {kpi!r} "
            f"({', '.join(link.ml_metric for link in links)}); pass the one to use as value="
        )
    return _from_link(links[0], currency or registry.currency)


def _from_link(link: Link, currency: str, label: str | None = None) -> Pricing:
    (tn, fp), (fn, tp) = link.params["value_matrix"]
    return Pricing(
        value_matrix=((float(tn), float(fp)), (float(fn), float(tp))),
        cases_per_year=float(link.params["cases_per_year"]),
        currency=currency,
        label=label or f"confusion link -> {link.business_metric}",
    )


# --------------------------------------------------------------------------- chunks


@dataclass(frozen=True)
class _Chunking:
    """Chunks of rows. Arrays are taken into chunk order first (``take``), so every chunk
    is one slice (``segments``) and ``ids`` is sorted."""

    keys: tuple[str, ...]
    sizes: IntArray
    starts: tuple[int | None, ...]
    ends: tuple[int | None, ...]
    order: IntArray | None = None  # rows grouped by chunk; None: they already are

    @property
    def count(self) -> int:
        return len(self.keys)

    @property
    def ids(self) -> IntArray:
        import numpy as np

        return np.repeat(np.arange(self.count, dtype=np.intp), self.sizes)

    def segments(self) -> list[slice]:
        import numpy as np

        bounds = np.concatenate([[0], np.cumsum(self.sizes)])
        return [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds)]

    def take(self, values: Any) -> Any:
        """``values`` (rows along the last axis) in chunk order."""
        if self.order is None:
            return values
        return values[..., self.order]


def _contiguous(sizes: IntArray) -> _Chunking:
    import numpy as np

    bounds = np.concatenate([[0], np.cumsum(sizes)])
    starts = tuple(int(s) for s in bounds[:-1])
    ends = tuple(int(e) - 1 for e in bounds[1:])
    keys = tuple(f"[{s}:{e}]" for s, e in zip(starts, ends, strict=True))
    return _Chunking(keys, sizes.astype(np.intp), starts, ends)


def _reference_chunking(n: int, chunks: int | None, chunk_size: int | None) -> _Chunking:
    if chunks is None and chunk_size is None:
        chunks = max(2, min(REFERENCE_CHUNKS, n // MIN_CHUNK_ROWS))
    chunking = _split(n, chunk_size, chunks)
    if chunking.count < 2:
        raise MonitorError(
            f"the reference must make at least 2 chunks to set alert thresholds "
            f"(it makes {chunking.count}); use smaller chunks"
        )
    return chunking


def _split(n: int, chunk_size: int | None, chunks: int | None) -> _Chunking:
    import numpy as np

    if chunk_size is not None and chunks is not None:
        raise MonitorError("give chunk_size or chunks, not both")
    if chunk_size is not None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise MonitorError(f"chunk_size must be a positive whole number (not {chunk_size!r})")
        full, rest = divmod(n, chunk_size)
        sizes = [chunk_size] * full + ([rest] if rest else [])
        return _contiguous(np.array(sizes, dtype=np.intp))
    assert chunks is not None
    if isinstance(chunks, bool) or not isinstance(chunks, int) or chunks < 1:
        raise MonitorError(f"chunks must be a positive whole number (not {chunks!r})")
    if chunks > n:
        raise MonitorError(f"chunks={chunks} is more than the {n} rows")
    base, extra = divmod(n, chunks)
    sizes_arr = np.full(chunks, base, dtype=np.intp)
    sizes_arr[:extra] += 1
    return _contiguous(sizes_arr)


def _chunking(
    frame: pd.DataFrame,
    chunk_size: int | None,
    chunks: int | None,
    by: str | None,
    freq: str | None,
) -> _Chunking:
    import numpy as np
    import pandas as pd

    n = len(frame)
    if by is None:
        if freq is not None:
            raise MonitorError("freq needs by=COLUMN: the column of times to cut into periods")
        if chunk_size is None and chunks is None:
            chunks = min(REFERENCE_CHUNKS, n)
        return _split(n, chunk_size, chunks)
    if chunk_size is not None or chunks is not None:
        raise MonitorError("give one of chunk_size, chunks or by, not several")
    column = frame[by]
    if column.isna().any():
        raise MonitorError(f"the chunk column {by!r} has missing values; every row needs a chunk")
    if freq is not None:
        try:
            column = pd.Series(pd.to_datetime(column)).dt.to_period(freq)
        except (TypeError, ValueError, AttributeError) as exc:
            raise MonitorError(f"cannot cut {by!r} into periods of {freq!r}: {exc}") from None
    codes, uniques = pd.factorize(column, sort=True)
    ids = np.asarray(codes, dtype=np.intp)
    sizes = np.bincount(ids, minlength=len(uniques)).astype(np.intp)
    keys = tuple(str(u) for u in uniques)
    if bool((np.diff(ids) >= 0).all()):
        chunking = _contiguous(sizes)
        return _Chunking(keys, chunking.sizes, chunking.starts, chunking.ends)
    order = np.argsort(ids, kind="stable").astype(np.intp)
    return _Chunking(keys, sizes, (None,) * len(keys), (None,) * len(keys), order)


# --------------------------------------------------------------------------- summaries


def _summarise(name: str, kind: Kind, role: Role, data: Any, quantiles: int) -> ColumnSummary:
    import numpy as np
    import pandas as pd

    if kind == "numeric":
        x = data if isinstance(data, np.ndarray) else _numbers(data, name)
        finite = x[~np.isnan(x)]
        if len(finite) == 0:
            raise MonitorError(f"the reference column {name!r} has no values (all missing)")
        if not np.isfinite(finite).all():
            raise MonitorError(
                f"the reference column {name!r} holds infinite values; replace them "
                "(or mark them missing) before fitting"
            )
        edges = np.histogram_bin_edges(finite, bins="doane")
        if edges[-1] <= edges[0]:
            edges = np.array([edges[0] - 0.5, edges[0] + 0.5])
        levels = np.quantile(finite, np.linspace(0.0, 1.0, quantiles + 1))
        grid = np.unique(np.array([float(f"{v:.7g}") for v in levels]))  # short JSON
        grid[0], grid[-1] = finite.min(), finite.max()
        grid = np.unique(grid)
        return ColumnSummary(
            name=name,
            kind="numeric",
            role=role,
            rows=len(x),
            missing=int(len(x) - len(finite)),
            counts=(),  # set from the chunks' histograms (Reference.fit)
            edges=tuple(float(e) for e in edges),
            grid=tuple(float(g) for g in grid),
            mean=float(finite.mean()),
            std=float(finite.std()),
            min=float(finite.min()),
            max=float(finite.max()),
        )
    if role == "prediction":
        values = np.asarray(data)
        counts = np.bincount(values, minlength=2)
        return ColumnSummary(
            name=name,
            kind="categorical",
            role=role,
            rows=len(values),
            missing=0,
            counts=(int(counts[0]), int(counts[1])),
            categories=("0", "1"),
        )
    series = cast("pd.Series[Any]", data)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    keys = [_category_key(u) for u in uniques]
    merged: dict[str, int] = {}
    per_unique = np.bincount(codes[codes >= 0], minlength=len(uniques))
    for key, count in zip(keys, per_unique, strict=True):
        merged[key] = merged.get(key, 0) + int(count)
    if len(merged) > MAX_CATEGORIES:
        raise MonitorError(
            f"the categorical column {name!r} has {len(merged):,} distinct values (more than "
            f"{MAX_CATEGORIES:,}); group rare values first, or monitor it as a number"
        )
    if not merged:
        raise MonitorError(f"the reference column {name!r} has no values (all missing)")
    ordered = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))
    return ColumnSummary(
        name=name,
        kind="categorical",
        role=role,
        rows=len(series),
        missing=int((codes < 0).sum()),
        counts=tuple(c for _, c in ordered),
        categories=tuple(k for k, _ in ordered),
    )


def _with_counts(summary: ColumnSummary, counts: Any, grid_counts: Any) -> ColumnSummary:
    from dataclasses import replace

    return replace(
        summary,
        counts=tuple(int(c) for c in counts),
        grid_counts=() if grid_counts is None else tuple(int(c) for c in grid_counts),
    )


def _replace_stats(summary: ColumnSummary, stats: Mapping[str, tuple[float, ...]]) -> ColumnSummary:
    from dataclasses import replace

    return replace(summary, chunk_stats=dict(stats))


def _category_key(value: Any) -> str:
    """Categories are compared as text; 1.0 and 1 are the same category."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "item") and not isinstance(value, str):
        try:
            return _category_key(value.item())
        except (TypeError, ValueError):
            pass
    return str(value)


# --------------------------------------------------------------------------- counting


@dataclass(frozen=True)
class _Counts:
    """Per chunk: rows per bin (reference bins, then outside, then missing), and the grid."""

    bins: npt.NDArray[np.int64]
    grid: npt.NDArray[np.int64] | None = None  # per grid bin: <= g0, (g_i-1, g_i], > g_last
    below: FloatArray | None = None  # per chunk: sum of (g0 - x) over x < g0
    above: FloatArray | None = None  # per chunk: sum of (x - g_last) over x > g_last


BLOCK_COLUMNS = 64  # numeric columns binned together, chunk by chunk (bounds the scratch memory)


def _counts(
    columns: Sequence[ColumnSummary],
    frame: pd.DataFrame,
    scores: FloatArray,
    y_hat: IntArray,
    chunking: _Chunking,
    *,
    grid: bool,
) -> dict[str, _Counts]:
    """Each column's histogram per chunk; ``scores`` and ``y_hat`` already in chunk order."""
    import numpy as np

    out: dict[str, _Counts] = {}
    numeric = [c for c in columns if c.kind == "numeric" and c.role == "feature"]
    for start in range(0, len(numeric), BLOCK_COLUMNS):
        block = numeric[start : start + BLOCK_COLUMNS]
        arrays = [_numbers(frame[c.name], c.name) for c in block]
        for summary, bins in zip(block, _numeric_bins(block, arrays, chunking), strict=True):
            out[summary.name] = _Counts(bins)
        if grid:
            for summary, x in zip(block, arrays, strict=True):
                out[summary.name] = _with_grid(
                    out[summary.name], summary, chunking.take(x), chunking
                )
    k = chunking.count
    for summary in columns:
        if summary.role == "proba":
            bins = _numeric_bins([summary], [scores], _in_order(chunking))[0]
            counts = _Counts(bins)
            out[summary.name] = _with_grid(counts, summary, scores, chunking) if grid else counts
        elif summary.role == "prediction":
            bins = np.zeros((k, 4), dtype=np.int64)
            for i, seg in enumerate(chunking.segments()):
                bins[i, :2] = np.bincount(y_hat[seg], minlength=2)[:2]
            out[summary.name] = _Counts(bins)
        elif summary.kind == "categorical":
            codes = chunking.take(_category_codes(summary, frame[summary.name]))
            nb = len(summary.categories) + 2
            bins = np.zeros((k, nb), dtype=np.int64)
            for i, seg in enumerate(chunking.segments()):
                bins[i] = np.bincount(codes[seg], minlength=nb)
            out[summary.name] = _Counts(bins)
    return out


def _in_order(chunking: _Chunking) -> _Chunking:
    """The same chunks, for arrays already taken into chunk order."""
    from dataclasses import replace

    return replace(chunking, order=None)


def _numeric_bins(
    columns: Sequence[ColumnSummary], arrays: Sequence[FloatArray], chunking: _Chunking
) -> list[npt.NDArray[np.int64]]:
    """Rows per doane bin, outside and missing, per chunk, for several numeric columns at once.

    The bins are of equal width, so a value's bin is arithmetic, not a search. Work goes
    chunk by chunk: each chunk's values of all the columns are copied into one small
    scratch block that stays in the CPU cache, so no copy of the whole table is made.
    ``arrays`` hold the columns in the data's own row order.
    """
    import numpy as np

    f, k = len(columns), chunking.count
    lo = np.array([c.edges[0] for c in columns])[:, None]
    hi = np.array([c.edges[-1] for c in columns])[:, None]
    nbins = np.array([len(c.edges) - 1 for c in columns])
    scale = nbins[:, None] / (hi - lo)
    # slot 0: below lo; 1..k: the bins (x >= hi lands in k, and x > hi is moved out after);
    # k + 1: missing.
    top = np.nextafter(nbins[:, None] + 1.0, 0.0)
    missing_slot = nbins[:, None] + 1.5
    slots = nbins + 2
    offsets = np.concatenate([[0], np.cumsum(slots)[:-1]]).astype(np.intp)[:, None]
    total = int(slots.sum())
    counts = np.zeros((k, total), dtype=np.int64)
    above = np.zeros((k, f), dtype=np.int64)
    width = int(chunking.sizes.max()) if k else 0
    block = np.empty((f, width))
    scratch = np.empty((f, width))
    codes = np.empty((f, width), dtype=np.intp)
    for i, seg in enumerate(chunking.segments()):
        rows = seg if chunking.order is None else chunking.order[seg]
        w = seg.stop - seg.start
        values, buf, idx = block[:, :w], scratch[:, :w], codes[:, :w]
        for j, column in enumerate(arrays):
            values[j] = column[rows]
        np.subtract(values, lo, out=buf)
        buf *= scale
        buf += 1.0
        np.clip(buf, 0.0, top, out=buf)  # NaN stays NaN
        nan = np.isnan(buf)
        if nan.any():
            np.copyto(buf, np.broadcast_to(missing_slot, buf.shape), where=nan)
        np.copyto(idx, buf, casting="unsafe")
        idx += offsets
        counts[i] = np.bincount(idx.ravel(), minlength=total)
        above[i] = np.count_nonzero(values > hi, axis=1)
    result = []
    for j in range(f):
        nb = int(nbins[j])
        part = counts[:, int(offsets[j, 0]) : int(offsets[j, 0]) + nb + 2]
        bins = np.empty((k, nb + 2), dtype=np.int64)
        bins[:, :nb] = part[:, 1 : nb + 1]
        bins[:, nb - 1] -= above[:, j]
        bins[:, nb] = part[:, 0] + above[:, j]
        bins[:, nb + 1] = part[:, nb + 1]
        result.append(bins)
    return result


def _with_grid(
    counts: _Counts, summary: ColumnSummary, x: FloatArray, chunking: _Chunking
) -> _Counts:
    """Add the quantile-grid histogram (for Kolmogorov-Smirnov and Wasserstein)."""
    import numpy as np

    k = chunking.count
    g = np.asarray(summary.grid)
    codes = np.searchsorted(g, x, side="left").astype(np.intp)  # NaN sorts last: len(g)
    nan = np.isnan(x)
    codes[nan] = len(g) + 1
    ng = len(g) + 2
    ids = chunking.ids
    grid = np.bincount(ids * ng + codes, minlength=k * ng).reshape(k, ng)[:, :-1]
    low = x < g[0]
    high = x > g[-1]
    below = np.bincount(ids[low], weights=g[0] - x[low], minlength=k).astype(np.float64)
    above = np.bincount(ids[high], weights=x[high] - g[-1], minlength=k).astype(np.float64)
    return _Counts(counts.bins, grid.astype(np.int64), below, above)


def _category_codes(summary: ColumnSummary, data: Any) -> IntArray:
    """Category index of each value; len(categories): never seen; len + 1: missing."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(data, use_na_sentinel=True)
    lookup = {c: i for i, c in enumerate(summary.categories)}
    unseen = len(summary.categories)
    mapped = np.array(
        [lookup.get(_category_key(u), unseen) for u in uniques] + [unseen + 1], dtype=np.intp
    )
    return np.asarray(mapped[codes], dtype=np.intp)  # -1 (missing) picks the last entry


# --------------------------------------------------------------------------- statistics


def _applies(method: str, summary: ColumnSummary) -> bool:
    if method in NUMERIC_ONLY:
        return summary.kind == "numeric"
    if method in CATEGORICAL_ONLY:
        return summary.kind == "categorical"
    return True


def _statistic(
    summary: ColumnSummary, counts: _Counts, method: str
) -> tuple[FloatArray, FloatArray | None]:
    """One drift statistic per chunk against the whole reference (and p-values for chi2)."""
    import numpy as np

    ref = np.append(np.asarray(summary.counts, dtype=np.float64), 0.0)  # + outside bin
    cur = counts.bins[:, :-1].astype(np.float64)  # without missing
    totals = cur.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = cur / totals
    r = ref / ref.sum()
    if method == "jensen_shannon":
        from scipy.spatial.distance import jensenshannon

        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(jensenshannon(r[None, :], q, axis=1, base=2), dtype=np.float64), None
    if method == "psi":
        rr = np.maximum(r, PSI_FLOOR)[None, :]
        qq = np.maximum(q, PSI_FLOOR)
        return np.sum((qq - rr) * np.log(qq / rr), axis=1), None
    if method == "chi2":
        from scipy.stats import chi2_contingency

        stats = np.full(len(cur), math.nan)
        p_values = np.full(len(cur), math.nan)
        for i, row in enumerate(cur):
            table = np.vstack([ref, row])
            table = table[:, table.sum(axis=0) > 0]
            if row.sum() == 0 or table.shape[1] < 2:
                continue
            test = chi2_contingency(table, correction=False)
            stats[i], p_values[i] = float(test.statistic), float(test.pvalue)
        return stats, p_values
    assert counts.grid is not None
    assert counts.below is not None
    assert counts.above is not None
    g = np.asarray(summary.grid)
    ref_g = np.asarray(summary.grid_counts, dtype=np.float64)
    ref_cdf = np.cumsum(ref_g) / ref_g.sum()
    cur_g = counts.grid.astype(np.float64)
    n = cur_g.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        cur_cdf = np.cumsum(cur_g, axis=1)[:, :-1] / n  # at g0 .. g_last
    if method == "kolmogorov_smirnov":
        return np.max(np.abs(cur_cdf - ref_cdf[None, :-1]), axis=1), None
    # Wasserstein-1: the area between the two CDFs. Inside the grid the mass of a bin sits at
    # its midpoint for both; beyond it, the exact distance of the chunk's outlying values.
    positions = np.concatenate([[g[0]], (g[:-1] + g[1:]) / 2.0, [g[-1]]])
    widths = np.diff(positions)
    cur_full = np.cumsum(cur_g, axis=1) / n
    ref_full = ref_cdf
    inner = np.sum(np.abs(cur_full - ref_full[None, :])[:, :-1] * widths[None, :], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        tails = (counts.below + counts.above) / n[:, 0]
    return inner + tails, None


def _mean_std(values: FloatArray) -> tuple[float, float]:
    import numpy as np

    finite = values[np.isfinite(values)]
    if len(finite) < 2:
        return (float(finite[0]) if len(finite) else math.nan), math.nan
    return float(finite.mean()), float(finite.std(ddof=1))


# --------------------------------------------------------------------------- performance


def _confusion_counts(y_hat: IntArray, y: IntArray, chunking: _Chunking) -> FloatArray:
    """Realised TN, FP, FN, TP per chunk over the rows with a label (y >= 0)."""
    import numpy as np

    k = chunking.count
    cell = y * 2 + y_hat  # 0 TN, 1 FP, 2 FN, 3 TP; negative: no label
    has = y >= 0
    ids = chunking.ids
    return np.bincount(ids[has] * 4 + cell[has], minlength=4 * k).reshape(k, 4).astype(np.float64)


def _rates(counts: FloatArray) -> dict[str, FloatArray]:
    """Accuracy, precision, recall and F1 from TN, FP, FN, TP (rows of ``counts``)."""
    import numpy as np

    tn, fp, fn, tp = counts[:, 0], counts[:, 1], counts[:, 2], counts[:, 3]
    n = tn + fp + fn + tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "accuracy": (tp + tn) / n,
            "precision": tp / (tp + fp),
            "recall": tp / (tp + fn),
            "f1": 2 * tp / (2 * tp + fp + fn),
        }


def _sampling_errors(
    expected: FloatArray, var_by: FloatArray, auc: FloatArray
) -> dict[str, FloatArray]:
    """Standard errors of the realised metrics around the estimates (Poisson-binomial)."""
    import numpy as np

    tn, fp, fn, tp = expected[:, 0], expected[:, 1], expected[:, 2], expected[:, 3]
    v0, v1 = var_by[:, 0], var_by[:, 1]  # variance of FN and of TP
    n = tn + fp + fn + tp
    n1 = tp + fp  # predicted positive: known
    positives = tp + fn
    negatives = n - positives
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.sqrt(v0 + v1) / n
        precision = np.sqrt(v1) / n1
        recall = np.sqrt(fn**2 * v1 + tp**2 * v0) / positives**2
        denominator = n1 + positives
        f1 = 2.0 * np.sqrt((n1 + fn) ** 2 * v1 + tp**2 * v0) / denominator**2
        q1 = auc / (2.0 - auc)
        q2 = 2.0 * auc**2 / (1.0 + auc)
        auc_var = (
            auc * (1.0 - auc)
            + (positives - 1.0) * (q1 - auc**2)
            + (negatives - 1.0) * (q2 - auc**2)
        ) / (positives * negatives)
        roc_auc = np.sqrt(np.maximum(auc_var, 0.0))
    return {
        "accuracy": accuracy,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "roc_auc": roc_auc,
    }


def _curve_auc(scores: FloatArray, p: FloatArray) -> float:
    """ROC AUC of the expected ROC curve: ``scores`` ascending, ``p`` expected positives each.

    Tied scores form one point of the curve, as in scikit-learn's ``roc_curve``.
    """
    import numpy as np

    if len(scores) == 0:
        return math.nan
    s, w = scores[::-1], p[::-1]
    tps = np.cumsum(w)
    fps = np.cumsum(1.0 - w)
    last = np.flatnonzero(np.append(s[1:] != s[:-1], True))
    tpr = np.concatenate([[0.0], tps[last]])
    fpr = np.concatenate([[0.0], fps[last]])
    if tpr[-1] <= 0 or fpr[-1] <= 0:
        return math.nan
    tpr /= tpr[-1]
    fpr /= fpr[-1]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1])) / 2.0)


def _realised_auc(scores: FloatArray, y: IntArray, chunking: _Chunking) -> FloatArray:
    """scikit-learn's ROC AUC per chunk over the rows with a label (NaN with one class)."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    out = np.full(chunking.count, math.nan)
    for i, seg in enumerate(chunking.segments()):
        labels = y[seg]
        mask = labels >= 0
        labels = labels[mask]
        if len(labels) == 0 or labels.min() == labels.max():
            continue
        out[i] = float(roc_auc_score(labels, scores[seg][mask]))
    return out


def _fit_calibration(scores: FloatArray, y: IntArray) -> dict[str, Any]:
    """NannyML's rule: isotonic calibration where it lowers the ECE (and AUC < 0.999)."""
    import numpy as np
    from sklearn.isotonic import IsotonicRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedShuffleSplit

    auc = float(roc_auc_score(y, scores))
    record: dict[str, Any] = {"isotonic": False, "reference_auc": auc}
    if auc >= MAX_AUC_FOR_CALIBRATION:
        record["reason"] = f"reference ROC AUC {auc:.4f} >= {MAX_AUC_FOR_CALIBRATION}"
        return record
    splits = StratifiedShuffleSplit(
        n_splits=CALIBRATION_SPLITS, test_size=0.1, random_state=CALIBRATION_SEED
    )
    truth, raw, calibrated = [], [], []
    for train, test in splits.split(scores.reshape(-1, 1), y):
        model = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
        model.fit(scores[train], y[train])
        truth.append(y[test])
        raw.append(scores[test])
        calibrated.append(np.asarray(model.predict(scores[test]), dtype=np.float64))
    y_test = np.concatenate(truth)
    ece_raw = _ece(y_test, np.concatenate(raw))
    ece_cal = _ece(y_test, np.concatenate(calibrated))
    record.update(ece_raw=ece_raw, ece_calibrated=ece_cal)
    if not ece_cal < ece_raw:
        record["reason"] = "isotonic calibration did not lower the expected calibration error"
        return record
    model = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
    model.fit(scores, y)
    record.update(
        isotonic=True,
        x=[float(v) for v in model.X_thresholds_],
        y=[float(v) for v in model.y_thresholds_],
    )
    return record


def _ece(y: IntArray, p: FloatArray, bins: int = ECE_BINS) -> float:
    """Expected calibration error over ``bins`` equal-count bins of p."""
    import numpy as np

    order = np.argsort(p, kind="stable")
    total = 0.0
    for part in np.array_split(order, bins):
        if len(part):
            total += len(part) / len(p) * abs(float(p[part].mean()) - float(y[part].mean()))
    return total


def _value(
    pricing: Pricing,
    expected: FloatArray,
    var_by: FloatArray,
    realised_counts: FloatArray,
    reference: tuple[int, int, int, int],
) -> Value:
    import numpy as np

    v = np.asarray(pricing.flat)  # TN FP FN TP
    n = expected.sum(axis=1)
    per_prediction = expected @ v / n
    # Given the inputs, a row predicted 1 is worth FP + (TP - FP) y, one predicted 0 TN + (FN - TN) y.
    var = (v[3] - v[1]) ** 2 * var_by[:, 1] + (v[2] - v[0]) ** 2 * var_by[:, 0]
    ref = np.asarray(reference, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        realised = realised_counts @ v / realised_counts.sum(axis=1)
    return Value(
        pricing=pricing,
        per_prediction=per_prediction,
        sampling_error=np.sqrt(var) / n,
        reference_per_prediction=float(ref @ v / ref.sum()),
        realised_per_prediction=realised,
    )


# --------------------------------------------------------------------------- text


def _check_record(record: dict[str, Any], where: str) -> None:
    """MonitorError naming the field when a reference's data breaks a rule (see
    :mod:`bizml_nb.monitor.reference_check`)."""
    from bizml_nb.core.schema import Invalid
    from bizml_nb.monitor.reference_check import check_reference

    try:
        check_reference(record, metrics=METRICS, methods=METHODS, max_categories=MAX_CATEGORIES)
    except Invalid as exc:
        raise MonitorError(
            f"{where} is damaged: {exc.message}; rebuild it with Reference.fit(...).save(path)"
        ) from None


def _json_float(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _fmt(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:.3f}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _names_text(names: Sequence[str], limit: int = 8) -> str:
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + f" and {len(names) - limit} more"


def _one_line(text: str) -> str:
    return " ".join(text.replace("\r", "\n").split("\n"))


__all__ = [
    "METHODS",
    "METRICS",
    "MONITOR_MIME",
    "ColumnSummary",
    "Drift",
    "Estimate",
    "MonitorError",
    "MonitorResult",
    "Pricing",
    "Reference",
    "Value",
]


def monitor_frames(
    reference: Any,
    analysis: pd.DataFrame,
    *,
    proba: str,
    prediction: str | None = None,
    label: str = "label",
    chunk_size: int | None = None,
    project: Any = None,
    kpi: str | None = None,
) -> MonitorResult:
    """Check ``analysis`` against ``reference`` (a labelled DataFrame, or a fitted Reference).

    The features are every column of the reference but the probability, the
    prediction and the label. With ``project`` and ``kpi``, each chunk is priced
    through the KPI's confusion link. ``%bizml monitor`` calls this.
    """
    import pandas as pd

    if isinstance(reference, Reference):
        fitted = reference
    elif isinstance(reference, pd.DataFrame):
        if label not in reference:
            raise MonitorError(
                f"the reference has no label column {label!r}; name it with --label "
                f"(columns: {', '.join(map(str, reference.columns))})"
            )
        features = [
            c
            for c in reference.columns
            if c not in {proba, prediction, label}
            and not pd.api.types.is_datetime64_any_dtype(reference[c])  # times chunk, not drift
        ]
        fitted = Reference.fit(
            reference, features=features, proba=proba, target=label, prediction=prediction
        )
    else:
        raise MonitorError(
            f"the reference must be a DataFrame or a Reference (not {type(reference).__name__})"
        )
    if not isinstance(analysis, pd.DataFrame):
        raise MonitorError(f"the data to check must be a DataFrame (not {type(analysis).__name__})")
    value = project if project is not None and kpi is not None else None
    return fitted.check(analysis, chunk_size=chunk_size, value=value, kpi=kpi)
