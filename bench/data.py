"""Realistic, varied users for the benchmark: names unique case-insensitively, addresses,
ages, professions and websites, generated deterministically from a seed.

A row holds every column of `users` except the id (the database assigns 1..N in order):
the values as a client would send them and the folded keys the SQL adapter maintains
(see adapters/tables.py): `<field>_key` is `casefold()`, `address_prefix` the first
ADDRESS_PREFIX_LENGTH characters of the address key. search_keys_sql() fills
`user_search_keys` from them afterwards: the four keys joined with SEARCH_SEPARATOR.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator
from typing import Final

from adapters.tables import ADDRESS_PREFIX_LENGTH
from adapters.tables import users as users_table
from domain.model import STRING_ATTRIBUTES, comparison_key

#: A profession about one user in RARE_ONE_IN has, and a substring only it contains: the
#: `filter[search]` scenario looks for it.
RARE_PROFESSION: Final = "Taxidermist"
RARE_TERM: Final = "taxiderm"
RARE_ONE_IN: Final = 40_000
#: Terms for the filtered-list scenarios: in every user's website, in one address in eight
#: (one of the eight STREET_KINDS); and a profession to filter on exactly.
EVERY_USER_TERM: Final = "http"
ONE_IN_EIGHT_TERM: Final = "avenue"
FILTER_PROFESSION: Final = "Teacher"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES: Final = _words(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy "
    "Matthew Betty Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily "
    "Andrew Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Dorothy George Melissa "
    "Timothy Deborah Ronald Stephanie Edward Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia "
    "Jacob Kathleen Gary Amy Nicholas Angela Eric Shirley Jonathan Anna Stephen Brenda Larry "
    "Pamela Justin Emma Scott Nicole Brandon Helen Benjamin Samantha Samuel Katherine Gregory "
    "Christine Alexander Debra Frank Rachel Patrick Carolyn Raymond Janet Jack Catherine "
    "Dennis Maria Jerry Heather Tyler Diane Aaron Ruth Jose Julie Adam Olivia Nathan Joyce "
    "Henry Virginia Zachary Victoria Douglas Kelly Peter Lauren Kyle Christina Noah Joan "
    "Ethan Evelyn Jeremy Judith Walter Megan Christian Andrea Keith Cheryl Roger Hannah "
    "Terry Jacqueline Austin Martha Sean Gloria Gerald Teresa Carl Ann Harold Sara Dylan "
    "Madison Arthur Frances Lawrence Kathryn Jordan Janice Jesse Jean Bryan Abigail Billy "
    "Alice Bruce Judy Gabriel Sophia Joe Grace Logan Denise Alan Amber Juan Doris Albert "
    "Marilyn Willie Danielle Elijah Beverly Wayne Isabella Randy Theresa Vincent Diana "
    "Mason Natalie Roy Brittany Ralph Charlotte Bobby Marie Russell Kayla Bradley Alexis "
    "Philip Lori José Zoë Łukasz Søren Ægir Björn Chloé François Jürgen Małgorzata Siobhán "
    "Ines Mateo Aiko Hiroshi Priya Arjun Wei Mei Olumide Chiamaka Fatima Omar Yusuf Leila "
    "Dmitri Anastasia Ngozi Kwame Giulia Lorenzo Astrid Nils Ólafur Þóra Renée Noël"
)

LAST_NAMES: Final = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott "
    "Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter "
    "Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart "
    "Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed "
    "Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray "
    "Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez "
    "Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales "
    "Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds "
    "Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar "
    "Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington "
    "Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson "
    "Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Muñoz Hunt Hicks Holmes "
    "Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice "
    "Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant "
    "Dunn Kelley Spencer Hawkins Arnold Pierce Hansen Peters Santos Hart Bradley Knight "
    "Müller Schäfer Strauß Strauss Østergaard Kowalski Nowak Dubois Lefèvre O'Brien "
    "O'Connor MacLeod Nakamura Tanaka Yamamoto Sato Singh Gupta Okafor Adeyemi Mensah Rossi "
    "Bianchi Lindqvist Johansson Petrov Ivanova Novák Horváth Papadopoulos Kaya Yılmaz"  # noqa: RUF001
)

STREETS: Final = _words(
    "Main Oak Pine Maple Cedar Elm Washington Lake Hill Park Church High Mill Station "
    "Victoria Queen King Bridge Chapel Green School North South West East River Spring "
    "Willow Birch Ash Cherry Walnut Chestnut Sunset Highland Meadow Forest Orchard Harbor "
    "Rue Lindenallee Goethe Schiller Bahnhof Kirch Via Roma Calle Mayor Avenida Paulista"
)
STREET_KINDS: Final = ("Street", "Avenue", "Road", "Lane", "Drive", "Way", "Court", "Place")
CITIES: Final = (
    "Springfield, IL",
    "Portland, OR",
    "Austin, TX",
    "Boston, MA",
    "Denver, CO",
    "Leeds",
    "Manchester",
    "Bristol",
    "Edinburgh",
    "Dublin",
    "Cork",
    "Toronto, ON",
    "Ottawa, ON",
    "Vancouver, BC",
    "Sydney NSW",
    "Melbourne VIC",
    "Auckland",
    "Berlin",
    "München",
    "Köln",
    "Zürich",
    "Wien",
    "Paris",
    "Lyon",
    "Montréal, QC",
    "Québec, QC",
    "Madrid",
    "Sevilla",
    "Lisboa",
    "São Paulo",
    "Kraków",
    "Łódź",
    "Praha",
    "Brno",
    "København",
    "Malmö",
    "Göteborg",
    "Oslo",
    "Reykjavík",
    "Helsinki",
    "Tallinn",
    "Rīga",
    "Vilnius",
    "Lagos",
    "Accra",
    "Nairobi",
    "Cape Town",
    "Mumbai",
    "Bengaluru",
    "Tokyo",
    "Osaka",
    "Seoul",
    "Singapore",
    "Istanbul",
    "Athens",
    "Roma",
    "Milano",
    "Napoli",
    "Amsterdam",
)
PROFESSIONS: Final = (
    "Software Engineer",
    "Teacher",
    "Nurse",
    "Accountant",
    "Electrician",
    "Plumber",
    "Carpenter",
    "Chef",
    "Pharmacist",
    "Physician",
    "Dentist",
    "Architect",
    "Lawyer",
    "Paralegal",
    "Graphic Designer",
    "Data Analyst",
    "Data Scientist",
    "Product Manager",
    "Project Manager",
    "Sales Representative",
    "Marketing Manager",
    "Journalist",
    "Editor",
    "Photographer",
    "Musician",
    "Librarian",
    "Firefighter",
    "Police Officer",
    "Paramedic",
    "Mechanic",
    "Welder",
    "Truck Driver",
    "Pilot",
    "Flight Attendant",
    "Farmer",
    "Baker",
    "Barista",
    "Bartender",
    "Waiter",
    "Hairdresser",
    "Veterinarian",
    "Psychologist",
    "Social Worker",
    "Civil Engineer",
    "Mechanical Engineer",
    "Biologist",
    "Chemist",
    "Physicist",
    "Economist",
    "Translator",
    "Real Estate Agent",
    "Insurance Broker",
    "Bank Teller",
    "Cashier",
    "Warehouse Worker",
    "Janitor",
    "Gardener",
    "Tailor",
    "Bricklayer",
    "Surveyor",
    "Optician",
    "Midwife",
    "Physiotherapist",
    "Dietitian",
    "Systems Administrator",
    "Web Developer",
    "UX Researcher",
    "Actuary",
    "Auditor",
    "Historian",
    "Archaeologist",
    "Geologist",
    "Meteorologist",
    "Statistician",
    "Professor",
    "Student",
    "Retired",
    "Entrepreneur",
    "Consultant",
    "Civil Servant",
    "Soldier",
    "Sailor",
    "Fisherman",
    "Butcher",
    "Florist",
    "Jeweller",
    "Locksmith",
    "Roofer",
    "Painter",
    "Sculptor",
    "Actor",
    "Dancer",
    "Writer",
    "Poet",
    "Illustrator",
    "Animator",
    "Game Designer",
    "Network Engineer",
    "Security Analyst",
    "Database Administrator",
    "Ingénieure",
    "Bäckerin",
    "Übersetzer",
    "Señora de la limpieza",
    "Enfermeira",
)
TLDS: Final = ("com", "net", "org", "io", "dev", "co.uk", "de", "fr", "example")


def _ascii_slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("ß", "ss").replace("ø", "o"))
    kept = "".join(c for c in decomposed if c.isascii() and c.isalnum())
    return kept.lower() or "user"


def _row(
    name: str, address: str, age: int, profession: str, website: str, now: str
) -> tuple[str, ...]:
    name_key, address_key = comparison_key(name), comparison_key(address)
    profession_key, website_key = comparison_key(profession), comparison_key(website)
    return (
        name, name_key, address, address_key, address_key[:ADDRESS_PREFIX_LENGTH], str(age),
        profession, profession_key, website, website_key, "1", now, now,
    )  # fmt: skip


#: The `users` columns a row fills, in row order.
COLUMNS: Final = (
    "name", "name_key", "address", "address_key", "address_prefix", "age", "profession",
    "profession_key", "website", "website_key", "version", "created_at",
    "updated_at",
)  # fmt: skip
# A row is written by position: an attribute added to domain.model.USER_ATTRIBUTES (and so
# to the table) must be generated here too, or seeding would fail later and less clearly.
if set(COLUMNS) != {column.name for column in users_table.columns} - {"id"}:
    raise RuntimeError("bench.data.COLUMNS no longer matches adapters.tables.users")


class Counts:
    """What was generated, for the consistency checks after seeding."""

    def __init__(self) -> None:
        self.users = 0
        self.rare = 0
        self.age_at_least: dict[int, int] = {}


def users(
    count: int, *, seed: int = 20261125, now: str, counts: Counts | None = None
) -> Iterator[tuple[str, ...]]:
    """`count` rows, names unique by comparison_key (as the name index demands)."""
    rng = random.Random(seed)
    choice, randint, rand = rng.choice, rng.randint, rng.random
    first_slugs = {name: _ascii_slug(name) for name in FIRST_NAMES}
    last_slugs = {name: _ascii_slug(name) for name in LAST_NAMES}
    seen: set[str] = set()
    counts = counts or Counts()
    ages = counts.age_at_least
    produced = 0
    while produced < count:
        first, last = choice(FIRST_NAMES), choice(LAST_NAMES)
        shape = rand()
        if shape < 0.45:
            name = f"{first} {chr(65 + randint(0, 25))}. {last}"
        elif shape < 0.85:
            name = f"{first} {last}-{choice(LAST_NAMES)}"
        elif shape < 0.95:
            name = f"{first} {last}"
        else:
            name = f"{first} {choice(FIRST_NAMES)} {last} {choice(('Jr.', 'Sr.', 'II', 'III'))}"
        key = comparison_key(name)
        if key in seen:
            continue
        seen.add(key)
        produced += 1
        address = f"{randint(1, 9999)} {choice(STREETS)} {choice(STREET_KINDS)}, {choice(CITIES)}"
        if rand() < 0.2:
            address = f"Apt {randint(1, 400)}, {address}"
        age = min(150, max(0, int(rng.gauss(42, 17))))
        ages[age] = ages.get(age, 0) + 1
        if rand() < 1 / RARE_ONE_IN:
            profession = RARE_PROFESSION
            counts.rare += 1
        else:
            profession = choice(PROFESSIONS)
        slug_first, slug_last = first_slugs[first], last_slugs[last]
        style = rand()
        if style < 0.4:
            website = f"https://{slug_first}{slug_last}{randint(1, 9999)}.{choice(TLDS)}"
        elif style < 0.7:
            website = f"https://www.{slug_last}-{slug_first}.{choice(TLDS)}/"
        elif style < 0.9:
            website = f"https://blog.example.net/~{slug_first}.{slug_last}{produced}"
        else:
            website = f"http://{slug_first}.{slug_last}.example.org/about"
        yield _row(name, address, age, profession, website, now)
    counts.users += produced


def search_keys_sql(placeholder: str) -> str:
    """Fills `user_search_keys` from the seeded users' keys, joined in SQL exactly as the
    adapter joins them in Python; `placeholder` (the driver's) stands for the separator."""
    joined = f" || {placeholder} || ".join(f"{a}_key" for a in STRING_ATTRIBUTES)
    return f"INSERT INTO user_search_keys (user_id, search_key) SELECT id, {joined} FROM users"
