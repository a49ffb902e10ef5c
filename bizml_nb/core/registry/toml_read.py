"""Reading bizml.toml: every mistake named by file, line and key.

The file is read with the standard library's ``tomllib`` (fast, used on every cell);
the parsed tables are checked key by key, and an error names the line the key is on.
"""

from __future__ import annotations

import math
import re
import tomllib
from typing import TYPE_CHECKING, Any, NoReturn, cast

from bizml_nb.core.errors import InvalidValue, RegistryError, did_you_mean, known
from bizml_nb.core.limits import LARGEST, TOO_LARGE, bound, out_of_range, shown
from bizml_nb.core.registry.fields import specs
from bizml_nb.core.registry.fileformat import (
    CALIBRATE_KEY,
    FILENAME,
    FORMAT_VERSION,
    PROJECT_KEYS,
    SETTING_KEYS,
)
from bizml_nb.core.registry.links import LINK_COMMON_KEYS, LINK_KINDS, Link
from bizml_nb.core.registry.metric import METRIC_KEYS, BusinessMetric
from bizml_nb.core.units import CURRENCY_RULE, is_currency_name

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from bizml_nb.core.registry.model import Registry


def parse_registry(text: str, path: Path | None, build: Callable[..., Registry]) -> Registry:
    """Parse and validate the text of a bizml.toml; ``build`` makes the Registry."""
    where = str(path) if path is not None else FILENAME
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(
            f"{where} is not valid TOML: {exc}; fix that line and try again"
        ) from None
    except ValueError as exc:  # a whole number of thousands of digits
        raise RegistryError(
            f"{where} cannot be read: {exc}; numbers in {FILENAME} must lie between "
            f"-{bound(LARGEST)} and {bound(LARGEST)}"
        ) from None
    return _Parser(text, where, path).registry(data, build)


class _Parser:
    """Turns the parsed TOML into a Registry, naming file, line and key on errors."""

    def __init__(self, text: str, where: str, path: Path | None) -> None:
        self.lines = text.splitlines()
        self.where = where
        self.path = path

    def registry(self, data: dict[str, Any], build: Callable[..., Registry]) -> Registry:
        for section in data:
            if section not in ("project", "metrics", "links", "sync"):
                self.fail(
                    f"unknown section [{section}]{did_you_mean(section, ['project', 'metrics', 'links'])}"
                    "; a bizml.toml holds [project], [metrics.NAME] and [[links]]",
                    header=section,
                    key_line=section,
                )
        sync = self.table(data, "sync")  # where a team shares runs (bizml_nb.teams)
        self.check_keys(sync, "sync", ("mlflow_tracking_uri",))
        self.string(sync, "sync", "mlflow_tracking_uri", required=False)
        project = self.table(data, "project")
        self.check_keys(project, "project", PROJECT_KEYS)
        name = self.string(project, "project", "name", required=False)
        currency = self.string(project, "project", "currency", required=False)
        if currency is not None and not is_currency_name(currency):
            self.fail_key("project", "currency", currency, f"is not a currency: {CURRENCY_RULE}")
        version = project.get("format", FORMAT_VERSION)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            self.fail_key("project", "format", version, "must be a whole number such as 1")
        if version > FORMAT_VERSION:
            self.fail_key(
                "project",
                "format",
                version,
                f"this file was written by a newer bizml_nb (format {version}; this one reads "
                f"up to {FORMAT_VERSION}); upgrade with `pip install -U bizml_nb`",
            )
        settings: dict[str, float] = {}
        for key in SETTING_KEYS:
            value = self.number(project, "project", key)
            if value is not None and value < 0:
                self.fail_key("project", key, value, "must not be negative")
            if value is not None:
                settings[key] = value
        calibrate = project.get(CALIBRATE_KEY, False)
        if not isinstance(calibrate, bool):
            self.fail_key("project", CALIBRATE_KEY, calibrate, "must be true or false")
        # passed only when on, so that a build without the keyword still reads the file
        settings_on = {CALIBRATE_KEY: True} if calibrate else {}
        metrics = {}
        for metric_name, table in self.table(data, "metrics").items():
            metrics[metric_name] = self.metric(metric_name, table)
        links = self.links(data.get("links", []), metrics)
        try:
            return build(
                self.path, name, currency or "USD", metrics, tuple(links), **settings, **settings_on
            )
        except RegistryError as exc:
            self.fail(str(exc), header="links")

    def metric(self, name: str, table: Any) -> BusinessMetric:
        section = f"metrics.{_key(name)}"
        if not isinstance(table, dict):
            self.fail(f"metrics.{name} must be a table [metrics.{name}]", header="metrics")
        self.check_keys(table, section, METRIC_KEYS)
        for key, spec in specs(BusinessMetric).items():
            if not spec.choices:
                continue
            value = self.string(table, section, key, required=spec.required)
            if spec.choices and value is not None and value not in spec.choices:
                choices = " or ".join(repr(choice) for choice in spec.choices)
                self.fail_key(section, key, value, f"must be {choices}")
        values: dict[str, Any] = {
            key: (
                self.number(table, section, key)
                if spec.kind == "number"
                else self.string(table, section, key, required=spec.required)
            )
            for key, spec in specs(BusinessMetric).items()
        }
        try:
            return BusinessMetric(name=name, **values)
        except InvalidValue as exc:
            self.fail_key(section, exc.key, table.get(exc.key), exc.problem)

    def links(self, raw: Any, metrics: Mapping[str, BusinessMetric]) -> list[Link]:
        if not isinstance(raw, list):
            self.fail("links must be an array of tables, written [[links]]", header="links")
        links: list[Link] = []
        seen: set[tuple[str, str]] = set()
        for index, table in enumerate(raw):
            section = f"links[{index}]"
            if not isinstance(table, dict):
                self.fail(f"{section} must be a table", header="links")
            kind = self.string(table, section, "kind", required=False) or "linear"
            if kind not in LINK_KINDS:
                self.fail_key(
                    section, "kind", kind, f"unknown link kind{did_you_mean(kind, LINK_KINDS)}"
                )
            spec = LINK_KINDS[kind]
            self.check_keys(table, section, LINK_COMMON_KEYS + spec.keys)
            ml_metric = self.string(table, section, "ml_metric")
            business = self.string(table, section, "business_metric")
            if business not in metrics:
                self.fail_key(
                    section,
                    "business_metric",
                    business,
                    f"is not a declared business metric{did_you_mean(business, metrics)}; "
                    f"{known(metrics)}",
                )
            if (ml_metric, business) in seen:
                self.fail_key(
                    section, "ml_metric", ml_metric, f"a second link {ml_metric} -> {business}"
                )
            seen.add((ml_metric, business))
            params = {
                key: self.typed(table, section, key, spec.types[key])
                for key in spec.keys
                if key in table
            }
            if ml_metric in metrics and not spec.chainable:
                self.fail_key(
                    section,
                    "ml_metric",
                    ml_metric,
                    "is a business metric; only linear and fitted links may start at a KPI",
                )
            source = self.string(table, section, "source", required=False)
            try:
                link = Link(ml_metric, business, kind, params, source)
            except InvalidValue as exc:
                problem = f"{exc.problem} (link {ml_metric} -> {business})"
                self.fail_key(section, exc.key, table.get(exc.key), problem)
            except RegistryError as exc:
                self.fail(str(exc), line=self.header_line(section))
            links.append(link)
        return links

    # -- typed accessors

    def table(self, data: dict[str, Any], name: str) -> dict[str, Any]:
        value = data.get(name, {})
        if not isinstance(value, dict):
            self.fail(f"{name} must be a table, written [{name}]", key_line=name)
        return cast("dict[str, Any]", value)

    def check_keys(self, table: dict[str, Any], section: str, allowed: tuple[str, ...]) -> None:
        for key, value in table.items():
            if key not in allowed:
                self.fail_key(
                    section,
                    key,
                    value,
                    f"is not a known key{did_you_mean(key, allowed)}; {known(allowed)}",
                )

    def string(
        self, table: dict[str, Any], section: str, key: str, *, required: bool = True
    ) -> Any:
        if key not in table:
            if required:
                self.fail(
                    f"[{section}] needs a {key} key",
                    line=self.header_line(section),
                )
            return None
        value = table[key]
        if not isinstance(value, str):
            self.fail_key(section, key, value, "must be a string (in quotes)")
        return value

    def number(self, table: dict[str, Any], section: str, key: str) -> float | None:
        if key not in table:
            return None
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail_key(section, key, value, "must be a number")
        if isinstance(value, float) and not math.isfinite(value):
            self.fail_key(section, key, value, "must be a finite number")
        if abs(value) > LARGEST:  # before float(), which a huge whole number overflows
            self.fail_key(section, key, value, out_of_range(key, value) or TOO_LARGE)
        return float(value)

    def typed(self, table: dict[str, Any], section: str, key: str, kind: str) -> Any:
        """Read a link parameter written as ``kind`` (see LinkKind.types)."""
        if kind == "pair":
            return self.pair(table, section, key)
        if kind == "matrix":
            value = table[key]
            if not isinstance(value, list) or len(value) != 2:
                self.fail_key(section, key, value, "must be [[TN, FP], [FN, TP]]")
            if any(isinstance(v, str) for row in value if isinstance(row, list) for v in row):
                return _formula_matrix(self, value, section, key)  # entries over an amount
            return tuple(self.pair({key: row}, section, key) for row in value)
        if kind == "count":
            value = table[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                self.fail_key(section, key, value, "must be a whole number")
            return value
        if kind == "text":
            return self.string(table, section, key)
        return self.number(table, section, key)

    def pair(self, table: dict[str, Any], section: str, key: str) -> tuple[float, float]:
        value = table[key]
        if (
            not isinstance(value, list)
            or len(value) != 2
            or any(isinstance(v, bool) or not isinstance(v, int | float) for v in value)
        ):
            self.fail_key(section, key, value, "must be two numbers [low, high]")
        if not all(isinstance(v, int) or math.isfinite(v) for v in value):
            self.fail_key(section, key, value, "must be finite numbers")
        largest = max(value, key=abs)
        if abs(largest) > LARGEST:  # before float(), which a huge whole number overflows
            self.fail_key(section, key, value, out_of_range(key, largest) or TOO_LARGE)
        return (float(value[0]), float(value[1]))

    # -- errors with file and line

    def fail(
        self,
        message: str,
        *,
        line: int | None = None,
        header: str | None = None,
        key_line: str | None = None,
    ) -> NoReturn:
        if line is None and header is not None:
            line = self.header_line(header)
        if line is None and key_line is not None:
            line = self.key_line(None, key_line)
        at = f", line {line}" if line else ""
        raise RegistryError(f"{self.where}{at}: {message}")

    def fail_key(self, section: str, key: str, value: Any, problem: str) -> NoReturn:
        line = self.key_line(section, key) or self.header_line(section)
        text = f" = {shown(value)}" if value is not None else ""
        raise RegistryError(f"{self.where}{_at(line)}: {section}.{key}{text} {problem}")

    def header_line(self, section: str) -> int | None:
        target, index = _split_index(section)
        count = -1
        for number, header, is_array in self._headers():
            if index is None and header[: len(target)] == target:
                return number
            if index is not None and is_array and header == target:
                count += 1
                if count == index:
                    return number
        return None

    def key_line(self, section: str | None, key: str) -> int | None:
        """The 1-based line where ``key`` is set inside ``section`` (best effort)."""
        target, index = _split_index(section) if section else ([], None)
        current: list[str] = []
        current_index = -1
        key_re = re.compile(r"^\s*(?:\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+))\s*=")
        seen_arrays: dict[tuple[str, ...], int] = {}
        for number, line in enumerate(self.lines, start=1):
            header = _parse_header(line)
            if header is not None:
                current, is_array = header
                if is_array:
                    seen_arrays[tuple(current)] = seen_arrays.get(tuple(current), -1) + 1
                    current_index = seen_arrays[tuple(current)]
                else:
                    current_index = -1
                continue
            if current != target or (index is not None and current_index != index):
                continue
            match = key_re.match(line)
            if match and next(g for g in match.groups() if g is not None) == key:
                return number
        return None

    def _headers(self) -> list[tuple[int, list[str], bool]]:
        found = []
        for number, line in enumerate(self.lines, start=1):
            header = _parse_header(line)
            if header is not None:
                found.append((number, header[0], header[1]))
        return found


_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*(.+?)\s*\]\]?\s*(?:#.*)?$")
_PART_RE = re.compile(r"\"([^\"]*)\"|'([^']*)'|([^.\s\"']+)")


def _parse_header(line: str) -> tuple[list[str], bool] | None:
    match = _HEADER_RE.match(line)
    if not match:
        return None
    parts = [next(g for g in m.groups() if g is not None) for m in _PART_RE.finditer(match[2])]
    return parts, match[1] == "[["


def _section_parts(section: str) -> list[str]:
    return [next(g for g in m.groups() if g is not None) for m in _PART_RE.finditer(section)]


def _split_index(section: str) -> tuple[list[str], int | None]:
    """``links[2]`` -> (['links'], 2); any other section -> (its parts, None)."""
    match = re.fullmatch(r"(\w+)\[(\d+)\]", section)
    if match:
        return [match[1]], int(match[2])
    return _section_parts(section), None


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else '"' + name.replace('"', '\\"') + '"'


def _at(line: int | None) -> str:
    return f", line {line}" if line else ""


def _formula_matrix(parser: _Parser, value: list[Any], section: str, key: str) -> Any:
    """A value matrix whose entries are numbers or formulas over an amount column."""
    rule = "must be [[TN, FP], [FN, TP]]: numbers, or formulas over the amount column"
    for row in value:
        if not isinstance(row, list) or len(row) != 2:
            parser.fail_key(section, key, value, rule)
        for v in row:
            if isinstance(v, bool) or not isinstance(v, str | int | float):
                parser.fail_key(section, key, value, rule)
            if not isinstance(v, str) and abs(v) > LARGEST:
                parser.fail_key(section, key, value, out_of_range(key, v) or TOO_LARGE)
    return tuple(tuple(v if isinstance(v, str) else float(v) for v in row) for row in value)
