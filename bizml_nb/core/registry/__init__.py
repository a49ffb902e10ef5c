"""The KPI registry: business metrics and the links from ML metrics to them.

The registry lives in ``bizml.toml`` at the project root. Its modules:

- :mod:`~bizml_nb.core.registry.fields`: :class:`~bizml_nb.core.registry.fields.FieldSpec`,
  how a declared field is written once (type, required, help) for the file, the
  Python keywords and the magic's flags;
- :mod:`~bizml_nb.core.registry.metric`: :class:`BusinessMetric`, a KPI, its declared
  fields (:data:`METRIC_KEYS`) and their checks;
- :mod:`~bizml_nb.core.registry.links`: :class:`Link`, the kinds of link
  (:data:`LINK_KINDS`) and the keywords that declare one;
- :mod:`~bizml_nb.core.registry.fileformat`: the file's name, format version and
  ``[project]`` keys;
- :mod:`~bizml_nb.core.registry.model`: :class:`Registry`, the whole file's content,
  checked as a whole (no cycles, no money counted twice);
- :mod:`~bizml_nb.core.registry.toml_read`: reading the file with ``tomllib``, each
  mistake named by file, line and key;
- :mod:`~bizml_nb.core.registry.toml_edit`: locked, validated, atomic edits with
  ``tomlkit``, which keeps the user's comments and key order.

>>> reg = Registry.from_text('''
... [project]
... name = "recsys-home"
... currency = "USD"
... [metrics.take_rate]
... unit = "ratio"
... direction = "higher"
... value_per_unit = 2.5e9
... ''')
>>> reg.metric("take_rate").value_per_unit
2500000000.0
"""

from __future__ import annotations

from bizml_nb.core.errors import InvalidValue, RegistryError, UnknownMetric
from bizml_nb.core.registry.fileformat import (
    FILENAME,
    FORMAT_VERSION,
    PROJECT_KEYS,
    SETTING_KEYS,
)
from bizml_nb.core.registry.links import GRADES, LINK_COMMON_KEYS, LINK_KINDS, Link, LinkKind
from bizml_nb.core.registry.metric import DIRECTIONS, METRIC_KEYS, BusinessMetric, Direction
from bizml_nb.core.registry.model import Registry, check_tree, find_root, read_text
from bizml_nb.core.registry.toml_edit import (
    LOCK_TIMEOUT_S,
    init_file,
    upsert_link,
    upsert_metric,
)

__all__ = [
    "DIRECTIONS",
    "FILENAME",
    "FORMAT_VERSION",
    "GRADES",
    "LINK_COMMON_KEYS",
    "LINK_KINDS",
    "LOCK_TIMEOUT_S",
    "METRIC_KEYS",
    "PROJECT_KEYS",
    "SETTING_KEYS",
    "BusinessMetric",
    "Direction",
    "InvalidValue",
    "Link",
    "LinkKind",
    "Registry",
    "RegistryError",
    "UnknownMetric",
    "check_tree",
    "find_root",
    "init_file",
    "read_text",
    "upsert_link",
    "upsert_metric",
]
