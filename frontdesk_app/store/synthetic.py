"""Made-up people, places and medicines for the demo clinic and the call simulator.

Every name here was invented for this project: any likeness to a real person is chance.
Phone numbers use the 555-01xx range reserved for fiction.
"""

from __future__ import annotations

import random

FIRST_NAMES: tuple[str, ...] = (
    "Avery", "Bianca", "Caleb", "Dalia", "Elias", "Farah", "Gideon", "Hana", "Ivo", "Juna",
    "Kellan", "Lorna", "Matteo", "Nadia", "Orrin", "Priya", "Quinn", "Rosalind", "Soren",
    "Talia", "Umar", "Vera", "Wendell", "Xiomara", "Yusuf", "Zelda", "Anouk", "Bram", "Celeste",
    "Desmond", "Esme", "Florian", "Greta", "Hollis", "Ines", "Jasper", "Kira", "Leandro",
    "Maren", "Nico", "Odette", "Pascal", "Rhea", "Silas", "Tamsin", "Ulla", "Viggo", "Wren",
    "Yara", "Zeno", "Amara", "Beckett", "Cosima", "Dorian", "Elodie", "Fintan", "Gwen",
    "Harlan", "Isolde", "Jonah",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "Ashdown", "Brightwater", "Calloway", "Delacroix-Fenn", "Everhart", "Fairweather",
    "Galloway", "Hollingsworth", "Ibarra-Lune", "Jessup", "Kettleby", "Larkspur", "Merriweather",
    "Northcott", "Oakenfold", "Pemberton", "Quillfeather", "Rowntree", "Stonebridge",
    "Thistlewood", "Underhill", "Vantongeren", "Whitlock", "Yarborough", "Zellweger-Moss",
    "Alderidge", "Birchall", "Coldwell", "Dunmore", "Elsworth", "Fenwick", "Greystone",
    "Harrowgate", "Ivesdale", "Juniper", "Kingsley-Marr", "Lockhart", "Marchetti", "Nettleton",
    "Ormsby", "Penhallow", "Radcliffe", "Sablewood", "Tremaine", "Upshaw", "Vellacott",
    "Winterbourne", "Yelverton", "Zabriskie", "Ambrose",
)  # fmt: skip

MEDICATIONS: tuple[str, ...] = (
    "Lisinopril 10mg", "Atorvastatin 20mg", "Metformin 500mg", "Levothyroxine 50mcg",
    "Amlodipine 5mg", "Sertraline 50mg", "Omeprazole 20mg", "Losartan 50mg",
    "Albuterol HFA 90mcg", "Gabapentin 300mg", "Montelukast 10mg", "Escitalopram 10mg",
    "Rosuvastatin 10mg", "Hydrochlorothiazide 25mg", "Fluticasone 50mcg nasal spray",
    "Amoxicillin 500mg", "Pantoprazole 40mg", "Bupropion XL 150mg",
)  # fmt: skip

PHARMACIES: tuple[tuple[str, str], ...] = (
    ("Maple Street Pharmacy #102", "(555) 010-2201"),
    ("Riverside Apothecary", "(555) 010-3302"),
    ("Cornerstone Drug #57", "(555) 010-4403"),
    ("Harbor Lights Pharmacy", "(555) 010-5504"),
    ("Greenleaf Community Pharmacy", "(555) 010-6605"),
    ("Northgate Rx #9", "(555) 010-7706"),
)


def person_name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def phone_number(rng: random.Random) -> str:
    """A fictional number: (555) 01x-xxxx."""
    return f"(555) 01{rng.randrange(10)}-{rng.randrange(10_000):04d}"
