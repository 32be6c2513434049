"""Event schemas: parse_event's rejection codes, reasons free of input values, the published JSON Schema."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas import (
    EVENT_TYPES,
    SCHEMA_VERSION,
    SCHEMA_VERSIONS,
    SCORING_TYPES,
    IndexUpdate,
    InvalidEvent,
    ResumeClosed,
    ResumeUpserted,
    VacancyClosed,
    VacancyUpserted,
    json_schema,
    kind_of,
    parse_event,
)
from schemas.envelope import MAX_BODY_BYTES

NOW = "2024-05-01T12:00:00+03:00"


def vacancy(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "vacancy.upserted",
        "event_id": "ev-1",
        "occurred_at": NOW,
        "id": "hh:123",
        "title": "Python developer",
        "text": "Backend services, PostgreSQL, RabbitMQ.",
        "skills": ["Python", "SQL"],
        "salary_from": 100_000,
        "salary_to": 200_000,
        "currency": "RUB",
        "city": "Москва",
        "experience_years": 3,
        "language": "ru",
    }
    event.update(overrides)
    return event


def closure(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "resume.closed", "event_id": "ev-2", "occurred_at": NOW, "id": "r-9"}
    event.update(overrides)
    return event


def body(event: Any) -> bytes:
    return json.dumps(event, ensure_ascii=False).encode()


def rejection(raw: bytes) -> InvalidEvent:
    with pytest.raises(InvalidEvent) as info:
        parse_event(raw)
    assert str(info.value) == info.value.reason
    return info.value


# --- accepted events -----------------------------------------------------------------------------------


def test_parses_every_event_type() -> None:
    parsed = [
        parse_event(body(vacancy())),
        parse_event(body(vacancy(type="resume.upserted"))),
        parse_event(body(closure(type="vacancy.closed"))),
        parse_event(body(closure(reason="deleted"))),
    ]
    assert [type(e) for e in parsed] == [VacancyUpserted, ResumeUpserted, VacancyClosed, ResumeClosed]
    assert [e.type for e in parsed] == ["vacancy.upserted", "resume.upserted", "vacancy.closed", "resume.closed"]
    assert [kind_of(e) for e in parsed] == ["vacancy", "resume", "vacancy", "resume"]
    assert set(EVENT_TYPES) == {e.type for e in parsed}
    assert parsed[3].reason == "deleted"
    assert parsed[2].reason == "closed"


def test_fields_are_typed_and_stripped() -> None:
    event = parse_event(body(vacancy(title="  Python developer  ", skills=[" SQL "], event_id=" e1 ")))
    assert isinstance(event, VacancyUpserted)
    assert event.title == "Python developer"
    assert event.skills == ["SQL"]
    assert event.event_id == "e1"
    assert event.occurred_at == datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    assert event.schema_version == SCHEMA_VERSION == 2


def test_only_skills_is_enough_text() -> None:
    event = parse_event(body(vacancy(title="", text="", skills=["Go"])))
    assert isinstance(event, VacancyUpserted)


# --- rejection codes -----------------------------------------------------------------------------------


def test_too_large() -> None:
    raw = body(vacancy(text="x" * MAX_BODY_BYTES))
    error = rejection(raw)
    assert error.code == "too_large"
    assert str(len(raw)) in error.reason


@pytest.mark.parametrize("raw", [b"{not json", b"", b'{"type": "vacancy.upserted",', b"\xff\xfe\x00garbage"])
def test_malformed_json(raw: bytes) -> None:
    assert rejection(raw).code == "malformed_json"


@pytest.mark.parametrize(
    ("raw", "name"), [(b"[1, 2]", "list"), (b'"text"', "str"), (b"42", "int"), (b"null", "NoneType")]
)
def test_not_an_object(raw: bytes, name: str) -> None:
    error = rejection(raw)
    assert error.code == "not_an_object"
    assert name in error.reason


def test_an_unknown_type_is_never_echoed() -> None:
    # "ivan.petrov" looks like a type; it is still the producer's string, and may be a person's name.
    for bad in ["vacancy.deleted", "ivan.petrov", "Иван Петров", "x" * 41, "VACANCY.UPSERTED", 7, None, ["a"]]:
        error = rejection(body(vacancy(type=bad)))
        assert error.code == "unknown_type"
        assert str(bad) not in error.reason and "petrov" not in error.reason
    missing = vacancy()
    del missing["type"]
    assert rejection(body(missing)).code == "unknown_type"


@pytest.mark.parametrize(
    ("override", "path"),
    [
        ({"id": "has space"}, "id"),
        ({"id": ""}, "id"),
        ({"event_id": ""}, "event_id"),
        ({"occurred_at": "2024-05-01T12:00:00"}, "occurred_at"),  # no time zone
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"currency": "rub"}, "currency"),
        ({"language": "rus"}, "language"),
        ({"salary_from": -1}, "salary_from"),
        ({"experience_years": 71}, "experience_years"),
        ({"title": "x" * 501}, "title"),
        ({"skills": ["x" * 201]}, "skills.0"),
        ({"schema_version": 3}, "schema_version"),
        ({"surprise": 1}, "<unexpected field>"),
    ],
)
def test_schema_invalid(override: dict[str, Any], path: str) -> None:
    error = rejection(body(vacancy(**override)))
    assert error.code == "schema_invalid"
    assert error.reason.startswith("schema-invalid vacancy.upserted: ")
    assert f"{path}: " in error.reason


def test_missing_required_fields_are_listed() -> None:
    error = rejection(body({"type": "vacancy.closed"}))
    assert error.code == "schema_invalid"
    for field in ("event_id", "occurred_at", "id"):
        assert f"{field}: Field required" in error.reason


def test_many_errors_are_capped() -> None:
    error = rejection(body(vacancy(**{f"extra{i}": i for i in range(9)})))
    assert error.code == "schema_invalid"
    assert error.reason.count("Extra inputs are not permitted") == 5
    assert error.reason.endswith("(+4 more)")


@pytest.mark.parametrize(
    "fields", [{"title": "", "text": "", "skills": []}, {"title": "   ", "text": " \n\t ", "skills": []}]
)
def test_empty_text(fields: dict[str, Any]) -> None:
    error = rejection(body(vacancy(**fields)))
    assert error.code == "empty_text"
    assert "empty text" in error.reason


def test_salary_from_above_salary_to() -> None:
    error = rejection(body(vacancy(salary_from=300_000, salary_to=200_000)))
    assert error.code == "schema_invalid"
    assert "salary_from is greater than salary_to" in error.reason
    assert "300000" not in error.reason
    assert parse_event(body(vacancy(salary_from=200_000, salary_to=200_000))).salary_to == 200_000
    assert parse_event(body(vacancy(salary_from=300_000, salary_to=None))).salary_from == 300_000


def test_closure_reason_is_a_fixed_set() -> None:
    assert rejection(body(closure(reason="fired"))).code == "schema_invalid"


# --- reasons never carry input values ----------------------------------------------------------------------

SECRET = "QZX7SECRET"
text_values = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)

# Each breaker puts the secret value into one field in a way that makes the field invalid.
BREAKERS: dict[str, Any] = {
    "id": lambda v: {"id": f"#{v}"},
    "event_id": lambda v: {"event_id": v + "x" * 200},
    "occurred_at": lambda v: {"occurred_at": v},
    "currency": lambda v: {"currency": v},
    "language": lambda v: {"language": v},
    "salary_from": lambda v: {"salary_from": v},
    "experience_years": lambda v: {"experience_years": v},
    "title": lambda v: {"title": v + "x" * 500},
    "skills": lambda v: {"skills": [v + "x" * 200]},
    "city": lambda v: {"city": v + "x" * 120},
    "schema_version": lambda v: {"schema_version": v},
    "text_type": lambda v: {"text": {"nested": v}},
    "skills_type": lambda v: {"skills": v},
}


@settings(max_examples=150, deadline=None)
@given(value=text_values, field=st.sampled_from(sorted(BREAKERS)), kind=st.sampled_from(["vacancy", "resume"]))
def test_reasons_never_contain_field_values(value: str, field: str, kind: str) -> None:
    secret = SECRET + value
    # Valid free-text fields carry the secret too: a reason must not quote them either.
    event = vacancy(type=f"{kind}.upserted", title=secret, text=secret, skills=[secret], city=secret, event_id=secret)
    event.update(BREAKERS[field](secret))
    error = rejection(body(event))
    assert error.code == "schema_invalid"
    assert SECRET not in error.reason
    assert secret not in error.reason


@settings(max_examples=50, deadline=None)
@given(value=text_values)
def test_closure_reasons_never_contain_field_values(value: str) -> None:
    secret = SECRET + value
    error = rejection(body(closure(id=f"#{secret}", event_id=secret, reason=secret, occurred_at=secret)))
    assert error.code == "schema_invalid"
    assert SECRET not in error.reason


@settings(max_examples=100, deadline=None)
@given(value=text_values)
def test_unknown_type_reason_never_quotes_untrusted_text(value: str) -> None:
    error = rejection(body(vacancy(type=SECRET + value)))
    assert error.code == "unknown_type"
    assert SECRET not in error.reason


@settings(max_examples=100, deadline=None)
@given(raw=st.binary(max_size=64))
def test_any_bytes_parse_or_raise_invalid_event(raw: bytes) -> None:
    try:
        parse_event(raw)
    except InvalidEvent as error:
        assert error.code in {"malformed_json", "not_an_object", "unknown_type", "schema_invalid", "empty_text"}
    else:  # pragma: no cover - random bytes are never a full event
        pytest.fail("random bytes parsed as an event")


def test_malformed_json_reason_does_not_quote_the_body() -> None:
    error = rejection(f'{{"title": "{SECRET}", oops'.encode())
    assert SECRET not in error.reason
    assert re.fullmatch(r"malformed JSON: \w+ at position \d+", error.reason)


# --- models ---------------------------------------------------------------------------------------------


def test_models_are_frozen() -> None:
    event = parse_event(body(vacancy()))
    with pytest.raises(ValidationError):
        event.title = "changed"  # type: ignore[misc]
    closed = parse_event(body(closure()))
    with pytest.raises(ValidationError):
        closed.id = "other"  # type: ignore[misc]
    update = IndexUpdate(kind="vacancy", id="a", op="upsert", version=datetime.now(UTC))
    with pytest.raises(ValidationError):
        update.op = "remove"  # type: ignore[misc]


@pytest.mark.parametrize("model", [VacancyUpserted, ResumeUpserted])
def test_posting_extra_fields_forbidden(model: type[VacancyUpserted] | type[ResumeUpserted]) -> None:
    fields = {k: v for k, v in vacancy().items() if k != "type"}
    assert model.model_validate(fields).id == "hh:123"
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        model.model_validate({**fields, "salary": 1})


@pytest.mark.parametrize("model", [VacancyClosed, ResumeClosed])
def test_closure_extra_fields_forbidden(model: type[VacancyClosed] | type[ResumeClosed]) -> None:
    fields = {k: v for k, v in closure().items() if k != "type"}
    assert model.model_validate(fields).reason == "closed"
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        model.model_validate({**fields, "title": "x"})


def test_index_update_validation() -> None:
    raw = '{"kind": "resume", "id": "r1", "op": "remove", "version": "2024-05-01T00:00:00Z"}'
    update = IndexUpdate.model_validate_json(raw)
    assert (update.kind, update.id, update.op, update.schema_version) == ("resume", "r1", "remove", 1)
    for bad in [
        '{"kind": "job", "id": "r1", "op": "remove", "version": "2024-05-01T00:00:00Z"}',
        '{"kind": "resume", "id": "r1", "op": "delete", "version": "2024-05-01T00:00:00Z"}',
        '{"kind": "resume", "id": "r1", "op": "remove", "version": "2024-05-01T00:00:00"}',
        '{"kind": "resume", "id": "r1", "op": "remove", "version": "2024-05-01T00:00:00Z", "x": 1}',
    ]:
        with pytest.raises(ValidationError):
            IndexUpdate.model_validate_json(bad)


def test_salary_order_checked_on_models_too() -> None:
    fields = {k: v for k, v in vacancy().items() if k != "type"}
    with pytest.raises(ValidationError, match="salary_from is greater than salary_to"):
        ResumeUpserted.model_validate({**fields, "salary_from": 5, "salary_to": 4})


# --- the published JSON Schema -------------------------------------------------------------------------


def _validate(instance: Any, schema: dict[str, Any], root: dict[str, Any]) -> list[str]:
    """A small JSON Schema validator for the keywords pydantic emits here (jsonschema is not installed)."""
    if "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith("#/$defs/"), ref
        return _validate(instance, root["$defs"][ref.removeprefix("#/$defs/")], root)
    if "oneOf" in schema:
        passing = [s for s in schema["oneOf"] if not _validate(instance, s, root)]
        return [] if len(passing) == 1 else [f"oneOf: {len(passing)} branches match"]
    if "anyOf" in schema:
        return [] if any(not _validate(instance, s, root) for s in schema["anyOf"]) else ["anyOf: none match"]
    errors: list[str] = []
    kind = schema.get("type")
    checks = {
        "object": lambda x: isinstance(x, dict),
        "array": lambda x: isinstance(x, list),
        "string": lambda x: isinstance(x, str),
        "integer": lambda x: isinstance(x, int) and not isinstance(x, bool),
        "number": lambda x: isinstance(x, int | float) and not isinstance(x, bool),
        "null": lambda x: x is None,
        "boolean": lambda x: isinstance(x, bool),
    }
    if kind is not None and not checks[kind](instance):
        return [f"not {kind}"]
    if "const" in schema and instance != schema["const"]:
        errors.append("const")
    if "enum" in schema and instance not in schema["enum"]:
        errors.append("enum")
    if isinstance(instance, str):
        if len(instance) > schema.get("maxLength", len(instance)) or len(instance) < schema.get("minLength", 0):
            errors.append("length")
        if "pattern" in schema and not re.search(schema["pattern"], instance, re.ASCII):
            errors.append("pattern")
    is_number = isinstance(instance, int | float) and not isinstance(instance, bool)
    if is_number and not schema.get("minimum", instance) <= instance <= schema.get("maximum", instance):
        errors.append("range")
    if isinstance(instance, list):
        if len(instance) > schema.get("maxItems", len(instance)):
            errors.append("maxItems")
        for item in instance:
            errors += _validate(item, schema.get("items", {}), root)
    if isinstance(instance, dict):
        properties = schema.get("properties", {})
        errors += [f"missing {name}" for name in schema.get("required", []) if name not in instance]
        for name, value in instance.items():
            if name in properties:
                errors += [f"{name}: {e}" for e in _validate(value, properties[name], root)]
            elif schema.get("additionalProperties") is False:
                errors.append(f"extra {name}")
    return errors


def schema_errors(instance: Any) -> list[str]:
    schema = json_schema()
    try:
        import jsonschema
    except ImportError:
        return _validate(instance, schema, schema)
    validator = jsonschema.Draft202012Validator(schema)
    return [e.message for e in validator.iter_errors(instance)]


def test_json_schema_structure() -> None:
    schema = json_schema()
    json.dumps(schema)  # publishable as is
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "CareerRank event"
    assert schema["discriminator"]["propertyName"] == "type"
    mapping = schema["discriminator"]["mapping"]
    assert set(mapping) == set(EVENT_TYPES) | set(SCORING_TYPES)
    assert sorted(branch["$ref"] for branch in schema["oneOf"]) == sorted(mapping.values())
    for event_type, ref in mapping.items():
        definition = schema["$defs"][ref.removeprefix("#/$defs/")]
        assert definition["type"] == "object"
        assert definition["additionalProperties"] is False
        key = {"id"} if event_type in EVENT_TYPES else {"vacancy_id", "resume_id"}
        assert {"event_id", "occurred_at", *key} <= set(definition["required"])
        assert definition["properties"]["type"]["const"] == event_type
        version = definition["properties"]["schema_version"]
        if event_type in EVENT_TYPES:
            assert version["enum"] == list(SCHEMA_VERSIONS) and version["default"] == SCHEMA_VERSION
        else:  # applications and feedback are new in version 2
            assert version["const"] == 2 and version["default"] == 2


def test_json_schema_accepts_good_events() -> None:
    for event in [
        vacancy(),
        vacancy(type="resume.upserted", salary_to=None, city=None),
        closure(),
        closure(type="vacancy.closed"),
    ]:
        assert schema_errors(event) == [], event
        parse_event(body(event))  # and the service agrees


@pytest.mark.parametrize(
    "event",
    [
        vacancy(id="has space"),
        vacancy(currency="rub"),
        vacancy(extra=1),
        vacancy(salary_from="many"),
        vacancy(skills=["x" * 201]),
        vacancy(title="x" * 501),
        vacancy(schema_version=3),
        vacancy(required_education="kindergarten"),
        vacancy(type="job.created"),
        {k: v for k, v in vacancy().items() if k != "event_id"},
        {k: v for k, v in vacancy().items() if k != "type"},
        closure(reason="fired"),
        closure(title="closures carry no text"),
        [vacancy()],
    ],
)
def test_json_schema_rejects_bad_events(event: Any) -> None:
    assert schema_errors(event) != []
    with pytest.raises(InvalidEvent):  # and the service rejects them too
        parse_event(body(event))


def test_blank_skills_and_control_characters_are_dropped_not_refused() -> None:
    event = parse_event(body(vacancy(skills=["ok", "  ", "\x00", "py\x00thon"], title="Повар\x07 смены")))
    assert isinstance(event, VacancyUpserted)
    assert event.skills == ["ok", "python"]
    assert event.title == "Повар смены"


# --- several events per message -----------------------------------------------------------------------


def test_a_batch_message_yields_each_event_and_each_bad_element_in_place() -> None:
    from schemas import parse_events

    good, other = vacancy(), closure(type="resume.closed")
    empty = {**good, "title": "", "text": "", "skills": []}
    batch = json.dumps([good, {"type": "nope"}, other, "not an object", empty])
    parsed = parse_events(batch.encode())
    assert [type(p).__name__ for p in parsed] == [
        "VacancyUpserted",
        "InvalidEvent",
        "ResumeClosed",
        "InvalidEvent",
        "InvalidEvent",
    ]
    codes = [(p.code, p.reason.split(":")[0]) for p in parsed if isinstance(p, InvalidEvent)]
    assert codes == [
        ("unknown_type", "batch element 1"),
        ("not_an_object", "batch element 3"),
        ("empty_text", "batch element 4"),
    ]
    # A single object is still a batch of one.
    assert parse_events(body(good)) == [parse_event(body(good))]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"[]", "not_an_object"),
        (b"[1, 2", "malformed_json"),
        (b"[" + b",".join([b"{}"] * 1001) + b"]", "too_large"),
    ],
)
def test_a_batch_that_is_not_a_list_of_events_is_rejected_whole(raw: bytes, code: str) -> None:
    from schemas import parse_events

    with pytest.raises(InvalidEvent) as caught:
        parse_events(raw)
    assert caught.value.code == code


# --- hostile bodies --------------------------------------------------------------------------------------


def test_an_unexpected_key_is_never_named_in_the_reason() -> None:
    error = rejection(body(vacancy(ivan_petrov=1, **{"Иван": 2})))
    assert error.code == "schema_invalid"
    assert "ivan_petrov" not in error.reason and "Иван" not in error.reason
    assert error.reason.count("<unexpected field>: Extra inputs are not permitted") == 2


def test_a_byte_order_mark_before_a_valid_body_is_ignored() -> None:
    from schemas import parse_events

    bom = b"\xef\xbb\xbf"
    assert parse_event(bom + body(vacancy())) == parse_event(body(vacancy()))
    parsed = parse_events(bom + body([vacancy(), closure()]))
    assert [type(p).__name__ for p in parsed] == ["VacancyUpserted", "ResumeClosed"]


@pytest.mark.parametrize("raw", [b"[" * 200_000, b'{"a":' * 200_000, body(vacancy(skills=[[[[["x"]]]]]))])
def test_deep_nesting_is_an_immediate_rejection(raw: bytes) -> None:
    from schemas import parse_events

    with pytest.raises(InvalidEvent) as caught:
        parse_events(raw)
    assert caught.value.code in {"malformed_json", "schema_invalid", "not_an_object"}


def test_an_element_with_a_lone_surrogate_is_rejected_alone_with_a_storable_body() -> None:
    from schemas import parse_events

    elements = [vacancy(event_id="a"), vacancy(event_id="b", title="x\ud800y"), vacancy(event_id="c")]
    raw = json.dumps(elements).encode()  # the producer's escape of a lone surrogate
    parsed = parse_events(raw)
    assert [getattr(p, "event_id", None) for p in parsed] == ["a", None, "c"]
    bad = parsed[1]
    assert isinstance(bad, InvalidEvent) and bad.body is not None
    bad.body.decode("ascii")  # always storable and publishable
    assert json.loads(bad.body) == vacancy(event_id="b", title="x\ud800y")


def test_occurred_at_beyond_the_clock_skew_is_rejected() -> None:
    from datetime import timedelta

    now = datetime(2024, 5, 1, 12, tzinfo=UTC)
    limit = now + timedelta(minutes=5)
    assert parse_event(body(vacancy(occurred_at="2024-05-01T12:04:00Z")), not_after=limit)
    for late in ("2024-05-01T12:06:00Z", "9999-12-31T23:59:59Z"):
        with pytest.raises(InvalidEvent) as caught:
            parse_event(body(vacancy(occurred_at=late)), not_after=limit)
        assert caught.value.code == "clock_skew"
        assert late[:4] not in caught.value.reason


def test_the_routing_key_must_name_the_type_or_a_batch() -> None:
    from schemas import parse_events

    assert parse_event(body(vacancy()), routing_key="vacancy.upserted")
    with pytest.raises(InvalidEvent) as caught:
        parse_event(body(vacancy()), routing_key="resume.upserted")
    assert caught.value.code == "routing_mismatch"
    for key in ("batch", "ivan.petrov", ""):
        with pytest.raises(InvalidEvent) as caught:
            parse_event(body(vacancy()), routing_key=key)
        assert caught.value.code == "routing_mismatch" and "petrov" not in caught.value.reason
    # A batch may mix types; an array under one type's key holds that type only.
    mixed = body([vacancy(), closure()])
    assert all(not isinstance(p, InvalidEvent) for p in parse_events(mixed, routing_key="batch"))
    parsed = parse_events(mixed, routing_key="vacancy.upserted")
    assert isinstance(parsed[1], InvalidEvent) and parsed[1].code == "routing_mismatch"
    assert not isinstance(parsed[0], InvalidEvent)


# --- schema version 2: the structured fields -------------------------------------------------------------

RESUME_V2: dict[str, Any] = {
    "work_history": [
        {"position": "Backend developer", "employer": "Acme", "start": "2019-03", "end": "2022-08", "duties": "APIs"},
        {"position": "Team lead", "start": "2022-09"},
    ],
    "education": [{"level": "master", "year": 2018, "field": "Applied mathematics"}],
    "languages": [{"code": "en", "level": "fluent"}],
    "relocation": False,
    "remote": True,
    "employment": ["full"],
    "schedule": ["flexible", "remote"],
    "age": 31,
    "gender": "female",
}
VACANCY_V2: dict[str, Any] = {
    "employer_id": "acme-1",
    "required_education": "higher",
    "required_languages": [{"code": "en", "level": "technical"}],
    "employment": ["full", "part"],
    "schedule": ["full_day"],
    "remote": False,
}


def test_version_2_fields_round_trip_and_are_what_storage_keeps() -> None:
    resume = parse_event(body(vacancy(type="resume.upserted", **RESUME_V2)))
    assert isinstance(resume, ResumeUpserted) and resume.schema_version == 2
    assert resume.work_history[1].end is None and resume.education[0].level == "master"
    profile = resume.profile()
    assert set(profile) == set(RESUME_V2)
    assert profile["work_history"][0] == RESUME_V2["work_history"][0]
    assert ResumeUpserted.model_validate({**vacancy(type="resume.upserted"), **profile}).profile() == profile
    posted = parse_event(body(vacancy(**VACANCY_V2)))
    assert isinstance(posted, VacancyUpserted) and posted.profile() == VACANCY_V2
    assert (
        schema_errors(vacancy(**VACANCY_V2)) == [] and schema_errors(vacancy(type="resume.upserted", **RESUME_V2)) == []
    )


def test_version_1_events_are_accepted_without_the_new_fields() -> None:
    old = parse_event(body(vacancy(schema_version=1)))
    assert old.schema_version == 1 and isinstance(old, VacancyUpserted) and old.profile() == {}
    closed = parse_event(body(closure(schema_version=1)))
    assert closed.schema_version == 1
    error = rejection(body(vacancy(schema_version=1, employer_id="acme-1", remote=True)))
    assert error.code == "schema_invalid"
    assert "fields of schema_version 2 in an event of version 1: employer_id, remote" in error.reason


@pytest.mark.parametrize(
    ("override", "path"),
    [
        ({"work_history": [{"position": "Dev", "start": "2020-13"}]}, "work_history.0.start"),
        ({"work_history": [{"position": "", "start": "2020-01"}]}, "work_history.0.position"),
        ({"work_history": [{"position": "Dev", "start": "2020-05", "end": "2020-01"}]}, "work_history.0"),
        ({"education": [{"level": "kindergarten"}]}, "education.0.level"),
        ({"languages": [{"code": "eng"}]}, "languages.0.code"),
        ({"languages": [{"code": "en", "level": "perfect"}]}, "languages.0.level"),
        ({"age": 7}, "age"),
        ({"employment": ["forever"]}, "employment.0"),
        ({"work_history": [{"position": "Dev", "start": "2020-01"}] * 61}, "work_history"),
        ({"employer_id": "acme-1"}, "<unexpected field>"),  # a resume has no employer
    ],
)
def test_version_2_fields_are_checked(override: dict[str, Any], path: str) -> None:
    error = rejection(body(vacancy(type="resume.upserted", **override)))
    assert error.code == "schema_invalid"
    assert f"{path}: " in error.reason, error.reason
