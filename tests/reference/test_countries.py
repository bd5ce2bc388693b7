"""Member states: the 193, every UN name resolving back to its country, no two countries confused."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from pipelines.reference import countries
from pipelines.reference.countries import (
    LANGUAGES,
    M49_REGION_OF_SUBREGION,
    CountryInfo,
    country_info,
    country_name,
    member_states,
    non_member_reason,
    resolve_country,
    resolve_member_state,
)

REGIONS = {"Africa", "Americas", "Asia", "Europe", "Oceania"}
SUBREGIONS = {
    "Northern Africa",
    "Sub-Saharan Africa",
    "Latin America and the Caribbean",
    "Northern America",
    "Central Asia",
    "Eastern Asia",
    "South-eastern Asia",
    "Southern Asia",
    "Western Asia",
    "Eastern Europe",
    "Northern Europe",
    "Southern Europe",
    "Western Europe",
    "Australia and New Zealand",
    "Melanesia",
    "Micronesia",
    "Polynesia",
}
MEMBERS = member_states()


# --- the member list -------------------------------------------------------------------------------


def test_exactly_193_members_sorted_and_unique():
    assert len(MEMBERS) == 193
    assert list(MEMBERS) == sorted(set(MEMBERS))
    assert all(len(code) == 3 and code.isupper() for code in MEMBERS)


def test_known_members_and_non_members():
    for code in ("KGZ", "SSD", "MNE", "TLS", "USA", "CHN", "NRU", "TUV"):
        assert code in MEMBERS
    for code in ("VAT", "PSE", "TWN", "XKX", "ESH", "HKG", "PRI", "GRL"):
        assert code not in MEMBERS


# --- resolving ISO3 codes --------------------------------------------------------------------------


@pytest.mark.parametrize("iso3", MEMBERS)
def test_every_member_resolves_from_its_iso3(iso3):
    assert resolve_country(iso3) == iso3
    assert resolve_member_state(iso3) == iso3
    assert resolve_member_state(iso3.lower()) == iso3


@pytest.mark.parametrize("text", ["kgz", " KGZ ", "\u00a0kgz\u00a0", "\tKgZ\n", "\u200bKGZ", "KGZ\u202f"])
def test_iso3_in_any_case_with_stray_spaces(text):
    assert resolve_member_state(text) == "KGZ"


@pytest.mark.parametrize("text", ["K GZ", "KG", "KGZX", "XYZ", "", "   ", "\u00a0"])
def test_not_an_iso3_code(text):
    assert resolve_country(text) is None


# --- resolving names -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("iso3", MEMBERS)
def test_every_un_name_resolves_back(iso3, language):
    name = country_name(iso3, language)
    assert name and name == name.strip()
    assert resolve_member_state(name) == iso3
    assert resolve_member_state(name.upper()) == iso3


@pytest.mark.parametrize(
    ("text", "iso3"),
    [
        # The spec's examples.
        ("Kyrgyzstan", "KGZ"),
        ("Kirghizistan", "KGZ"),
        ("Кыргызстан", "KGZ"),
        ("Viet Nam", "VNM"),
        ("Côte d'Ivoire", "CIV"),
        ("Côte d’Ivoire", "CIV"),
        ("Côte dʼIvoire", "CIV"),
        ("Côte d`Ivoire", "CIV"),
        ("cote d'ivoire", "CIV"),
        ("COTE D IVOIRE", "CIV"),
        ("Bolivia (Estado Plurinacional de)", "BOL"),
        ("Bolivia (Plurinational State of)", "BOL"),
        ("Bolivia, Plurinational State of", "BOL"),
        ("Bolivie (État plurinational de)", "BOL"),
        ("Боливия (Многонациональное Государство)", "BOL"),
        ("Türkiye", "TUR"),
        ("Turkiye", "TUR"),
        ("Turkey", "TUR"),
        ("Turquie", "TUR"),
        ("Russian Federation", "RUS"),
        ("Российская Федерация", "RUS"),
        ("Россия", "RUS"),
        ("Fédération de Russie", "RUS"),
        ("États-Unis d'Amérique", "USA"),
        ("Etats-Unis d’Amerique", "USA"),
        ("Estados Unidos de América", "USA"),
        ("Соединённые Штаты Америки", "USA"),
        ("United States", "USA"),
        ("Iran (Islamic Republic of)", "IRN"),
        ("Islamic Republic of Iran", "IRN"),
        # Other old, common and official names.
        ("Киргизия", "KGZ"),
        ("Kyrgyz Republic", "KGZ"),
        ("Vietnam", "VNM"),
        ("Netherlands", "NLD"),
        ("Netherlands (Kingdom of the)", "NLD"),
        ("Kingdom of the Netherlands", "NLD"),
        ("United Kingdom", "GBR"),
        ("Swaziland", "SWZ"),
        ("Burma", "MMR"),
        ("Czech Republic", "CZE"),
        ("Cape Verde", "CPV"),
        # UNTERM writes the article after the name.
        ("Gambia (the)", "GMB"),
        ("Afghanistan (l')", "AFG"),
        ("Argentina (la)", "ARG"),
        ("The Gambia", "GMB"),
        ("El Salvador", "SLV"),
        # Whitespace and punctuation as people type them.
        ("  Viet\u00a0\u00a0Nam ", "VNM"),
        ("Guinea Bissau", "GNB"),
        ("Timor Leste", "TLS"),
        ("Папуа-Новая Гвинея", "PNG"),
        ("Saint Vincent & the Grenadines", "VCT"),
    ],
)
def test_names(text, iso3):
    assert resolve_member_state(text) == iso3


CONFUSABLE = {
    "NER": ["Niger", "Níger", "Нигер", "Republic of the Niger", "Niger (the)"],
    "NGA": ["Nigeria", "Nigéria", "Нигерия", "Federal Republic of Nigeria"],
    "GIN": ["Guinea", "Guinée", "Гвинея", "Republic of Guinea"],
    "GNQ": ["Equatorial Guinea", "Guinée équatoriale", "Guinea Ecuatorial", "Экваториальная Гвинея"],
    "GNB": ["Guinea-Bissau", "Guinée-Bissau", "Guinea-Bisáu", "Гвинея-Бисау"],
    "PNG": ["Papua New Guinea", "Papouasie-Nouvelle-Guinée", "Papúa Nueva Guinea", "Папуа — Новая Гвинея"],
    "COG": ["Congo", "Republic of the Congo", "République du Congo", "Конго", "Congo-Brazzaville"],
    "COD": [
        "Democratic Republic of the Congo",
        "Congo, The Democratic Republic of the",
        "République démocratique du Congo",
        "República Democrática del Congo",
        "Демократическая Республика Конго",
        "DR Congo",
    ],
    "DMA": ["Dominica", "Dominique", "Доминика", "Commonwealth of Dominica"],
    "DOM": [
        "Dominican Republic",
        "République dominicaine",
        "República Dominicana",
        "Доминиканская Республика",
    ],
    "SDN": ["Sudan", "Soudan", "Sudán", "Судан", "Republic of the Sudan"],
    "SSD": ["South Sudan", "Soudan du Sud", "Sudán del Sur", "Южный Судан"],
    "KOR": [
        "Republic of Korea",
        "Korea, Republic of",
        "République de Corée",
        "Республика Корея",
        "South Korea",
    ],
    "PRK": [
        "Democratic People's Republic of Korea",
        "Korea, Democratic People's Republic of",
        "République populaire démocratique de Corée",
        "República Popular Democrática de Corea",
        "Корейская Народно-Демократическая Республика",
        "North Korea",
    ],
    "AUT": ["Austria", "Autriche", "Австрия", "Republic of Austria"],
    "AUS": ["Australia", "Australie", "Австралия", "Commonwealth of Australia"],
}


@pytest.mark.parametrize(("iso3", "text"), [(iso3, t) for iso3, texts in CONFUSABLE.items() for t in texts])
def test_confusable_countries_stay_apart(iso3, text):
    assert resolve_member_state(text) == iso3


@pytest.mark.parametrize("text", ["Korea", "Корея", "Virgin Islands", "Guinée", "Congo"])
def test_bare_shared_names(text):
    """A name several countries share resolves only where the UN gives it to one of them."""
    expected = {"Guinée": "GIN", "Congo": "COG"}.get(text)
    assert resolve_country(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Nigeria and Niger",
        "Niger delta",
        "Guinea Ecuatorial y Guinea",
        "Austria-Hungary",
        "Atlantis",
        "Europe",
    ],
)
def test_no_partial_matches(text):
    assert resolve_country(text) is None


def test_no_name_means_two_countries():
    tables = countries._tables()
    assert not tables.ambiguous
    un_keys: dict[str, str] = {}
    for iso3 in MEMBERS:
        for language in LANGUAGES:
            key = countries._key(country_name(iso3, language))
            assert un_keys.setdefault(key, iso3) == iso3, (key, un_keys[key], iso3)


def test_every_library_name_resolves_to_the_country_its_library_means():
    """pycountry, babel and country_converter names never land on a different country."""
    tables = countries._tables()
    assert tables.all_keys
    assert [(key, iso3) for key, iso3 in tables.all_keys if tables.index.get(key) != iso3] == []


@pytest.mark.parametrize("joiner", [" and ", " y ", ", "])
def test_two_countries_named_together_resolve_to_neither(joiner):
    for first, second in itertools.permutations(CONFUSABLE, 2):
        text = country_name(first, "EN") + joiner + country_name(second, "EN")
        assert resolve_country(text) is None, text


@pytest.mark.parametrize("iso3", MEMBERS)
def test_english_regex_fallback_never_contradicts_a_name(iso3):
    """country_converter's regexes may only add names, never move one to another country."""
    for language in LANGUAGES:
        found = countries._resolve_by_regex(countries._clean(country_name(iso3, language)))
        assert found in (None, iso3)


# --- non-members -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Kosovo", "Kosovo"),
        ("XKX", "Kosovo"),
        ("Holy See", "Holy See"),
        ("Saint-Siège", "Holy See"),
        ("VAT", "Holy See"),
        ("State of Palestine", "State of Palestine"),
        ("Palestine, State of", "State of Palestine"),
        ("Государство Палестина", "State of Palestine"),
        ("Taiwan", "Taiwan"),
        ("TWN", "Taiwan"),
        ("Western Sahara", "Western Sahara"),
        ("Sahara occidental", "Western Sahara"),
        ("Puerto Rico", "Puerto Rico"),
    ],
)
def test_non_members(text, name):
    assert resolve_country(text) is not None
    assert resolve_member_state(text) is None
    assert non_member_reason(text) == name


@pytest.mark.parametrize("text", ["Kyrgyzstan", "KGZ", "Atlantis", "", "Korea"])
def test_no_non_member_reason_for_members_or_unknown_text(text):
    assert non_member_reason(text) is None


# --- names, regions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("iso3", "language", "name"),
    [
        ("VNM", "EN", "Viet Nam"),
        ("TUR", "EN", "Türkiye"),
        ("BOL", "EN", "Bolivia (Plurinational State of)"),
        ("CIV", "EN", "Côte d'Ivoire"),
        ("CIV", "ES", "Côte d'Ivoire"),
        ("IRN", "EN", "Iran (Islamic Republic of)"),
        ("GBR", "EN", "United Kingdom of Great Britain and Northern Ireland"),
        ("USA", "EN", "United States of America"),
        ("KOR", "EN", "Republic of Korea"),
        ("NLD", "EN", "Netherlands (Kingdom of the)"),
        ("KGZ", "FR", "Kirghizistan"),
        ("KGZ", "ES", "Kirguistán"),
        ("KGZ", "RU", "Кыргызстан"),
        ("BOL", "ES", "Bolivia (Estado Plurinacional de)"),
        ("USA", "FR", "États-Unis d'Amérique"),
        ("USA", "ES", "Estados Unidos de América"),
        ("RUS", "RU", "Российская Федерация"),
        ("ARE", "RU", "Объединенные Арабские Эмираты"),
        ("FRA", "fr", "France"),
    ],
)
def test_country_name(iso3, language, name):
    assert country_name(iso3, language) == name


def test_country_name_rejects_other_languages_and_non_members():
    with pytest.raises(ValueError):
        country_name("FRA", "DE")
    with pytest.raises(KeyError):
        country_name("XKX", "EN")


@pytest.mark.parametrize(
    ("iso3", "region", "subregion"),
    [
        ("KGZ", "Asia", "Central Asia"),
        ("BRA", "Americas", "Latin America and the Caribbean"),
        ("MEX", "Americas", "Latin America and the Caribbean"),
        ("JAM", "Americas", "Latin America and the Caribbean"),
        ("NGA", "Africa", "Sub-Saharan Africa"),
        ("COD", "Africa", "Sub-Saharan Africa"),
        ("SDN", "Africa", "Northern Africa"),
        ("USA", "Americas", "Northern America"),
        ("FJI", "Oceania", "Melanesia"),
        ("NRU", "Oceania", "Micronesia"),
        ("FRA", "Europe", "Western Europe"),
        ("CYP", "Asia", "Western Asia"),
        ("TUR", "Asia", "Western Asia"),
        ("RUS", "Europe", "Eastern Europe"),
    ],
)
def test_regions(iso3, region, subregion):
    info = country_info(iso3)
    assert (info.region, info.subregion) == (region, subregion)


def test_country_info():
    info = country_info("KGZ")
    assert info == CountryInfo(
        iso3="KGZ", name="Kyrgyzstan", region="Asia", subregion="Central Asia", m49=417
    )
    assert country_info("civ").name == "Côte d'Ivoire"
    assert country_info("BOL").m49 == 68
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.name = "Kirghizia"  # type: ignore[misc]
    for code in ("XKX", "TWN", "VAT", "PSE", "ZZZ"):
        with pytest.raises(KeyError):
            country_info(code)


def test_every_member_has_a_region_and_subregion_from_m49():
    seen_subregions = set()
    for iso3 in MEMBERS:
        info = country_info(iso3)
        assert info.iso3 == iso3
        assert info.name == country_name(iso3, "EN")
        assert info.subregion in SUBREGIONS
        assert info.region in REGIONS
        assert M49_REGION_OF_SUBREGION[info.subregion] == info.region
        assert 0 < info.m49 < 1000
        seen_subregions.add(info.subregion)
    assert seen_subregions == SUBREGIONS
    assert len({country_info(iso3).m49 for iso3 in MEMBERS}) == 193


def test_regions_agree_with_country_converters_continent():
    """A second opinion from the same library: its continent, less "America" for M49's "Americas"."""
    import country_converter

    data = country_converter.CountryConverter().data.set_index("ISO3")
    for iso3 in MEMBERS:
        continent = data.loc[iso3, "continent"]
        assert country_info(iso3).region == {"America": "Americas"}.get(continent, continent), iso3


# --- the override table stays small and honest -----------------------------------------------------


def test_every_override_differs_from_the_libraries():
    """An override the libraries have caught up with is dead weight: drop it."""
    for iso3, names in countries._UN_SHORT_NAMES.items():
        for language, name in names.items():
            assert language in LANGUAGES
            assert name == name.strip() and "’" not in name
            if iso3 in MEMBERS:
                assert countries._library_name(iso3, language) != name, (iso3, language, name)


def test_membership_from_country_converter_matches_the_overrides():
    non_members_with_un_names = {"VAT", "PSE"}
    assert non_members_with_un_names.isdisjoint(MEMBERS)
    assert set(countries._UN_SHORT_NAMES) - non_members_with_un_names <= set(MEMBERS)
