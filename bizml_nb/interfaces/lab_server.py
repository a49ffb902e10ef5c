"""The Jupyter server extension: bizml's REST routes under ``/bizml/``, for JupyterLab's panel.

Thin: each route reads its arguments, calls a plain function in a worker thread (the
server keeps answering while a project of many runs is read) and writes its JSON:
:mod:`~bizml_nb.interfaces.lab_api` (the project), :mod:`~bizml_nb.interfaces.lab_paths`
(paths and the version), :mod:`~bizml_nb.interfaces.lab_actions` (templates, a new
notebook, the report). Every route needs the
server's token or login, as every Jupyter route does (403 without it)::

    GET  /bizml/project?path=NOTEBOOK_OR_FOLDER[&kpi=KPI][&tag=TAG]...[&limit=N]
    GET  /bizml/version?path=NOTEBOOK_OR_FOLDER
    GET  /bizml/templates
    POST /bizml/new     {"template", "folder", "name", "parameters"}
    POST /bizml/report  {"path", "force"}

A refusal is ``{"message": ..., "status": ...}``: 400 bad input (or a project file
bizml_nb refuses), 403 a path outside the server's root, 404 no such file or no
project, 409 a file that exists, 500 an error of the server (an unexpected one is
logged with its traceback; the answer holds no details). jupyter_server and tornado are imported here at
the top: only a Jupyter server imports this module (the ``lab`` extra brings one).
Enabled by ``jupyter-config/jupyter_server_config.d/bizml_nb.json``, or with
``--ServerApp.jpserver_extensions='{"bizml_nb.interfaces.lab_server": True}'``.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from bizml_nb.core.errors import BizmlError
from bizml_nb.interfaces import lab_actions, lab_api, lab_paths

if TYPE_CHECKING:
    from collections.abc import Callable

    from jupyter_server.serverapp import ServerApp


class _Handler(APIHandler):
    """What every bizml route shares: the server's root, the cache, and JSON answers."""

    root: Path
    cache: lab_api.ProjectCache

    def initialize(self, root: Path, cache: lab_api.ProjectCache) -> None:
        self.root = root
        self.cache = cache

    async def answer(self, work: Callable[[], dict[str, Any]]) -> None:
        """Run ``work`` and encode its JSON in a thread; write it, or a refusal as a status
        and a message. An unexpected error is logged and answered 500 without its details."""
        try:
            encoded = await asyncio.to_thread(lambda: _encode(work()))
        except BizmlError as exc:
            status = exc.status if isinstance(exc, lab_paths.LabError) else 400
            self.refuse(status, lab_paths.message(self.root, exc))
            return
        except OSError as exc:  # a file the server may not read or write, a full disk
            self.log.warning("bizml_nb: %s", exc)
            what = exc.strerror or type(exc).__name__
            where = f" ({exc.filename})" if exc.filename else ""
            self.refuse(
                500, lab_paths.message(self.root, f"the server could not do it: {what}{where}")
            )
            return
        except Exception:  # a bug: the log has the traceback, the answer only says so
            self.log.exception("bizml_nb: %s %s failed", self.request.method, self.request.path)
            self.refuse(500, "the server could not do it: an unexpected error (see its log)")
            return
        self.set_header("Content-Type", "application/json")
        self.finish(encoded)

    def refuse(self, status: int, text: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": text, "status": status}))

    def body(self) -> dict[str, Any] | None:
        """The request's JSON object, or None after answering 400."""
        try:
            data = json.loads(self.request.body or b"")
        except (ValueError, UnicodeDecodeError) as exc:
            self.refuse(400, f"the request body is not JSON ({exc})")
            return None
        if not isinstance(data, dict):
            self.refuse(400, "the request body must be a JSON object")
            return None
        return data


def _encode(body: dict[str, Any]) -> bytes:
    """The answer's JSON as UTF-8 bytes (tens of megabytes take a while: not on the event loop)."""
    return json.dumps(body, allow_nan=False, separators=(",", ":")).encode()


class ProjectHandler(_Handler):
    @tornado.web.authenticated
    async def get(self) -> None:
        path = self.get_query_argument("path", "")
        kpi = self.get_query_argument("kpi", None)
        tags = self.get_query_arguments("tag")
        limit_text = self.get_query_argument("limit", None)
        limit = None
        if limit_text is not None:
            try:
                limit = int(limit_text)
            except ValueError:
                self.refuse(400, f"limit must be a whole number of runs (not {limit_text!r})")
                return
        await self.answer(
            lambda: lab_api.project_view(
                self.root, path, kpi=kpi or None, tags=tags, limit=limit, cache=self.cache
            )
        )


class VersionHandler(_Handler):
    @tornado.web.authenticated
    async def get(self) -> None:
        path = self.get_query_argument("path", "")
        await self.answer(lambda: lab_paths.version(self.root, path))


class TemplatesHandler(_Handler):
    @tornado.web.authenticated
    async def get(self) -> None:
        await self.answer(lab_actions.templates_view)


class NewHandler(_Handler):
    @tornado.web.authenticated
    async def post(self) -> None:
        data = self.body()
        if data is None:
            return
        await self.answer(
            lambda: lab_actions.new_notebook(
                self.root,
                data.get("template"),
                data.get("folder", ""),
                data.get("name"),
                data.get("parameters"),
            )
        )


class ReportHandler(_Handler):
    @tornado.web.authenticated
    async def post(self) -> None:
        data = self.body()
        if data is None:
            return
        await self.answer(
            lambda: lab_actions.report(
                self.root, data.get("path", ""), force=data.get("force", False)
            )
        )


ROUTES: dict[str, type[_Handler]] = {
    "project": ProjectHandler,
    "version": VersionHandler,
    "templates": TemplatesHandler,
    "new": NewHandler,
    "report": ReportHandler,
}


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """What Jupyter server finds in this module: the extension itself."""
    return [{"module": "bizml_nb.interfaces.lab_server"}]


def _load_jupyter_server_extension(serverapp: ServerApp) -> None:
    """Add the routes under the server's base URL, reading inside its contents' root folder."""
    contents_root = getattr(serverapp.contents_manager, "root_dir", None)
    root = Path(contents_root or serverapp.root_dir).resolve()
    base = serverapp.web_app.settings["base_url"]
    options = {"root": root, "cache": lab_api.ProjectCache()}
    serverapp.web_app.add_handlers(  # type: ignore[no-untyped-call]
        ".*$",
        [
            (url_path_join(base, "bizml", name), handler, options)
            for name, handler in ROUTES.items()
        ],
    )
    serverapp.log.info(
        "bizml_nb: routes under %s, reading inside %s", url_path_join(base, "bizml"), root
    )
