"""``%bizml`` and ``%%bizml``: thin parsers over the plain-Python API.

- :mod:`~bizml_nb.interfaces.magics.magic`: :class:`BizmlMagics` (the entry point,
  its configuration traits, the ``%%bizml experiment`` cell), :func:`load`, :func:`unload`;
- :mod:`~bizml_nb.interfaces.magics.commands`: what each line subcommand does;
- :mod:`~bizml_nb.interfaces.magics.parsers`: :data:`SUBCOMMANDS`, :data:`HELP` and
  :data:`PARSERS`, argparse that raises one plain ``UsageError``.
- :mod:`~bizml_nb.interfaces.magics.sync`: ``%bizml sync``, a push to an MLflow tracking
  server now or, with ``--auto``, after each experiment cell in the background.
"""

from __future__ import annotations

from bizml_nb.interfaces.magics.magic import BizmlMagics, load, unload
from bizml_nb.interfaces.magics.parsers import HELP, PARSERS, SUBCOMMANDS

__all__ = ["HELP", "PARSERS", "SUBCOMMANDS", "BizmlMagics", "load", "unload"]
