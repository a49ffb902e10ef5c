"""Editing bizml.toml: atomic, locked, validated edits that keep the user's comments.

The file is edited with ``tomlkit``, which keeps comments and key order. Every edit
holds a cross-process lock, re-reads the file, is validated as a whole file before it
is written, and is written atomically (``bizml_nb.core._io``), so concurrent edits are
all kept and a failed edit never leaves a broken file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from bizml_nb.core.errors import RegistryError, known
from bizml_nb.core.registry.fileformat import (
    CALIBRATE_KEY,
    FILENAME,
    FORMAT_VERSION,
    SETTING_KEYS,
)
from bizml_nb.core.registry.model import Registry, read_text
from bizml_nb.core.units import CURRENCY_RULE, is_currency_name

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    import tomlkit.toml_document

    from bizml_nb.core.registry.links import Link
    from bizml_nb.core.registry.metric import BusinessMetric

LOCK_TIMEOUT_S = 30.0  # how long an edit waits for another process's edit to finish


def init_file(
    path: Path,
    *,
    project: str | None = None,
    currency: str | None = None,
    settings: Mapping[str, float] | None = None,
    calibrate: bool | None = None,
) -> Literal["created", "updated", "unchanged"]:
    """Create bizml.toml at ``path``, or update its [project] with the given values.

    ``settings`` holds project-wide numbers: ``min_annual_value`` (the bar for a
    material result, money per year), ``compute_cost_per_hour`` and ``eng_cost_per_hour``.
    ``currency`` is a code or symbol (:data:`~bizml_nb.core.units.CURRENCY_RULE`).
    ``calibrate=True`` writes ``calibrate = true``; ``False`` removes the key (off is
    the default, and a file without it reads as before); None leaves it as it is.
    """
    unknown = [key for key in settings or {} if key not in SETTING_KEYS]
    if unknown:
        raise RegistryError(f"unknown project setting {unknown[0]!r}; {known(SETTING_KEYS)}")
    if currency is not None and not is_currency_name(currency):
        raise RegistryError(f"currency {currency!r} is not a currency: {CURRENCY_RULE}")

    def mutate(doc: tomlkit.toml_document.TOMLDocument) -> bool:
        import tomlkit

        if "project" not in doc:
            table = tomlkit.table()
            table.add("name", project or path.parent.name)
            table.add("currency", currency or "USD")
            table.add("format", FORMAT_VERSION)
            for key, value in (settings or {}).items():
                table.add(key, value)
            if calibrate:
                table.add(CALIBRATE_KEY, True)
            doc.add("project", table)
            return False
        table = doc["project"]
        changes: dict[str, Any] = {"name": project, "currency": currency, **(settings or {})}
        for key, value in changes.items():
            if value is not None and (key not in table or table[key] != value):
                table[key] = value
        if calibrate and table.get(CALIBRATE_KEY) is not True:
            table[CALIBRATE_KEY] = True
        elif calibrate is False and CALIBRATE_KEY in table:
            del table[CALIBRATE_KEY]
        return True

    return _edit(path, mutate)


def upsert_metric(path: Path, metric: BusinessMetric) -> Literal["created", "updated", "unchanged"]:
    """Declare ``metric`` in bizml.toml, or update the keys it sets on an existing one.

    Keys the new declaration leaves unset (None) keep their current values.
    """

    def mutate(doc: tomlkit.toml_document.TOMLDocument) -> bool:
        import tomlkit

        if "metrics" not in doc:
            doc.add("metrics", tomlkit.table(is_super_table=True))
        metrics = doc["metrics"]
        if metric.name in metrics:
            table = metrics[metric.name]
            for key, value in metric.to_table().items():
                if key not in table or table[key] != value:
                    table[key] = value
            return True
        table = tomlkit.table()
        for key, value in metric.to_table().items():
            table.add(key, value)
        metrics.add(metric.name, table)
        return False

    return _edit(path, mutate, require_existing=True)


def upsert_link(path: Path, link: Link) -> Literal["created", "updated", "unchanged"]:
    """Declare ``link`` in bizml.toml, replacing an existing link between the same metrics."""

    def mutate(doc: tomlkit.toml_document.TOMLDocument) -> bool:
        import tomlkit

        if "links" not in doc:
            doc.add("links", tomlkit.aot())
        links = doc["links"]
        new = link.to_table()
        for table in links:
            if (
                table.get("ml_metric") == link.ml_metric
                and table.get("business_metric") == link.business_metric
            ):
                for key in [k for k in table if k not in new]:
                    del table[key]
                for key, value in new.items():
                    if key not in table or table[key] != value:
                        table[key] = value
                return True
        table = tomlkit.table()
        for key, value in new.items():
            table.add(key, value)
        links.append(table)
        return False

    return _edit(path, mutate, require_existing=True)


def _edit(
    path: Path,
    mutate: Callable[[tomlkit.toml_document.TOMLDocument], bool],
    *,
    require_existing: bool = False,
) -> Literal["created", "updated", "unchanged"]:
    """Apply ``mutate`` to the file's document, validate the result, write it atomically.

    The whole read-modify-write holds the file's edit lock (``.bizml.toml.lock``
    beside it), so edits by other processes are never lost; a symlinked file is
    edited through its link. ``mutate`` returns whether the item it edits existed.
    """
    import tomlkit
    import tomlkit.exceptions

    from bizml_nb.core._io import WriteError, atomic_write_text, locked, target_of

    folder = target_of(path).parent
    if not folder.is_dir():
        raise WriteError(
            f"cannot write {path}: the folder {folder} does not exist; create it first"
        )
    missing = RegistryError(
        f"no {FILENAME} in {path.parent} or above; run `%bizml init` (or `bizml init`) first"
    )
    if require_existing and not path.exists():
        raise missing  # before taking the lock, which would leave its file behind
    with locked(path, timeout_s=LOCK_TIMEOUT_S):
        if path.exists():
            text = read_text(path)
            Registry.from_text(text, path)  # refuse to edit on top of a broken file
        elif require_existing:
            raise missing
        else:
            text = ""
        try:
            doc = tomlkit.parse(text)
            existed = mutate(doc)
            new_text = tomlkit.dumps(doc)
        except tomlkit.exceptions.TOMLKitError as exc:
            raise RegistryError(f"cannot edit {path}: {exc}") from None
        Registry.from_text(new_text, path)
        if new_text == text:
            return "unchanged"
        atomic_write_text(path, new_text)
    return "updated" if existed else "created"
