"""A project: its root, registry and ledger, and the experiments recorded into it.

(The package is ``projects`` because ``bizml_nb.project()`` is a public function.)
"""

from bizml_nb.projects.project import Outcome, Project, Projects

__all__ = ["Outcome", "Project", "Projects"]
