"""Teams: the ledger shared through an MLflow tracking server, with nothing lost locally.

``push(project, tracking_uri=..., experiment=...)`` sends every local run to an MLflow
experiment (idempotent: runs are found by their ``bizml.run_id`` tag), ``pull(...)``
brings teammates' runs into the local ledger, ``price(project, experiment, target=...,
mapping=...)`` records runs logged with plain MLflow as runs of a KPI. Without a tracking server bizml_nb stays
fully local; MLflow is imported only when one of these is called.
"""

from bizml_nb.teams.mlflow_price import PriceResult, parse_map, price
from bizml_nb.teams.mlflow_pull import PullResult, pull
from bizml_nb.teams.mlflow_push import PushResult, push
from bizml_nb.teams.remote import SyncError
from bizml_nb.teams.status import BackgroundPush, SyncStatus, status

__all__ = [
    "BackgroundPush",
    "PriceResult",
    "PullResult",
    "PushResult",
    "SyncError",
    "SyncStatus",
    "parse_map",
    "price",
    "pull",
    "push",
    "status",
]
