"""The top-level API: one screen of names, each importable; former top-level names warn and still work."""

import importlib
import warnings

import pytest

import gridcrm


def test_every_public_name_resolves_to_the_object_of_its_module():
    for name in gridcrm.__all__:
        if name == "__version__":
            continue
        module = importlib.import_module(gridcrm._EXPORTS[name])
        assert getattr(gridcrm, name) is getattr(module, name), name


def test_the_public_api_fits_on_one_screen():
    # a notebook user reads dir(gridcrm) or help(gridcrm) at a glance: at most 40 names
    assert len(gridcrm.__all__) <= 40
    assert set(gridcrm.__all__) - {"__version__"} == set(gridcrm._EXPORTS)
    assert not set(gridcrm._EXPORTS) & set(gridcrm._MOVED)


@pytest.mark.parametrize("name", ["time_split", "TagSet", "RunConfig", "FEATURES"])
def test_a_former_top_level_name_warns_and_names_its_new_import(name):
    module = importlib.import_module(gridcrm._MOVED[name])
    with pytest.warns(DeprecationWarning, match=rf"from {module.__name__} import {name}"):
        value = getattr(gridcrm, name)
    assert value is getattr(module, name)


def test_an_unknown_name_is_an_attribute_error():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
            gridcrm.not_a_name  # noqa: B018
