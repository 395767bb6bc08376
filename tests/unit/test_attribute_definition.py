"""User's attributes are defined once (domain.model.USER_ATTRIBUTES); what is written out
elsewhere is checked against that definition here."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Integer, String

from adapters.tables import users
from domain.errors import UserValidationError
from domain.model import USER_ATTRIBUTES, Attribute, User
from domain.validation import validate_changes
from entrypoints.http.jsonapi import resource_object
from entrypoints.http.openapi import openapi_bytes

#: The attributes as this test knows them, written out on purpose: a change of the
#: definition must be a change of this list too.
EXPECTED = [
    ("name", "text", 250),
    ("address", "text", 2000),
    ("age", "integer", 150),
    ("profession", "text", 250),
    ("website", "text", 250),
]


def test_the_definition_lists_the_attributes_in_display_order() -> None:
    assert [
        (a.name, "text" if a.text else "integer", a.max_length if a.text else a.maximum)
        for a in USER_ATTRIBUTES
    ] == EXPECTED


@pytest.mark.parametrize("attribute", USER_ATTRIBUTES, ids=lambda a: a.name)
def test_each_attribute_has_its_column_and_text_ones_their_key(attribute: Attribute) -> None:
    column = users.c[attribute.name]
    assert not column.nullable
    if attribute.text:
        assert isinstance(column.type, String)
        assert column.type.length == attribute.max_length
        assert f"{attribute.name}_key" in users.c
    else:
        assert isinstance(column.type, Integer)
        assert f"{attribute.name}_key" not in users.c


def test_the_table_holds_no_attribute_the_definition_lacks() -> None:
    bookkeeping = {"id", "address_prefix", "version", "created_at", "updated_at"}
    derived = {f"{a.name}_key" for a in USER_ATTRIBUTES if a.text}
    attributes = {column.name for column in users.columns} - bookkeeping - derived
    assert attributes == {a.name for a in USER_ATTRIBUTES}


def test_the_openapi_schema_states_each_attribute_as_defined() -> None:
    schema = json.loads(openapi_bytes())["components"]["schemas"]["UserAttributes"]
    properties = schema["properties"]
    assert list(properties) == [name for name, _, _ in EXPECTED]
    for name, kind, bound in EXPECTED:
        if kind == "text":
            assert properties[name]["type"] == "string"
            assert properties[name]["maxLength"] == bound
        else:
            assert properties[name]["type"] == "integer"
            assert properties[name]["maximum"] == bound


def test_a_rendered_user_carries_every_attribute_in_order() -> None:
    user = User(id=7, name="Ada", address="1 Lane", age=36, profession="Maths", website="w")
    attributes = resource_object(user)["attributes"]
    assert list(attributes.items()) == [
        ("name", "Ada"),
        ("address", "1 Lane"),
        ("age", 36),
        ("profession", "Maths"),
        ("website", "w"),
    ]


@pytest.mark.parametrize("attribute", [a for a in USER_ATTRIBUTES if a.text], ids=lambda a: a.name)
def test_validation_takes_text_up_to_the_defined_length_and_no_more(attribute: Attribute) -> None:
    def value(length: int) -> str:
        if attribute.name == "website":
            return "https://" + "a" * (length - len("https://.example")) + ".example"
        return "a" * length

    assert validate_changes({attribute.name: value(attribute.max_length)})
    with pytest.raises(UserValidationError):
        validate_changes({attribute.name: value(attribute.max_length + 1)})
