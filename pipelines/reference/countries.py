"""Which UN member state a return comes from, and how the UN names and groups it.

A return's Cover names its member state by ISO 3166-1 alpha-3 code or by name in English, French,
Spanish or Russian, typed by a person: any case, accents or none, curly or straight apostrophes,
stray and non-breaking spaces. Published rows carry the UN English short name and the UN M49 region
and sub-region.

Names, codes and regions come from maintained libraries (pycountry for ISO 3166 and its French,
Spanish and Russian translations, babel for CLDR names, country_converter for UN membership, M49
groupings and English regexes) so that renamings reach us through upgrades. The libraries do not
carry the UN's official short names in French, Spanish and Russian, and in a few cases not in English
either; `_UN_SHORT_NAMES` below holds the UN's names exactly where the libraries' differ, and
tests/reference/test_countries.py fails if any entry becomes redundant.

Matching is exact on a normalised name (no fuzzy or substring matching) so that Niger never turns
into Nigeria; country_converter's English regexes are consulted last, anchored, and only when the
phrase is not shared by the names of two different countries ("Korea").
"""

from __future__ import annotations

import dataclasses
import functools
import gettext
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from pipelines.reference import tables_cache

LANGUAGES: tuple[str, ...] = ("EN", "FR", "ES", "RU")

# UN official short names where the libraries' names differ from the UN's. Source: UNTERM
# (https://unterm.un.org), short names without the article in parentheses, the form used by UN M49
# "Standard country or area codes for statistical use" (https://unstats.un.org/unsd/methodology/m49/).
# Renamings since: Türkiye (2022), Netherlands (Kingdom of the) (2023). Only the languages in which the
# library-derived name (see `_library_name`) differs are listed. HOLY SEE and STATE OF PALESTINE are
# the two non-member observer States, named as the UN names them (pycountry has "Holy See (Vatican
# City State)" and "Palestine, State of", which a focal point would not write).
_UN_SHORT_NAMES: dict[str, dict[str, str]] = {
    "BEN": {"ES": "Benin"},
    "BGD": {"ES": "Bangladesh"},
    "BHR": {"ES": "Bahrein"},
    "BHS": {"RU": "Багамские Острова"},
    "BLR": {"ES": "Belarús"},
    "BOL": {
        "FR": "Bolivie (État plurinational de)",
        "ES": "Bolivia (Estado Plurinacional de)",
        "RU": "Боливия (Многонациональное Государство)",
    },
    "BRN": {"ES": "Brunei Darussalam", "RU": "Бруней-Даруссалам"},
    "BTN": {"ES": "Bhután"},
    "BWA": {"ES": "Botswana"},
    "CAF": {"RU": "Центральноафриканская Республика"},
    "COD": {"EN": "Democratic Republic of the Congo"},
    "COG": {"FR": "Congo"},
    "COM": {"RU": "Коморские Острова"},
    "CPV": {"FR": "Cabo Verde"},
    "DJI": {"ES": "Djibouti"},
    "DOM": {"RU": "Доминиканская Республика"},
    "FJI": {"ES": "Fiji"},
    "FSM": {"ES": "Micronesia (Estados Federados de)", "RU": "Микронезия (Федеративные Штаты)"},
    "GBR": {
        "EN": "United Kingdom of Great Britain and Northern Ireland",
        "FR": "Royaume-Uni de Grande-Bretagne et d'Irlande du Nord",
        "ES": "Reino Unido de Gran Bretaña e Irlanda del Norte",
        "RU": "Соединенное Королевство Великобритании и Северной Ирландии",
    },
    "GNB": {"ES": "Guinea-Bissau"},
    "GNQ": {"FR": "Guinée équatoriale"},
    "IRN": {"ES": "Irán (República Islámica del)", "RU": "Иран (Исламская Республика)"},
    "IRQ": {"FR": "Iraq", "ES": "Iraq"},
    "KAZ": {"ES": "Kazajstán"},
    "KEN": {"ES": "Kenya"},
    "KGZ": {"RU": "Кыргызстан"},
    "KNA": {"FR": "Saint-Kitts-et-Nevis", "ES": "Saint Kitts y Nevis"},
    "KOR": {"EN": "Republic of Korea", "FR": "République de Corée", "ES": "República de Corea"},
    "LAO": {"FR": "République démocratique populaire lao", "ES": "República Democrática Popular Lao"},
    "LSO": {"ES": "Lesotho"},
    "MDA": {"EN": "Republic of Moldova", "FR": "République de Moldova", "ES": "República de Moldova"},
    "MDV": {"RU": "Мальдивские Острова"},
    "MHL": {"RU": "Маршалловы Острова"},
    "MLI": {"ES": "Malí"},
    "MMR": {"FR": "Myanmar", "ES": "Myanmar"},
    "MWI": {"ES": "Malawi"},
    "NGA": {"FR": "Nigéria"},
    "NLD": {
        "EN": "Netherlands (Kingdom of the)",
        "FR": "Pays-Bas (Royaume des)",
        "ES": "Países Bajos (Reino de los)",
        "RU": "Нидерланды (Королевство)",
    },
    "NZL": {"ES": "Nueva Zelandia"},
    "PLW": {"ES": "Palau"},
    "PNG": {"ES": "Papua Nueva Guinea"},
    "PRK": {
        "EN": "Democratic People's Republic of Korea",
        "FR": "République populaire démocratique de Corée",
        "ES": "República Popular Democrática de Corea",
    },
    "QAT": {"ES": "Qatar"},
    "ROU": {"ES": "Rumania"},
    "RUS": {"FR": "Fédération de Russie", "ES": "Federación de Rusia"},
    "RWA": {"ES": "Rwanda"},
    "SAU": {"ES": "Arabia Saudita"},
    "SLB": {"FR": "Îles Salomon"},
    "SLV": {"FR": "El Salvador"},
    "SUR": {"FR": "Suriname", "ES": "Suriname"},
    "SWZ": {"ES": "Eswatini"},
    "SYC": {"RU": "Сейшельские Острова"},
    "SYR": {"FR": "République arabe syrienne", "ES": "República Árabe Siria"},
    "TLS": {"FR": "Timor-Leste", "RU": "Тимор-Лешти"},
    "TTO": {"ES": "Trinidad y Tabago"},
    "TUR": {"FR": "Türkiye", "ES": "Türkiye"},
    "TZA": {
        "EN": "United Republic of Tanzania",
        "FR": "République-Unie de Tanzanie",
        "ES": "República Unida de Tanzanía",
        "RU": "Объединенная Республика Танзания",
    },
    "USA": {
        "EN": "United States of America",
        "FR": "États-Unis d'Amérique",
        "ES": "Estados Unidos de América",
        "RU": "Соединенные Штаты Америки",
    },
    "VCT": {"FR": "Saint-Vincent-et-les Grenadines"},
    "VEN": {
        "FR": "Venezuela (République bolivarienne du)",
        "ES": "Venezuela (República Bolivariana de)",
        "RU": "Венесуэла (Боливарианская Республика)",
    },
    "VNM": {"FR": "Viet Nam", "ES": "Viet Nam"},
    "ZWE": {"ES": "Zimbabwe"},
    # Non-member observer States.
    "VAT": {"EN": "Holy See", "FR": "Saint-Siège", "ES": "Santa Sede", "RU": "Святой Престол"},
    "PSE": {
        "EN": "State of Palestine",
        "FR": "État de Palestine",
        "ES": "Estado de Palestina",
        "RU": "Государство Палестина",
    },
}

# The UN M49 hierarchy above countries: intermediate region -> sub-region -> region. country_converter's
# `UNregion` holds the intermediate region where M49 has one (Africa south of the Sahara, Latin America
# and the Caribbean) and the sub-region elsewhere. Source: UN M49 "Standard country or area codes for
# statistical use", https://unstats.un.org/unsd/methodology/m49/.
_M49_SUBREGION_OF_INTERMEDIATE: dict[str, str] = {
    "Eastern Africa": "Sub-Saharan Africa",
    "Middle Africa": "Sub-Saharan Africa",
    "Southern Africa": "Sub-Saharan Africa",
    "Western Africa": "Sub-Saharan Africa",
    "Caribbean": "Latin America and the Caribbean",
    "Central America": "Latin America and the Caribbean",
    "South America": "Latin America and the Caribbean",
}
M49_REGION_OF_SUBREGION: MappingProxyType[str, str] = MappingProxyType(
    {
        "Northern Africa": "Africa",
        "Sub-Saharan Africa": "Africa",
        "Latin America and the Caribbean": "Americas",
        "Northern America": "Americas",
        "Central Asia": "Asia",
        "Eastern Asia": "Asia",
        "South-eastern Asia": "Asia",
        "Southern Asia": "Asia",
        "Western Asia": "Asia",
        "Eastern Europe": "Europe",
        "Northern Europe": "Europe",
        "Southern Europe": "Europe",
        "Western Europe": "Europe",
        "Australia and New Zealand": "Oceania",
        "Melanesia": "Oceania",
        "Micronesia": "Oceania",
        "Polynesia": "Oceania",
    }
)
# Where country_converter 1.3.2's `UNregion` disagrees with M49 (same source as above).
_M49_SUBREGION_OVERRIDES: dict[str, str] = {
    "NRU": "Micronesia",  # country_converter says Polynesia; M49 lists Nauru (520) under Micronesia (057).
}


@dataclass(frozen=True)
class CountryInfo:
    """What a published row says about its member state."""

    iso3: str
    name: str  # UN English short name
    region: str  # M49 region
    subregion: str  # M49 sub-region
    m49: int


# --- normalisation ---------------------------------------------------------------------------------

_APOSTROPHES = re.compile(r"['’ʼ`‘´′ʹ]")
# "Bahamas (the)", "Afghanistan (l')", "Argentina (la)": UNTERM writes the article after the name.
_TRAILING_ARTICLE = re.compile(r"\s*\((?:the|l'|le|la|les|el|los|las)\)\s*$")
# "The Gambia", "the State of Palestine", "La République française". Not Spanish "el": El Salvador.
_LEADING_ARTICLE = re.compile(r"^(?:the\s+|l'|le\s+|la\s+|les\s+)")
_NOT_WORD = re.compile(r"[\W_]+")


def _clean(text: str) -> str:
    """Case-folded text with invisible characters gone, one kind of apostrophe and single spaces.

    Kept separate from `_key` because country_converter's regexes want the punctuation.
    """
    text = unicodedata.normalize("NFKC", text)  # also turns non-breaking spaces into spaces
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")  # zero-width, soft hyphen
    text = _APOSTROPHES.sub("'", text.casefold())
    return " ".join(text.split())


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _key(text: str) -> str:
    """The form of a name that two spellings of the same name share.

    Accents, apostrophes, punctuation and articles go; "Bolivia, Plurinational State of" and
    "Bolivia (Plurinational State of)" meet, as do "Guinea-Bissau" and "Guinea Bissau".
    """
    text = _clean(text)
    text = _TRAILING_ARTICLE.sub("", text)
    text = _LEADING_ARTICLE.sub("", text)
    text = _strip_accents(text).replace("'", "").replace("&", " and ")
    return " ".join(_NOT_WORD.sub(" ", text).split())


def _display(name: str, language: str) -> str:
    """A name as our forms print it: straight apostrophes, and Russian without ё as UN texts write it."""
    name = name.replace("’", "'")
    if language == "RU":
        name = name.replace("ё", "е").replace("Ё", "Е")
    return name


def _iso_style_to_un_style(name: str) -> str:
    """ISO writes "Bolivia, Plurinational State of" where the UN writes "Bolivia (Plurinational State of)"."""
    head, sep, tail = name.partition(", ")
    return f"{head} ({tail})" if sep else name


# --- the tables, built once ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tables:
    members: tuple[str, ...]
    info: MappingProxyType[str, CountryInfo]
    un_names: MappingProxyType[str, MappingProxyType[str, str]]  # member iso3 -> language -> UN name
    english_names: MappingProxyType[str, str]  # every known iso3 -> an English name
    index: MappingProxyType[str, str]  # _key(name) -> iso3, unambiguous names only
    ambiguous: frozenset[str]  # keys that name several countries at the same rank
    all_keys: tuple[tuple[str, str], ...]  # (key, iso3) for every name, for the regex guard
    regex_sources: tuple[tuple[str, str], ...]  # (pattern, iso3): country_converter's English regexes


def _translator(language: str) -> gettext.NullTranslations:
    import pycountry  # deferred, like every library here (0.1 s to import): only _tables() calls this

    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language.lower()])


def _library_name(iso3: str, language: str) -> str:
    """The member state's name as the libraries give it, before `_UN_SHORT_NAMES`.

    Per language, the source closest to the UN's names: ISO 3166 (pycountry) in English, French and
    Russian, whose names the UN largely shares; CLDR (babel) in Spanish, where pycountry's translation
    is patchy ("Tunez", "Costa de Marfíl", "Burquina Faso").
    """
    import pycountry
    from babel import Locale

    country = pycountry.countries.get(alpha_3=iso3)
    if language == "EN":
        name = _iso_style_to_un_style(country.name)
    elif language == "ES":
        name = Locale("es").territories[country.alpha_2]
    else:
        name = _iso_style_to_un_style(_translator(language).gettext(country.name))
    return _display(name, language)


@functools.cache
def _tables() -> _Tables:
    """Everything, on first use: from the cache when it was built from these very sources, else built
    (0.3-0.7 s: country_converter's construction, babel's locale data, the name index) and cached."""
    key = tables_cache.fingerprint(Path(__file__))
    cached = tables_cache.load(key) if key else None
    if cached is not None:
        try:
            return _tables_from_json(cached)
        except (KeyError, TypeError, ValueError):  # a cache of another shape: built again below
            pass
    tables = _build_tables()
    if key:
        tables_cache.store(key, _tables_to_json(tables))
    return tables


def _tables_to_json(tables: _Tables) -> dict:
    return {
        "members": list(tables.members),
        "info": {iso3: dataclasses.astuple(info) for iso3, info in tables.info.items()},
        "un_names": {iso3: dict(names) for iso3, names in tables.un_names.items()},
        "english_names": dict(tables.english_names),
        "index": dict(tables.index),
        "ambiguous": sorted(tables.ambiguous),
        "all_keys": [list(pair) for pair in tables.all_keys],
        "regex_sources": [list(pair) for pair in tables.regex_sources],
    }


def _tables_from_json(data: dict) -> _Tables:
    return _Tables(
        members=tuple(data["members"]),
        info=MappingProxyType({iso3: CountryInfo(*fields) for iso3, fields in data["info"].items()}),
        un_names=MappingProxyType(
            {iso3: MappingProxyType(names) for iso3, names in data["un_names"].items()}
        ),
        english_names=MappingProxyType(data["english_names"]),
        index=MappingProxyType(data["index"]),
        ambiguous=frozenset(data["ambiguous"]),
        all_keys=tuple((key, iso3) for key, iso3 in data["all_keys"]),
        regex_sources=tuple((pattern, iso3) for pattern, iso3 in data["regex_sources"]),
    )


def _build_tables() -> _Tables:
    """Everything from the libraries: importing country_converter (and pandas) takes over a second."""
    import country_converter  # it imports pandas and reads its table at construction
    import pycountry
    from babel import Locale

    data = country_converter.CountryConverter().data
    members = tuple(sorted(data.loc[data["UNmember"].notna(), "ISO3"]))
    iso3_of_alpha2 = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    iso3_of_alpha2.update(zip(data["ISO2"], data["ISO3"], strict=True))  # adds Kosovo (XK/XKX)
    known = set(iso3_of_alpha2.values())

    un_names: dict[str, MappingProxyType[str, str]] = {}
    for iso3 in members:
        override = _UN_SHORT_NAMES.get(iso3, {})
        un_names[iso3] = MappingProxyType(
            {lang: override.get(lang) or _library_name(iso3, lang) for lang in LANGUAGES}
        )

    info: dict[str, CountryInfo] = {}
    unregion = dict(zip(data["ISO3"], data["UNregion"], strict=True))
    for iso3 in members:
        subregion = _M49_SUBREGION_OVERRIDES.get(iso3, unregion[iso3])
        subregion = _M49_SUBREGION_OF_INTERMEDIATE.get(subregion, subregion)
        info[iso3] = CountryInfo(
            iso3=iso3,
            name=un_names[iso3]["EN"],
            region=M49_REGION_OF_SUBREGION[subregion],
            subregion=subregion,
            m49=int(pycountry.countries.get(alpha_3=iso3).numeric),
        )

    # Names by rank: a name that means one country at a higher rank wins over a clash further down.
    ranks: list[list[tuple[str, str]]] = [[], [], []]
    for iso3, names in un_names.items():
        ranks[0].extend((name, iso3) for name in names.values())
    for iso3, names in _UN_SHORT_NAMES.items():
        ranks[0].extend((name, iso3) for name in names.values())
    translators = {lang: _translator(lang) for lang in ("FR", "ES", "RU")}
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            name = getattr(country, attr, None)
            if name:
                ranks[1].append((name, country.alpha_3))
                ranks[1].extend((t.gettext(name), country.alpha_3) for t in translators.values())
    for row in data[["ISO3", "name_short", "name_official"]].itertuples(index=False):
        ranks[1].extend((name, row.ISO3) for name in (row.name_short, row.name_official) if name)
    for lang in LANGUAGES:
        for alpha2, name in Locale(lang.lower()).territories.items():
            if alpha2 in iso3_of_alpha2:
                ranks[2].append((name, iso3_of_alpha2[alpha2]))

    index: dict[str, str] = {}
    ambiguous: set[str] = set()
    all_keys: set[tuple[str, str]] = set()
    for rank in ranks:
        by_key: dict[str, set[str]] = {}
        for name, iso3 in rank:
            key = _key(name)
            if key:
                by_key.setdefault(key, set()).add(iso3)
                all_keys.add((key, iso3))
        for key, isos in by_key.items():
            if key in index or key in ambiguous:
                continue
            if len(isos) == 1:
                index[key] = next(iter(isos))
            else:
                ambiguous.add(key)

    english_names = {iso3: un_names[iso3]["EN"] for iso3 in members}
    for iso3 in known - set(members):
        country = pycountry.countries.get(alpha_3=iso3)
        override = _UN_SHORT_NAMES.get(iso3, {}).get("EN")
        fallback = data.loc[data["ISO3"] == iso3, "name_short"].iloc[0] if country is None else None
        english_names[iso3] = (
            override or getattr(country, "common_name", None) or getattr(country, "name", None) or fallback
        )

    regex_sources = tuple(
        (str(pattern), str(iso3)) for pattern, iso3 in zip(data["regex"], data["ISO3"], strict=True)
    )
    return _Tables(
        members=members,
        info=MappingProxyType(info),
        un_names=MappingProxyType(un_names),
        english_names=MappingProxyType(english_names),
        index=MappingProxyType(index),
        ambiguous=frozenset(ambiguous),
        all_keys=tuple(sorted(all_keys)),
        regex_sources=regex_sources,
    )


@functools.cache
def _regexes() -> tuple[tuple[re.Pattern[str], str], ...]:
    """country_converter's English regexes, compiled when a name first needs them (~0.1 s)."""
    return tuple((re.compile(pattern, re.IGNORECASE), iso3) for pattern, iso3 in _tables().regex_sources)


# --- lookups ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _resolve_by_regex(cleaned: str) -> str | None:
    """country_converter's English regexes, as a last resort for names no library lists ("Turkey").

    Anchored (fullmatch), and only accepted when exactly one country's regex matches and no other
    country's name overlaps the text: "Korea" is part of both Koreas' names, and the regexes' leading
    ".*" would otherwise read "Guinea Ecuatorial y Guinea" as Guinea.
    """
    tables = _tables()
    candidates = {cleaned, _strip_accents(cleaned)}
    hits = {iso3 for pattern, iso3 in _regexes() for text in candidates if pattern.fullmatch(text)}
    key = _key(cleaned)
    if len(hits) != 1 or not key:
        return None
    (hit,) = hits
    padded = f" {key} "
    for name_key, iso3 in tables.all_keys:
        if iso3 != hit and (padded in f" {name_key} " or f" {name_key} " in padded):
            return None
    return hit


def member_states() -> tuple[str, ...]:
    """The 193 ISO3 codes, sorted: what a Cover may name."""
    return _tables().members


def resolve_country(text: str) -> str | None:
    """ISO3 for whatever a focal point typed, member or not, so the caller can tell "unknown" from
    "not a member"; None when it names no country, or could name several."""
    if not isinstance(text, str):
        return None
    tables = _tables()
    cleaned = _clean(text)
    if len(cleaned) == 3 and cleaned.isascii() and cleaned.isalpha():
        code = cleaned.upper()
        if code in tables.english_names:
            return code
    key = _key(text)
    if not key or key in tables.ambiguous:
        return None
    found = tables.index.get(key)
    if found is not None:
        return found
    return _resolve_by_regex(cleaned)


def resolve_member_state(text: str) -> str | None:
    """resolve_country, narrowed to the UN member states a return can come from."""
    iso3 = resolve_country(text)
    return iso3 if iso3 in _tables().info else None


def country_info(iso3: str) -> CountryInfo:
    """The member state as published rows describe it; KeyError for anything that is not a member."""
    return _tables().info[iso3.strip().upper()]


def country_name(iso3: str, language: str) -> str:
    """The UN short name a form shows in `language` (EN, FR, ES or RU); it resolves back to `iso3`."""
    lang = language.strip().upper()
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    return _tables().un_names[iso3.strip().upper()][lang]


def non_member_reason(text: str) -> str | None:
    """The English name of the country `text` names if it is not a UN member ("Kosovo"), so the
    pipeline can say why it refuses the return; None for members and for unknown text."""
    iso3 = resolve_country(text)
    if iso3 is None or iso3 in _tables().info:
        return None
    return _tables().english_names[iso3]
