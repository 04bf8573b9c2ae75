"""The public surface of `tutela`: what `from tutela import …` promises, and one error root."""

from __future__ import annotations

import inspect
import re
from importlib.metadata import version

import tutela
from tutela import errors


def test_all_is_exactly_the_intended_surface() -> None:
    """Growing `__all__` is an API commitment; it should be a deliberate change to this test."""
    assert sorted(tutela.__all__) == ["Actor", "Settings", "Tutela", "__version__", "errors"]


def test_every_public_name_resolves() -> None:
    """A name in `__all__` that does not import would break `from tutela import *`."""
    namespace: dict[str, object] = {}
    exec("from tutela import *", namespace)  # the star import uses __all__
    for name in tutela.__all__:
        assert namespace[name] is getattr(tutela, name)
    assert namespace["errors"] is errors
    assert inspect.isclass(tutela.Tutela)
    assert inspect.isclass(tutela.Settings)
    assert inspect.isclass(tutela.Actor)


def test_version_matches_the_installed_distribution() -> None:
    """`tutela --version` and bug reports must show the installed version."""
    assert tutela.__version__ == version("tutela")


def _error_classes() -> dict[str, type[BaseException]]:
    return {
        name: obj
        for name, obj in vars(errors).items()
        if inspect.isclass(obj)
        and issubclass(obj, BaseException)
        and obj.__module__ == errors.__name__
    }


def test_every_error_subclasses_tutela_error() -> None:
    """Interfaces map errors to exit codes / HTTP by catching one root; none may escape it."""
    classes = _error_classes()
    assert len(classes) > 20
    for name, cls in classes.items():
        assert issubclass(cls, errors.TutelaError), name


def test_the_documented_hierarchy_matches_the_classes() -> None:
    """The tree in the module docstring is the map readers use; it must list every error,
    under its real parent."""
    tree = (errors.__doc__ or "").split("\n    TutelaError\n", 1)[1]
    documented: dict[str, str] = {}
    parents = ["TutelaError"]
    for line in tree.splitlines():
        match = re.match(r"^    ((?:[│ ]   )*)[├└]── ([A-Z]\w+)", line)
        if match is None:
            continue
        depth = len(match.group(1)) // 4
        parents[depth + 1 :] = [match.group(2)]
        documented[match.group(2)] = parents[depth]
    classes = _error_classes()
    assert set(documented) | {"TutelaError"} == set(classes)
    for name, parent in documented.items():
        assert classes[name].__bases__ == (classes[parent],), name
