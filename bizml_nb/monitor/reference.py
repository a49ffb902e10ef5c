"""The reference: summaries of a labelled period, fitted once, kept as JSON beside the ledger.

What a reference keeps: summaries only, never rows (see the package doc). Checking
new data against it is :meth:`Reference.check` (in :mod:`bizml_nb.monitor.analysis`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from bizml_nb.core._io import atomic_write_text, is_bizml_file, make_folder, refuse_existing
from bizml_nb.core.errors import did_you_mean
from bizml_nb.core.schema import Invalid, JSONProblem, parse_json
from bizml_nb.core.version import __version__
from bizml_nb.monitor import analysis, inputs
from bizml_nb.monitor.calibration import calibrate, fit_calibration
from bizml_nb.monitor.cbpe import confusion_counts, rates, realised_auc
from bizml_nb.monitor.chunks import reference_chunking
from bizml_nb.monitor.constants import (
    DEFAULT_METHODS,
    FORMAT,
    FORMAT_VERSION,
    MAX_CATEGORIES,
    METHODS,
    METRICS,
    MIN_CHUNK_ROWS,
    QUANTILES,
    MonitorError,
    Thresholds,
    json_float,
)
from bizml_nb.monitor.drift import reference_columns
from bizml_nb.monitor.engine import CALIBRATION_ROWS, MEMORY_LIMIT, is_engine_source
from bizml_nb.monitor.histograms import count_columns
from bizml_nb.monitor.reference_check import check_reference
from bizml_nb.monitor.summaries import ColumnSummary, summarise

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping, Sequence

    import numpy.typing as npt

    from bizml_nb.monitor.constants import FloatArray
    from bizml_nb.monitor.pricing import ValueSource
    from bizml_nb.monitor.result import MonitorResult


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
        df: Any,
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
        order_by: str | None = None,
        calibration_rows: int = CALIBRATION_ROWS,
        memory_limit: str | None = MEMORY_LIMIT,
        temp_directory: str | os.PathLike[str] | None = None,
        threads: int | None = None,
        progress: Any = None,
    ) -> Reference:
        """Summarise a labelled reference set (keeping no rows).

        ``proba`` holds the model's probability of class 1; ``prediction`` its
        predicted class (0/1 or bool), or None for ``proba >= threshold``; ``target``
        the true class (0/1 or bool). Numeric features are summarised as histograms
        unless named in ``categorical``; other dtypes are categorical. The reference
        is cut into ``chunks`` (default 10) or chunks of ``chunk_size`` consecutive
        rows, whose statistics set the alert thresholds.

        ``df`` may also be a Parquet path or glob, a DuckDB relation or an Ibis table,
        summarised by the engine as :meth:`check` does (``order_by``, ``memory_limit``,
        ``temp_directory``, ``threads``, ``progress`` as there); the calibration map is
        fitted on up to ``calibration_rows`` (score, label) pairs, a seeded sample
        beyond that, which the reference records and the check's card states.
        """
        import numpy as np
        from sklearn.metrics import roc_auc_score

        features = inputs.names(features, "features")
        categorical = inputs.names(categorical, "categorical")
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
        if not 0.0 < threshold < 1.0:
            raise MonitorError(f"threshold must lie strictly between 0 and 1 (not {threshold!r})")
        if isinstance(quantiles, bool) or not isinstance(quantiles, int) or quantiles < 10:
            raise MonitorError(
                f"quantiles must be a whole number of at least 10 (not {quantiles!r})"
            )
        if is_engine_source(df):
            from bizml_nb.monitor.engine import open_source
            from bizml_nb.monitor.engine_fit import fit_fields

            source = open_source(
                df,
                what="the reference data",
                memory_limit=memory_limit,
                temp_directory=temp_directory,
                threads=threads,
                progress=progress,
            )
            return cls(
                **fit_fields(
                    source,
                    features=features,
                    proba=proba,
                    target=target,
                    prediction=prediction,
                    threshold=threshold,
                    categorical=categorical,
                    chunks=chunks,
                    chunk_size=chunk_size,
                    order_by=order_by,
                    quantiles=quantiles,
                    calibration_rows=calibration_rows,
                )
            )
        if order_by is not None:
            raise MonitorError(
                "order_by is for data read by an engine; a DataFrame's chunks follow its rows"
            )
        frame = inputs.frame(df, "the reference data")
        inputs.require_columns(frame, [*features, *roles], "the reference data")
        n = len(frame)
        if n < 2 * MIN_CHUNK_ROWS:
            raise MonitorError(
                f"the reference data has {n} rows; it needs at least {2 * MIN_CHUNK_ROWS} "
                f"(two chunks of {MIN_CHUNK_ROWS}) to set alert thresholds"
            )
        scores = inputs.probabilities(frame[proba], proba)
        y_hat = inputs.predictions(frame, prediction, scores, threshold)
        y = inputs.labels(frame[target], target, allow_missing=False)
        classes = np.unique(y)
        if len(classes) < 2:
            raise MonitorError(
                f"the reference target {target!r} holds only class {int(classes[0])}; "
                "estimating performance needs a reference with both classes"
            )
        ref_chunking = reference_chunking(n, chunks, chunk_size)
        calibration = fit_calibration(scores, y)

        kinds = {f: inputs.kind(frame[f], f in categorical) for f in features}
        summaries = [
            summarise(name, kinds[name], "feature", frame[name], quantiles) for name in features
        ]
        summaries.append(summarise(proba, "numeric", "proba", scores, quantiles))
        summaries.append(
            summarise(
                prediction or f"{proba} >= {threshold:g}",
                "categorical",
                "prediction",
                y_hat,
                quantiles,
            )
        )
        # The reference's histograms are the sums of its chunks' histograms; each chunk's
        # statistics are then measured against the whole reference, as new chunks will be.
        counted = count_columns(summaries, frame, scores, y_hat, ref_chunking, grid=True)
        with_chunk_stats = reference_columns(summaries, counted)

        confusion = confusion_counts(y_hat, y, ref_chunking)
        chunk_rates = rates(confusion)
        chunk_rates["roc_auc"] = realised_auc(scores, y, ref_chunking)
        total = confusion.sum(axis=0)
        overall = {k: float(v[0]) for k, v in rates(total[None, :]).items()}
        overall["roc_auc"] = float(roc_auc_score(y, scores))
        return cls(
            rows=n,
            features=features,
            proba=proba,
            target=target,
            prediction=prediction,
            threshold=float(threshold),
            columns=tuple(with_chunk_stats),
            calibration=calibration,
            chunk_sizes=tuple(int(s) for s in ref_chunking.sizes),
            chunk_metrics={k: tuple(float(x) for x in v) for k, v in chunk_rates.items()},
            confusion=cast("tuple[int, int, int, int]", tuple(int(c) for c in total)),
            metrics=overall,
        )

    # -- keeping

    def to_record(self) -> dict[str, Any]:
        """The reference as plain JSON-ready data."""
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
            "metrics": {k: json_float(v) for k, v in self.metrics.items()},
            "chunk_sizes": list(self.chunk_sizes),
            "chunk_metrics": {k: [json_float(x) for x in v] for k, v in self.chunk_metrics.items()},
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
        return calibrate(self.calibration, proba)

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
        df: Any,
        *,
        chunk_size: int | None = None,
        chunks: int | None = None,
        by: str | None = None,
        freq: str | None = None,
        chunk_by: int | str | None = None,
        order_by: str | None = None,
        methods: Sequence[str] = DEFAULT_METHODS,
        thresholds: Thresholds | Mapping[str, float] = "std",
        value: ValueSource = None,
        kpi: str | None = None,
        currency: str | None = None,
        memory_limit: str | None = MEMORY_LIMIT,
        temp_directory: str | os.PathLike[str] | None = None,
        threads: int | None = None,
        progress: Any = None,
    ) -> MonitorResult:
        """Drift, estimated performance and value of ``df``, chunk by chunk.

        ``df``: a pandas DataFrame, or data an engine reads without loading it: a
        Parquet path or glob (read by DuckDB), a DuckDB relation, or an Ibis table
        (any Ibis backend); see "Logs at scale" in docs/monitoring.md.
        Chunks: ``chunk_size`` consecutive rows, ``chunks`` equal parts, or one
        chunk per value of column ``by`` (per period of ``freq``, e.g. ``"D"``,
        ``"W"``, ``"M"``, when ``by`` holds times); 10 equal parts by default.
        ``chunk_by`` says the same in one word: a number of rows, ``"day"``,
        ``"week"`` or ``"month"`` (of ``by``, or of the data's only time column), or
        a column name. Times with a time zone are cut in UTC days, weeks and months
        on every source, whatever the machine's or the engine session's time zone
        (Parquet and DuckDB keep the instant, not the zone); times without one as
        they are written. Rows of an engine's data are in the order of ``order_by``
        (a column with no ties), or for Parquet files, of the files' names and then
        their rows.
        ``methods``: drift statistics out of :data:`METHODS`. ``thresholds``:
        ``"std"`` (mean + 3 std of the reference chunks), ``"fixed"``, or a mapping
        of method to threshold. ``value``: a confusion :class:`~bizml_nb.core.registry.Link`,
        a mapping with ``value_matrix`` ([[TN, FP], [FN, TP]]) and ``cases_per_year``,
        or a project or registry with ``kpi`` naming the KPI its confusion link
        prices. When ``df`` holds the target column, realised metrics are computed
        for the rows with a label.
        Parquet only: DuckDB's ``memory_limit`` (default ``"1GB"``; it spills to
        ``temp_directory`` beyond it) and ``threads``. ``progress``: True for a
        progress bar, or a function called with (queries done, planned, what).
        """
        return analysis.check(
            self,
            df,
            chunk_size=chunk_size,
            chunks=chunks,
            by=by,
            freq=freq,
            chunk_by=chunk_by,
            order_by=order_by,
            methods=methods,
            thresholds=thresholds,
            value=value,
            kpi=kpi,
            currency=currency,
            memory_limit=memory_limit,
            temp_directory=temp_directory,
            threads=threads,
            progress=progress,
        )

    def __repr__(self) -> str:
        calibration = "isotonic calibration" if self.calibrated else "no recalibration"
        sample = self.calibration.get("sample")
        if isinstance(sample, dict):
            calibration += f" (fitted on a sample of {sample.get('rows', 0):,} rows)"
        return (
            f"<Reference {self.rows:,} rows, {len(self.features)} features, "
            f"{len(self.chunk_sizes)} chunks, {calibration}>"
        )


def _check_record(record: dict[str, Any], where: str) -> None:
    """MonitorError naming the field when a reference's data breaks a rule (see
    :mod:`bizml_nb.monitor.reference_check`)."""
    try:
        check_reference(record, metrics=METRICS, methods=METHODS, max_categories=MAX_CATEGORIES)
    except Invalid as exc:
        raise MonitorError(
            f"{where} is damaged: {exc.message}; rebuild it with Reference.fit(...).save(path)"
        ) from None
