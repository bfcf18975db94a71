"""Synthetic planning problems shaped like a Star Citizen org's supply chain.

The structure follows `shared/domain/star-citizen-facts.md`: raw ores held at refinery
stations are refined into materials (refining blueprints with yields below one, run costs and
durations taken from the real refining methods), materials are crafted into parts and parts
into products (several levels, alternative blueprints for some items, piece and SCU items
mixed, ingredient quality floors). Sources span the three tiers (own stock at the hangar and
elsewhere, member stock spread over stations, market listings with prices, reliabilities,
limited availability and box lot sizes), the locations form a systems > planets > stations
tree whose trip costs grow with distance from the delivery hangar, and demands ask for
top-level products, some with quality floors.

Everything is drawn from one ``random.Random(seed)``, so a (sizes, seed) pair always gives the
same problem. Numbers are illustrative game-like data, not facts the engine depends on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Any

from engine.problem import Problem, parse_problem

GAME_VERSION = "4.10 (synthetic)"

# (name, yield, relative time, relative cost) — the refining methods of the facts file.
REFINING_METHODS: tuple[tuple[str, float, float, float], ...] = (
    ("Dinyx Solventation", 0.5293, 12, 1),
    ("Ferron Exchange", 0.5293, 4, 2),
    ("Pyrometric Chromalysis", 0.5293, 2, 6),
    ("Electrostarolysis", 0.45, 1, 2),
    ("Gaskin Process", 0.45, 0.5, 6),
    ("Thermonatic Deposition", 0.45, 3, 1),
    ("Cormack", 0.3705, 0.25, 2),
    ("Kazen Winnowing", 0.3705, 0.75, 1),
    ("XCR Reaction", 0.3705, 0.125, 6),
)

ORE_NAMES: tuple[str, ...] = (
    "Aluminum", "Iron", "Hephaestanite", "Agricium", "Laranite", "Borase", "Beryl",
    "Tungsten", "Titanium", "Silicon", "Quartz", "Corundum", "Copper", "Tin", "Gold",
    "Taranite", "Bexalite", "Quantanium", "Stileron", "Riccite", "Lindinium", "Savrilium",
    "Torite",
)
# Crafting materials counted in pieces and found, not refined (M3A: 7 Hadanite, 7 Dolivine).
GEM_NAMES: tuple[str, ...] = ("Hadanite", "Dolivine", "Aphorite", "Janalite", "Carinite")

# Commodity crate sizes in SCU.
BOX_SIZES: tuple[int, ...] = (1, 2, 4, 8, 16, 24, 32)

# Ships' cargo capacity in SCU (facts file), used for policy.ship_capacity_scu.
SHIP_CAPACITIES: tuple[float, ...] = (96, 120, 128, 174)

# system -> planet -> named stations; more stations are synthesised under these planets.
STATIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "Stanton": {
        "Hurston": ("Lorville", "Everus Harbor", "HUR-L1", "HUR-L2"),
        "Crusader": ("Orison", "Seraphim Station", "CRU-L1"),
        "ArcCorp": ("Area 18", "Baijini Point", "ARC-L1 Wide Forest", "ARC-L2", "ARC-L4"),
        "microTech": ("New Babbage", "Port Tressler", "MIC-L1", "MIC-L2", "MIC-L5"),
    },
    "Pyro": {
        "Pyro I": ("Ruin Station",),
        "Pyro IV": ("Orbituary",),
        "Pyro V": ("Checkmate", "Stanton Gateway"),
    },
    "Nyx": {
        "Delamar": ("Levski",),
    },
}
LANDING_ZONES = frozenset({"Lorville", "Orison", "Area 18", "New Babbage", "Levski"})
REFINERY_MARK = ("-L", "Ruin", "Orbituary", "Checkmate")

PART_WORDS = ("Barrel", "Receiver", "Stock", "Frame", "Coil", "Capacitor", "Plate", "Lens",
              "Housing", "Actuator", "Servo", "Core", "Manifold", "Emitter", "Bracket")
PRODUCT_WORDS = ("P4-AR Rifle", "FS-9 LMG", "M3A Cannon", "MISC Ore Pod", "Arclight Pistol",
                 "S71 Rifle", "Medical Pen", "Armor Core", "CF-227 Repeater", "Tractor Beam",
                 "Mining Laser", "Quantum Drive", "Shield Emitter", "Cooler", "Power Plant")
MEMBER_NAMES = ("Vex", "Kara", "Orin", "Tamsin", "Bex", "Juno", "Rook", "Sable", "Nyx",
                "Ilya", "Mara", "Dax", "Pell", "Quill", "Zan", "Wren")


@dataclass(frozen=True, slots=True)
class Sizes:
    """How big a generated problem is. Items are split into four BOM levels."""

    ores: int
    gems: int
    materials: int
    parts: int
    products: int
    blueprints: int
    sources: int
    demands: int
    stations: int
    members: int

    @property
    def items(self) -> int:
        """Total number of items."""
        return self.ores + self.gems + self.materials + self.parts + self.products


PRESETS: dict[str, Sizes] = {
    "small": Sizes(ores=2, gems=0, materials=2, parts=3, products=3, blueprints=5,
                   sources=20, demands=3, stations=5, members=3),
    "craft": Sizes(ores=8, gems=2, materials=10, parts=18, products=12, blueprints=40,
                   sources=200, demands=10, stations=12, members=8),
    "org": Sizes(ores=40, gems=10, materials=60, parts=140, products=100, blueprints=400,
                 sources=1500, demands=40, stations=30, members=25),
}
PRESETS["large"] = Sizes(ores=160, gems=40, materials=240, parts=560, products=400,
                         blueprints=1600, sources=6000, demands=160, stations=60, members=100)



@dataclass(frozen=True, slots=True)
class Hardness:
    """Game features that make a problem harder than the presets (issue 13); all off = presets.

    whole_scu_lots: commodities sold in whole SCU (lot size 1) at many terminals (every
    station trades). own_quality: every source its own quality, uniform 0-1000.
    continuous_refining: two refining methods per ore at yields 0.37-0.53, continuous runs.
    quality_floors: fractional SCU ingredients carry floors 200/400/600 beside whole pieces.
    small_ship: a 32 SCU ship and trip costs 400-4,000, so trips dominate.
    member_prices: member stock with and without a price, over many stations.
    """

    whole_scu_lots: bool = False
    own_quality: bool = False
    continuous_refining: bool = False
    quality_floors: bool = False
    small_ship: bool = False
    member_prices: bool = False


ALL_HARD = Hardness(True, True, True, True, True, True)
SMALL_SHIP_SCU = 32.0


@dataclass(frozen=True, slots=True)
class Family:
    """A benchmark family: sizes between ``low`` and ``high`` (drawn per seed) and features."""

    low: Sizes
    high: Sizes
    hardness: Hardness

    def sizes(self, seed: int) -> Sizes:
        """The sizes of this family's problem for ``seed``: one draw between low and high."""
        t = random.Random(f"quartermaster-family/{seed}/{self.low}").random()

        def at(a: int, b: int) -> int:
            return a + round((b - a) * t)
        lo, hi = self.low, self.high
        return Sizes(ores=at(lo.ores, hi.ores), gems=at(lo.gems, hi.gems),
                     materials=at(lo.materials, hi.materials), parts=at(lo.parts, hi.parts),
                     products=at(lo.products, hi.products),
                     blueprints=at(lo.blueprints, hi.blueprints),
                     sources=at(lo.sources, hi.sources), demands=at(lo.demands, hi.demands),
                     stations=at(lo.stations, hi.stations), members=at(lo.members, hi.members))


_CRAFT_SIZE = Sizes(ores=8, gems=2, materials=10, parts=15, products=10, blueprints=45,
                    sources=210, demands=10, stations=20, members=10)
# Org size: 130-260 items, 140-270 blueprints, 540-1,070 sources, 15-30 demands.
_ORG_LOW = Sizes(ores=15, gems=4, materials=22, parts=52, products=37, blueprints=140,
                 sources=540, demands=15, stations=20, members=12)
_ORG_HIGH = Sizes(ores=30, gems=7, materials=45, parts=104, products=74, blueprints=270,
                  sources=1070, demands=30, stations=30, members=25)
# Twice org size: 528 items, 562 blueprints, 2,303 sources, 60 demands.
_ORG2_SIZE = Sizes(ores=60, gems=15, materials=90, parts=211, products=152, blueprints=562,
                   sources=2303, demands=60, stations=40, members=40)

# Issue 13's families, each reported on its own in docs/engine/benchmarks.md.
FAMILIES: dict[str, Family] = {
    "craft-hard": Family(_CRAFT_SIZE, _CRAFT_SIZE, ALL_HARD),
    "org-lots": Family(_ORG_LOW, _ORG_HIGH, Hardness(whole_scu_lots=True, own_quality=True)),
    "org-refine": Family(_ORG_LOW, _ORG_HIGH,
                         Hardness(continuous_refining=True, quality_floors=True,
                                  own_quality=True)),
    "org-trips": Family(_ORG_LOW, _ORG_HIGH, Hardness(small_ship=True, member_prices=True)),
    "org-hard": Family(_ORG_LOW, _ORG_HIGH, ALL_HARD),
    "org2-hard": Family(_ORG2_SIZE, _ORG2_SIZE, ALL_HARD),
}


def generate(preset: str, seed: int) -> Problem:
    """A problem of a named preset (small, craft, org, large) or family, deterministic."""
    if preset in FAMILIES:
        return generate_family(preset, seed)
    try:
        sizes = PRESETS[preset]
    except KeyError:
        choices = ", ".join([*PRESETS, *FAMILIES])
        raise ValueError(f"unknown preset {preset!r}; choose from {choices}") from None
    return generate_sized(sizes, seed, name=f"{preset} preset, seed {seed}")


def generate_family(family: str, seed: int) -> Problem:
    """A problem of a named benchmark family (:data:`FAMILIES`), deterministic for ``seed``."""
    fam = FAMILIES[family]
    return generate_sized(fam.sizes(seed), seed, name=f"{family} family, seed {seed}",
                          hardness=fam.hardness)


def generate_sized(sizes: Sizes, seed: int, *, name: str | None = None,
                   hardness: Hardness | None = None) -> Problem:
    """A problem of the given sizes, deterministic for ``seed`` (validated by parse_problem)."""
    return parse_problem(generate_document(sizes, seed, name=name, hardness=hardness))


def scaled(sizes: Sizes, factor: float) -> Sizes:
    """``sizes`` with every count multiplied by ``factor`` (at least 1 where it was >= 1)."""
    def f(n: int) -> int:
        return max(1 if n else 0, round(n * factor))
    return replace(sizes, ores=f(sizes.ores), gems=f(sizes.gems), materials=f(sizes.materials),
                   parts=f(sizes.parts), products=f(sizes.products),
                   blueprints=f(sizes.blueprints), sources=f(sizes.sources),
                   demands=f(sizes.demands), stations=f(sizes.stations),
                   members=f(sizes.members))


def generate_document(sizes: Sizes, seed: int, *, name: str | None = None,
                      hardness: Hardness | None = None) -> dict[str, Any]:
    """The problem document (a plain dict) behind :func:`generate_sized`."""
    return _Generator(sizes, seed, hardness or Hardness()).build(
        name or f"generated problem, seed {seed}")


@dataclass
class _ItemInfo:
    id: str
    level: int  # 0 ore, 1 gem (found, pieces), 2 material, 3 part, 4 product
    piece: bool
    volume: float
    value: float  # rough market value of one unit, used to price everything else
    ore: str | None = None  # for materials refined from an ore
    name: str = ""


class _Generator:
    def __init__(self, sizes: Sizes, seed: int, hardness: Hardness) -> None:
        self.sizes = sizes
        self.hard = hardness
        # Seed from a string so presets with the same seed still differ in their draws (the
        # presets' draws stay what they were: the features join the seed only when set).
        key = f"quartermaster/{seed}/{sizes}"
        if hardness != Hardness():
            key += f"/{hardness}"
        self.rng = random.Random(key)
        self.items: list[_ItemInfo] = []
        self.by_level: dict[int, list[_ItemInfo]] = {lvl: [] for lvl in range(5)}
        self.locations: list[dict[str, Any]] = []
        self.stations: list[str] = []
        self.refineries: list[str] = []
        self.markets: list[str] = []
        self.blueprints: list[dict[str, Any]] = []
        self.recipes_of: dict[str, int] = {}

    # -- helpers -----------------------------------------------------------------------
    def q(self, low: float, high: float, digits: int = 2) -> float:
        return round(self.rng.uniform(low, high), digits)

    def quality(self) -> int:
        # Most stock is middling; a few lots are very good or very poor.
        return max(0, min(1000, int(self.rng.gauss(500, 200))))

    def floor(self, chance: float) -> int:
        if self.rng.random() >= chance:
            return 0
        return self.rng.choice((1, 100, 200, 300, 400, 500, 600, 700))

    # -- locations ---------------------------------------------------------------------
    def build_locations(self) -> None:
        rng = self.rng
        named: list[tuple[str, str, str]] = []  # (system, planet, station)
        for system, planets in STATIONS.items():
            for planet, stations in planets.items():
                named.extend((system, planet, st) for st in stations)
        wanted = max(self.sizes.stations, 3)
        # Always keep Area 18 (the hangar's city) and at least one refinery; then fill.
        chosen = [n for n in named if n[2] in ("Area 18", "ARC-L1 Wide Forest", "Lorville")]
        rest = [n for n in named if n not in chosen]
        rng.shuffle(rest)
        chosen.extend(rest[: max(0, wanted - len(chosen))])
        planets_all = [(s, p) for s, ps in STATIONS.items() for p in ps]
        extra = 0
        while len(chosen) < wanted:
            extra += 1
            system, planet = rng.choice(planets_all)
            kind = rng.choice(("Outpost", "Station", "Depot", "-L"))
            label = f"{planet}-L{extra}" if kind == "-L" else f"{planet} {kind} {extra}"
            chosen.append((system, planet, label))

        home_system, home_planet = "Stanton", "ArcCorp"
        used_systems = sorted({c[0] for c in chosen}, key=list(STATIONS).index)
        for system in used_systems:
            self.locations.append({"id": slug(system), "name": system, "parent": None})
            for planet in STATIONS[system]:
                if any(c[0] == system and c[1] == planet for c in chosen):
                    self.locations.append({"id": slug(planet), "name": planet,
                                           "parent": slug(system)})
        self.locations.append({"id": "org-hangar", "name": "Org hangar, Area 18",
                               "parent": slug(home_planet)})
        for system, planet, station in chosen:
            if system != home_system:
                cost = rng.randrange(3000, 6001, 100)
            elif planet != home_planet:
                cost = rng.randrange(800, 2001, 50)
            else:
                cost = rng.randrange(200, 601, 25)
            if self.hard.small_ship:
                cost = rng.randrange(400, 4001, 50)
            record: dict[str, Any] = {"id": slug(station), "name": station,
                                      "parent": slug(planet)}
            # Leave some on the policy default, as real files would.
            if rng.random() < 0.85 or self.hard.small_ship:
                record["trip_cost"] = cost
            self.locations.append(record)
            self.stations.append(record["id"])
            if any(mark in station for mark in REFINERY_MARK):
                self.refineries.append(record["id"])
            if (station in LANDING_ZONES or "Station" in station or "Point" in station
                    or self.hard.whole_scu_lots):
                self.markets.append(record["id"])
        if not self.refineries:
            self.refineries.append(self.stations[-1])
        if not self.markets:
            self.markets.append(self.stations[0])

    # -- items -------------------------------------------------------------------------
    def add_item(self, info: _ItemInfo) -> None:
        self.items.append(info)
        self.by_level[info.level].append(info)

    def build_items(self) -> None:
        rng = self.rng
        s = self.sizes
        for i in range(s.ores):
            base = ORE_NAMES[i % len(ORE_NAMES)]
            suffix = "" if i < len(ORE_NAMES) else f" {i // len(ORE_NAMES) + 1}"
            self.add_item(_ItemInfo(id=slug(f"{base}{suffix} ore"), level=0, piece=False,
                                    volume=1.0, value=round(rng.uniform(80, 1800)),
                                    name=f"{base}{suffix} (Ore)"))
        for i in range(s.gems):
            base = GEM_NAMES[i % len(GEM_NAMES)]
            suffix = "" if i < len(GEM_NAMES) else f" {i // len(GEM_NAMES) + 1}"
            self.add_item(_ItemInfo(id=slug(base + suffix), level=1, piece=True,
                                    volume=round(rng.uniform(0.001, 0.01), 4),
                                    value=round(rng.uniform(20, 200)), name=base + suffix))
        ores = self.by_level[0]
        for i in range(s.materials):
            # The first materials are refined forms of the ores; the rest are bought-in alloys.
            if i < len(ores):
                ore = ores[i]
                self.add_item(_ItemInfo(id=ore.id.removesuffix("-ore"), level=2, piece=False,
                                        volume=1.0, value=round(ore.value / 0.5 * 1.1),
                                        ore=ore.id, name=ore.name.removesuffix(" (Ore)")))
            else:
                number = i - len(ores) + 1
                self.add_item(_ItemInfo(id=f"alloy-{number}", level=2, piece=False,
                                        volume=1.0, value=round(rng.uniform(300, 4000)),
                                        name=f"Alloy {number}"))
        for i in range(s.parts):
            word = PART_WORDS[i % len(PART_WORDS)]
            piece = rng.random() < 0.75
            self.add_item(_ItemInfo(id=slug(f"{word} {i + 1}"), level=3, piece=piece,
                                    volume=round(rng.uniform(0.005, 0.2), 3) if piece else 1.0,
                                    value=0.0, name=f"{word} {i + 1}"))
        for i in range(s.products):
            word = PRODUCT_WORDS[i % len(PRODUCT_WORDS)]
            self.add_item(_ItemInfo(id=slug(f"{word} {i + 1}"), level=4, piece=True,
                                    volume=round(rng.uniform(0.02, 1.5), 3), value=0.0,
                                    name=f"{word} #{i + 1}"))

    # -- blueprints ----------------------------------------------------------------------
    def refining(self, material: _ItemInfo, ore: _ItemInfo) -> dict[str, Any]:
        method, yld, minutes, cost = self.rng.choice(REFINING_METHODS)
        batch = self.rng.choice((1, 1, 2, 4, 8))
        k = self.recipes_of.get(material.id, 0)
        if self.hard.continuous_refining:
            # Any quantity of ore: one SCU per (real-valued) run, a yield of 0.37-0.53.
            yld, batch = self.q(0.37, 0.53, 4), 1
            return {
                "id": f"refine-{material.id}" + (f"-alt{k + 1}" if k else ""),
                "name": f"{method}: {ore.id} -> {material.id}",
                "output": {"item": material.id, "quantity": yld},
                "ingredients": [{"item": ore.id, "quantity": 1,
                                 "min_quality": self.floor(0.15)}],
                "run_cost": round(ore.value * 0.04 * cost, 2),
                "minutes": round(minutes * 10, 2),
                "continuous": True,
            }
        return {
            "id": f"refine-{material.id}" + (f"-alt{k + 1}" if k else ""),
            "name": f"{method}: {ore.id} -> {material.id}",
            "output": {"item": material.id, "quantity": round(yld * batch, 4)},
            "ingredients": [{"item": ore.id, "quantity": batch,
                             "min_quality": self.floor(0.15)}],
            "run_cost": round(ore.value * batch * 0.04 * cost, 2),
            "minutes": round(minutes * 10 * batch, 2),
        }

    def recipe(self, item: _ItemInfo) -> dict[str, Any]:
        rng = self.rng
        lower: list[_ItemInfo] = []
        if item.level == 3:
            lower = self.by_level[2] + self.by_level[1]
        else:
            lower = self.by_level[3] + self.by_level[2] + self.by_level[1]
        n = min(len(lower), rng.randint(2, 4))
        picks = rng.sample(lower, n)
        ingredients = []
        for ing in picks:
            if ing.piece:
                quantity: float = rng.randint(1, 8 if ing.level == 1 else 3)
            else:
                quantity = self.q(0.01, 0.5)
            floor = self.floor(0.25)
            if self.hard.quality_floors and not ing.piece:
                floor = rng.choice((0, 200, 400, 600))
            ingredients.append({"item": ing.id, "quantity": quantity, "min_quality": floor})
        out_qty: float = 1 if item.piece else self.q(0.25, 1.0)
        if item.piece and rng.random() < 0.15:
            out_qty = rng.choice((2, 4))
        k = self.recipes_of.get(item.id, 0)
        return {
            "id": f"craft-{item.id}" + (f"-alt{k + 1}" if k else ""),
            "name": f"{item.id} recipe {k + 1}",
            "output": {"item": item.id, "quantity": out_qty},
            "ingredients": ingredients,
            "run_cost": rng.choice((0, 0, 5, 10, 25, 50, 100)),
            "minutes": round(rng.uniform(1, 10), 1),
        }

    def add_blueprint(self, item: _ItemInfo) -> None:
        if item.level == 2:
            if item.ore is None:
                return
            ore = next(o for o in self.by_level[0] if o.id == item.ore)
            bp = self.refining(item, ore)
            if self.hard.continuous_refining and item.id not in self.recipes_of:
                # Two methods per ore: the second one joins the first.
                self.blueprints.append(bp)
                self.recipes_of[item.id] = 1
                bp = self.refining(item, ore)
        else:
            bp = self.recipe(item)
        self.blueprints.append(bp)
        self.recipes_of[item.id] = self.recipes_of.get(item.id, 0) + 1

    def build_blueprints(self) -> None:
        rng = self.rng
        budget = self.sizes.blueprints
        # Order of first recipes: products, parts, then refining (what an org most needs to craft).
        refinable = [m for m in self.by_level[2] if m.ore is not None]
        parts = self.by_level[3]
        # Interleave refining with parts so even tiny problems refine something.
        middle: list[_ItemInfo] = []
        for n in range(max(len(refinable), len(parts))):
            middle.extend(group[n] for group in (refinable, parts) if n < len(group))
        firsts = self.by_level[4] + middle
        for item in firsts:
            if len(self.blueprints) >= budget:
                break
            self.add_blueprint(item)
        candidates = [i for i in firsts if i.id in self.recipes_of]
        while len(self.blueprints) < budget and candidates:
            self.add_blueprint(rng.choice(candidates))
        # Two refining methods at once can overshoot by one: drop that second method.
        del self.blueprints[budget:]

    def value_items(self) -> None:
        """Market value of parts and products: their cheapest recipe's inputs plus a margin."""
        by_id = {i.id: i for i in self.items}
        recipes: dict[str, list[dict[str, Any]]] = {}
        for bp in self.blueprints:
            recipes.setdefault(bp["output"]["item"], []).append(bp)
        for level in (3, 4):
            for item in self.by_level[level]:
                costs = []
                for bp in recipes.get(item.id, []):
                    inputs = sum(by_id[i["item"]].value * i["quantity"]
                                 for i in bp["ingredients"])
                    costs.append((inputs + bp["run_cost"]) / bp["output"]["quantity"])
                base = min(costs) if costs else self.rng.uniform(100, 3000)
                item.value = round(max(base, 1.0) * self.rng.uniform(1.2, 2.0), 2)

    # -- sources -----------------------------------------------------------------------
    def source(self, item: _ItemInfo, tier: str, n: int) -> dict[str, Any]:
        rng = self.rng
        record: dict[str, Any] = {"id": f"src-{n}", "item": item.id, "tier": tier}
        if tier == "own":
            record["location"] = "org-hangar" if rng.random() < 0.6 else rng.choice(
                self.stations)
            record["holder"] = "org"
        elif tier == "member":
            record["location"] = rng.choice(self.refineries if item.level == 0
                                            and rng.random() < 0.6 else self.stations)
            record["holder"] = f"{rng.choice(MEMBER_NAMES)}-{rng.randrange(self.sizes.members)}"
            record["reliability"] = self.q(0.8, 1.0)
            if self.hard.member_prices and rng.random() < 0.5:
                record["unit_price"] = round(item.value * rng.uniform(0.4, 1.0), 2)
        else:
            pool = self.refineries if item.level == 0 else self.markets
            location = rng.choice(pool)
            record["location"] = location
            record["holder"] = f"TDD {location}"
            record["unit_price"] = round(item.value * rng.uniform(0.8, 1.35), 2)
            record["reliability"] = self.q(0.6, 1.0)
        # Quantities: SCU stock of a few boxes, piece stock in handfuls.
        if item.piece:
            amount: float = rng.randint(1, 40 if item.level <= 1 else 12)
        else:
            amount = self.q(0.5, 40 if item.level == 0 else 12)
        if tier != "market" or rng.random() < 0.3:
            record["available"] = amount
        if tier == "market" and not item.piece and self.hard.whole_scu_lots:
            # Whole SCU at most terminals, boxes at the rest.
            lot = 1 if rng.random() < 0.8 else rng.choice(BOX_SIZES[1:4])
            record["lot_size"] = lot
            if "available" in record:
                record["available"] = lot * rng.randint(1, 40)
        elif tier == "market" and not item.piece and rng.random() < 0.5:
            lot = rng.choice(BOX_SIZES[:4] if item.level >= 2 else BOX_SIZES)
            record["lot_size"] = lot
            if "available" in record:
                record["available"] = lot * rng.randint(1, 4)
        elif tier == "market" and item.piece and rng.random() < 0.2:
            lot_pieces = rng.choice((2, 5, 10))
            record["lot_size"] = lot_pieces
            if "available" in record:
                record["available"] = lot_pieces * rng.randint(1, 4)
        if self.hard.own_quality:
            record["quality"] = rng.randint(0, 1000)
        elif rng.random() < 0.9:
            record["quality"] = self.quality()
        return record

    def build_sources(self) -> list[dict[str, Any]]:
        rng = self.rng
        sources: list[dict[str, Any]] = []
        # Every leaf (nothing can make it) needs at least one listing to be reachable at all.
        leaves = [i for i in self.items if i.id not in self.recipes_of]
        for item in leaves:
            if len(sources) >= self.sizes.sources:
                break
            sources.append(self.source(item, "market", len(sources) + 1))
        weights = {0: 5.0, 1: 3.0, 2: 4.0, 3: 1.5, 4: 0.6}
        population = self.items
        item_weights = [weights[i.level] for i in population]
        while len(sources) < self.sizes.sources:
            item = rng.choices(population, item_weights)[0]
            tier = rng.choices(("own", "member", "market"), (0.2, 0.35, 0.45))[0]
            sources.append(self.source(item, tier, len(sources) + 1))
        return sources

    # -- demands -----------------------------------------------------------------------
    def build_demands(self) -> list[dict[str, Any]]:
        rng = self.rng
        targets = self.by_level[4] or self.by_level[3] or self.by_level[2]
        extras = self.by_level[3]
        demands = []
        picked = rng.sample(targets, min(len(targets), self.sizes.demands))
        while len(picked) < self.sizes.demands:
            picked.append(rng.choice(extras or targets))
        for n, item in enumerate(picked, start=1):
            quantity: float = rng.randint(1, 20) if item.piece else self.q(0.5, 5)
            demands.append({"id": f"d{n}", "item": item.id, "quantity": quantity,
                            "min_quality": self.floor(0.2)})
        return demands

    def build(self, name: str) -> dict[str, Any]:
        self.build_locations()
        self.build_items()
        self.build_blueprints()
        self.value_items()
        sources = self.build_sources()
        demands = self.build_demands()
        items = []
        for info in self.items:
            record: dict[str, Any] = {"id": info.id, "name": info.name or info.id,
                                      "unit": "piece" if info.piece else "scu"}
            if info.piece:
                record["volume_scu"] = info.volume
            items.append(record)
        return {
            "format": "quartermaster.problem/1",
            "name": name,
            "game_version": GAME_VERSION,
            "description": (f"Synthetic org supply chain: {self.sizes.items} items, "
                            f"{len(self.blueprints)} blueprints, {len(sources)} sources, "
                            f"{len(demands)} demands."),
            "items": items,
            "locations": self.locations,
            "blueprints": self.blueprints,
            "sources": sources,
            "demands": demands,
            "policy": {
                "delivery_location": "org-hangar",
                "ship_capacity_scu": (SMALL_SHIP_SCU if self.hard.small_ship
                                      else self.rng.choice(SHIP_CAPACITIES)),
                "member_unit_cost": 1.0,
                "reliability_weight": 1.0,
                "default_trip_cost": 1000,
                "shortfall_penalty": 1_000_000,
                "strict_priority": False,
            },
        }


def slug(text: str) -> str:
    """A lower-case id: letters and digits, words joined by '-'."""
    out = []
    for ch in text.lower():
        out.append(ch if ch.isalnum() else "-")
    return "-".join(part for part in "".join(out).split("-") if part)

