"""The runtime as a FastAPI dependency: the one place a request reaches the process's runtime.

It lives here rather than in web/ because the ingest router needs it and sits below web/ (web.deps re-exports it).
Tests and other processes swap the runtime by overriding `get_runtime` (`app.dependency_overrides`).
"""

from typing import Annotated

from fastapi import Depends, FastAPI, Request

from pipeline.runtime import Runtime


def set_runtime(app: FastAPI, runtime: Runtime) -> None:
    """Give an app that mounts these routers the runtime its requests run on."""
    app.state.runtime = runtime


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
