"""A stand-in for PyAV on a machine without it, for measurements that pass decoded samples and never decode a file.

faster-whisper and transcribe.audio import PyAV at import time. Every `av.*` module imports, every capitalised name
is an exception class (so `except av.error.FFmpegError` stays valid) and nothing decodes.
"""

import importlib.abc
import importlib.machinery
import sys
import types


class StandInModule(types.ModuleType):
    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        if name[:1].isupper():
            value: object = type(name, (Exception,), {"__module__": self.__name__})
        else:
            value = _module(f"{self.__name__}.{name}")
        setattr(self, name, value)
        return value


def _module(name: str) -> StandInModule:
    if name not in sys.modules:
        module = StandInModule(name)
        module.__path__ = []
        sys.modules[name] = module
    return sys.modules[name]  # type: ignore[return-value]


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        if fullname.startswith("av."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        return _module(spec.name)

    def exec_module(self, module):
        return None


sys.meta_path.append(_Finder())
__version__ = "stand-in"
__getattr__ = StandInModule("av").__getattr__
