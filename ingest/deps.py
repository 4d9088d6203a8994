"""FastAPI dependencies of the ingest router."""

from fastapi import Request

from pipeline.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    """The process's runtime, which the app that mounts the router sets as app.state.runtime at startup."""
    return request.app.state.runtime
