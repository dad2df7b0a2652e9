import pytest

from bot.municipalities import normalise_name, parse_size_class, registry


def test_all_342_municipalities_with_12_provinces():
    reg = registry()
    assert len(reg.all) == 342
    assert len(reg.provinces) == 12
    assert sum(m.population for m in reg.all) == 18_044_027


@pytest.mark.parametrize(("name", "expected"), [
    ("Den Haag", "'s-Gravenhage"), ("den bosch", "'s-Hertogenbosch"), ("Sudwest Fryslan", "Súdwest-Fryslân"),
    ("gemeente Utrecht", "Utrecht"), ("GM0363", "Amsterdam"), ("Weesp", "Amsterdam"),
    ("Heerhugowaard", "Dijk en Waard"), ("Bergen NH", "Bergen (NH.)"),
])
def test_lookup_by_name_alias_code_and_former_name(name, expected):
    found = registry().lookup(name)
    assert found is not None and found.name == expected


def test_ambiguous_bergen_is_not_guessed():
    assert registry().lookup("Bergen") is None


def test_names_in_text_need_a_capital():
    found = [m.name for m in registry().find_in_text("De buren in Goes en Bergen op Zoom vonden het best.")]
    assert found == ["Goes", "Bergen op Zoom"]


def test_province_and_size_class():
    assert registry().province("friesland") == "Fryslân"
    assert registry().lookup("Schiermonnikoog").size_class == "klein"
    assert registry().lookup("Amsterdam").size_class == "zeer groot"
    assert parse_size_class("medium") == "middelgroot"
    assert parse_size_class("enorm") is None
    assert normalise_name("Gemeente 's-Hertogenbosch") == normalise_name("s Hertogenbosch")
