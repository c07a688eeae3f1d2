"""Writes the labelled evaluation set of SKU suggestions: ``catalog.csv`` (a seller's
catalog: sku,title) and ``pairs.csv`` (split,kind,channel_sku,channel_title,expected_sku;
``expected_sku`` is empty for an item the catalog does not carry).

Deterministic (seeded), so the committed files are exactly what this script writes:

    python bench/suggest_eval/make_eval.py

The catalog mixes ten product families, each named in its own seller's style (a real
catalog grows by several hands). The channel lines are how those products come back from
marketplaces when no exact or normalised match exists: marketplace prefixes and suffixes,
joined SKUs, typos, reordered words, spelled-out or abbreviated colours and sizes,
multipacks, listing numbers with only a marketplace-style title, and unrelated products
that share a colour or size word with the catalog.

Families are split between a ``dev`` half (looked at while the scorer was written) and a
``heldout`` half (other families, other naming styles, other unrelated products; measured,
never tuned against). Lines that exact or normalised matching would already resolve are
left out, since they never reach the suggestions.
"""

from __future__ import annotations

import csv
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20260115

COLOUR_ABBR = {
    "Black": "BLK",
    "White": "WHT",
    "Blue": "BLU",
    "Grey": "GRY",
    "Red": "RED",
    "Navy": "NVY",
    "Green": "GRN",
    "Pink": "PNK",
    "Olive": "OLV",
    "Natural": "NAT",
    "Clear": "CLR",
    "Purple": "PUR",
    "Yellow": "YEL",
    "Orange": "ORG",
    "Sand": "SND",
}
SIZE_WORD = {
    "XS": "Extra Small",
    "S": "Small",
    "M": "Medium",
    "L": "Large",
    "XL": "Extra Large",
    "XXL": "XX-Large",
}


@dataclass
class Item:
    sku: str
    title: str
    family: str
    # The parts a channel listing rewrites: words of the product, colour, size, pack, etc.
    attrs: dict[str, str] = field(default_factory=dict)


def _family(name: str, rows: list[tuple[str, str, dict[str, str]]]) -> list[Item]:
    return [Item(sku, title, name, attrs) for sku, title, attrs in rows]


# -- the catalog: ten families per half ---------------------------------------------------


def dev_families() -> list[Item]:
    items: list[Item] = []
    for colour in ["Blue", "Black", "White", "Red", "Navy"]:
        for size in ["S", "M", "L", "XL"]:
            items.append(
                Item(
                    f"{colour.upper()}-TEE-{size}",
                    f"{colour} T-Shirt - {size}",
                    "tee",
                    {"product": "T-Shirt", "colour": colour, "size": size},
                )
            )
    for colour in ["Black", "Sand", "Olive"]:
        for size in ["S", "M", "L", "XL", "XXL"]:
            items.append(
                Item(
                    f"TS-ORG-{COLOUR_ABBR[colour]}-{size}",
                    f"Organic Cotton Tee, {colour}, {size}",
                    "organic-tee",
                    {"product": "Organic Cotton Tee", "colour": colour, "size": size},
                )
            )
    for colour in ["Grey", "Black", "Green"]:
        for size in ["S", "M", "L", "XL"]:
            items.append(
                Item(
                    f"HD-ZIP-{COLOUR_ABBR[colour]}-{size}",
                    f"Zip Hoodie {colour} {SIZE_WORD[size]}",
                    "hoodie",
                    {"product": "Zip Hoodie", "colour": colour, "size": size},
                )
            )
    for colour in ["White", "Blue", "Black", "Green"]:
        items.append(
            Item(
                f"MUG-ENAMEL-{colour.upper()}",
                f"Enamel Camping Mug {colour} 350ml",
                "enamel-mug",
                {"product": "Enamel Camping Mug", "colour": colour},
            )
        )
    for colour in ["White", "Black"]:
        for oz in ["11", "15"]:
            items.append(
                Item(
                    f"MUG-{colour.upper()}-{oz}OZ",
                    f"Ceramic Mug {colour} {oz}oz",
                    "mug",
                    {"product": "Ceramic Mug", "colour": colour, "measure": f"{oz}oz"},
                )
            )
    for length in ["2M", "5M", "10M"]:
        for temp, word in [("CW", "Cool White"), ("WW", "Warm White"), ("RGB", "RGB")]:
            items.append(
                Item(
                    f"LED-{length}-{temp}",
                    f"LED Strip Light {length.lower()} {word}",
                    "led",
                    {"product": "LED Strip Light", "measure": length.lower(), "variant": temp},
                )
            )
    for model, words in [
        ("IP14", "iPhone 14"),
        ("IP15", "iPhone 15"),
        ("IP15P", "iPhone 15 Pro"),
        ("S23", "Galaxy S23"),
        ("S24", "Galaxy S24"),
    ]:
        for colour in ["Clear", "Black", "Pink"]:
            items.append(
                Item(
                    f"CASE-{model}-{COLOUR_ABBR[colour]}",
                    f"Silicone Phone Case {words} {colour}",
                    "case",
                    {"product": "Silicone Phone Case", "model": words, "colour": colour},
                )
            )
    for origin in ["Ethiopia", "Colombia", "Brazil", "Sumatra"]:
        for grams in ["250", "1000"]:
            for grind, gword in [("WB", "Whole Bean"), ("GR", "Ground")]:
                items.append(
                    Item(
                        f"COF-{origin[:3].upper()}-{grams}-{grind}",
                        f"{origin} Single Origin Coffee {grams}g {gword}",
                        "coffee",
                        {"product": f"{origin} Coffee", "measure": f"{grams}g", "variant": gword},
                    )
                )
    for colour in ["Black", "White", "Grey"]:
        for pack in ["1PK", "3PK", "6PK"]:
            items.append(
                Item(
                    f"SOCK-CREW-{COLOUR_ABBR[colour]}-{pack}",
                    f"Crew Socks {colour} ({pack[0]} pairs)",
                    "socks",
                    {"product": "Crew Socks", "colour": colour, "pack": pack[0]},
                )
            )
    for kind, kword in [
        ("USBC", "USB-C to USB-C"),
        ("LTNG", "USB-C to Lightning"),
        ("MICRO", "USB-A to Micro USB"),
    ]:
        for length in ["1M", "2M"]:
            items.append(
                Item(
                    f"CBL-{kind}-{length}",
                    f"Braided Charging Cable {kword} {length.lower()}",
                    "cable",
                    {
                        "product": "Braided Charging Cable",
                        "variant": kword,
                        "measure": length.lower(),
                    },
                )
            )
    return items


def heldout_families() -> list[Item]:
    items: list[Item] = []
    for colour in ["Black", "Navy", "Purple", "Grey"]:
        for size in ["XS", "S", "M", "L", "XL"]:
            items.append(
                Item(
                    f"LEG{COLOUR_ABBR[colour]}{size}",
                    f"High Waist Yoga Leggings {colour} {size}",
                    "leggings",
                    {"product": "Yoga Leggings", "colour": colour, "size": size},
                )
            )
    for colour in ["Black", "White", "Blue", "Green"]:
        for ml in ["500", "750"]:
            items.append(
                Item(
                    f"BTL.{ml}.{COLOUR_ABBR[colour]}",
                    f"Insulated Steel Water Bottle {ml}ml {colour}",
                    "bottle",
                    {"product": "Water Bottle", "colour": colour, "measure": f"{ml}ml"},
                )
            )
    for size in ["S", "M", "L"]:
        for colour in ["Red", "Black", "Orange"]:
            items.append(
                Item(
                    f"PET-COLLAR-{size}-{colour.upper()}",
                    f"Reflective Dog Collar {SIZE_WORD[size]} {colour}",
                    "collar",
                    {"product": "Dog Collar", "colour": colour, "size": size},
                )
            )
    for flavour in ["Earl Grey", "Green Sencha", "Chamomile", "English Breakfast"]:
        for count in ["20", "80"]:
            code = "".join(w[0] for w in flavour.split()).upper()
            items.append(
                Item(
                    f"TEA_{code}_{count}",
                    f"{flavour} Tea {count} Bags",
                    "tea",
                    {"product": f"{flavour} Tea", "measure": f"{count} bags"},
                )
            )
    for cell in ["AA", "AAA"]:
        for pack in ["4", "8", "16"]:
            items.append(
                Item(
                    f"BAT-{cell}-{pack}",
                    f"Rechargeable {cell} Batteries {pack} Pack",
                    "battery",
                    {"product": f"Rechargeable {cell} Batteries", "pack": pack},
                )
            )
    for cm in ["12", "17", "22"]:
        for colour in ["Terracotta", "White", "Sage"]:
            items.append(
                Item(
                    f"POT-{cm}CM-{colour[:4].upper()}",
                    f"Ceramic Plant Pot {cm}cm {colour}",
                    "pot",
                    {"product": "Ceramic Plant Pot", "colour": colour, "measure": f"{cm}cm"},
                )
            )
    for theme in ["Mountains", "Harbour", "Cats", "World Map"]:
        for pieces in ["500", "1000"]:
            items.append(
                Item(
                    f"PZL-{theme.replace(' ', '')[:4].upper()}-{pieces}",
                    f"Jigsaw Puzzle {theme} {pieces} Pieces",
                    "puzzle",
                    {"product": f"Jigsaw Puzzle {theme}", "measure": f"{pieces} pieces"},
                )
            )
    for scent in ["Lavender", "Oatmeal", "Charcoal", "Citrus"]:
        for pack in ["1", "3"]:
            items.append(
                Item(
                    f"SOAP-{scent.upper()}-X{pack}",
                    f"Handmade Soap Bar {scent} x{pack}",
                    "soap",
                    {"product": f"Handmade Soap {scent}", "pack": pack},
                )
            )
    for colour in ["Black", "Olive", "Navy"]:
        for litres in ["20L", "30L"]:
            items.append(
                Item(
                    f"BP-ROLLTOP-{litres}-{COLOUR_ABBR[colour]}",
                    f"Roll Top Backpack {litres} {colour}",
                    "backpack",
                    {"product": "Roll Top Backpack", "colour": colour, "measure": litres.lower()},
                )
            )
    for blade in ["Chef 20cm", "Paring 9cm", "Bread 22cm"]:
        name, length = blade.split()
        items.append(
            Item(
                f"KNF-{name[:3].upper()}-{length[:-2]}",
                f"Damascus {name} Knife {length}",
                "knife",
                {"product": f"Damascus {name} Knife", "measure": length},
            )
        )
    return items


# -- how channels rewrite a product ---------------------------------------------------------

PREFIXES_DEV = ["AMZ-", "EB-", "FBA_", "WC-"]
SUFFIXES_DEV = ["-FBA", "-UK", "_NEW", "-AMZ"]
PREFIXES_HELD = ["AMZN.", "EBAY-", "SHOP_", "MFN-"]
SUFFIXES_HELD = ["-FBM", "-DE", ".2", "-EBAY"]


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    op = rng.choice(["drop", "swap", "double", "replace"])
    if op == "drop":
        return word[:i] + word[i + 1 :]
    if op == "swap":
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    if op == "double":
        return word[:i] + word[i] + word[i:]
    near = {"a": "s", "e": "r", "i": "o", "o": "p", "u": "y", "t": "r", "n": "m", "l": "k"}
    return word[:i] + near.get(word[i].lower(), "x") + word[i + 1 :]


def sku_words(sku: str) -> list[str]:
    return [w for w in re.split(r"[-_./ ]+", sku) if w]


def marketplace_title(item: Item, rng: random.Random) -> str:
    """How a marketplace listing titles the product: more words, other order, sizes and
    colours spelled out."""
    a = item.attrs
    parts = [a["product"]]
    extras = {
        "tee": ["for Men", "Crew Neck", "100% Cotton"],
        "organic-tee": ["Unisex", "Short Sleeve"],
        "hoodie": ["Full Zip", "Fleece"],
        "enamel-mug": ["Outdoor", "Enamelware Cup"],
        "mug": ["Coffee Cup", "Dishwasher Safe"],
        "led": ["Dimmable", "USB Powered", "for TV Backlight"],
        "case": ["Shockproof", "Slim Fit Cover"],
        "coffee": ["Arabica", "Medium Roast"],
        "socks": ["Cotton", "Unisex"],
        "cable": ["Fast Charging", "Nylon"],
        "leggings": ["Squat Proof", "Women's"],
        "bottle": ["Vacuum Flask", "Leak Proof"],
        "collar": ["Adjustable", "Nylon"],
        "tea": ["Premium", "Loose Leaf Quality"],
        "battery": ["NiMH", "Pre-Charged"],
        "pot": ["with Drainage Hole", "Indoor"],
        "puzzle": ["for Adults", "Gift"],
        "soap": ["Natural", "Vegan"],
        "backpack": ["Waterproof", "Commuter"],
        "knife": ["Stainless Steel", "Kitchen"],
    }[item.family]
    parts.extend(rng.sample(extras, k=rng.randint(1, len(extras))))
    if "model" in a:
        parts.append(a["model"])
    if "colour" in a:
        parts.append(a["colour"])
    if "size" in a:
        parts.append(rng.choice([f"Size {SIZE_WORD[a['size']]}", a["size"], SIZE_WORD[a["size"]]]))
    if "measure" in a:
        parts.append(a["measure"])
    if "variant" in a:
        parts.append(a["variant"])
    if "pack" in a:
        parts.append(rng.choice([f"{a['pack']} Pack", f"Pack of {a['pack']}", f"{a['pack']}-Pack"]))
    head, rest = parts[0], parts[1:]
    rng.shuffle(rest)
    sep = rng.choice([" ", " - ", ", ", " | "])
    return head + " " + sep.join(rest)


def listing_number(rng: random.Random) -> str:
    return rng.choice(
        [
            "B0" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(8)),
            str(rng.randrange(10**11, 10**12)),
            f"LST-{rng.randrange(10**5, 10**6)}",
        ]
    )


def variants(item: Item, rng: random.Random, heldout: bool) -> list[tuple[str, str, str]]:
    """(kind, channel SKU, channel title) rewrites of one catalog item."""
    words = sku_words(item.sku)
    pre = PREFIXES_HELD if heldout else PREFIXES_DEV
    suf = SUFFIXES_HELD if heldout else SUFFIXES_DEV
    a = item.attrs
    out: list[tuple[str, str, str]] = []
    out.append(("prefix", rng.choice(pre) + item.sku, ""))
    out.append(("suffix", item.sku + rng.choice(suf), ""))
    out.append(("joined", "".join(words).lower() if rng.random() < 0.5 else "".join(words), ""))
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    w = list(words)
    w[longest] = typo(w[longest], rng)
    out.append(("typo", "-".join(w), ""))
    w = list(words)
    rng.shuffle(w)
    if w == words:
        w = w[1:] + w[:1]
    out.append(("reordered", rng.choice(["-", "_", " "]).join(w), ""))
    # Colours and sizes spelled the other way.
    rewritten = []
    for word in words:
        up = word.upper()
        full = next((c for c, ab in COLOUR_ABBR.items() if ab == up), None)
        if full and rng.random() < 0.8:
            rewritten.append(full.upper())
        elif (
            up in COLOUR_ABBR.get(a.get("colour", ""), "")
            and full is None
            and up == a.get("colour", "").upper()
        ):
            rewritten.append(COLOUR_ABBR[a["colour"]])
        elif up in SIZE_WORD and up == a.get("size"):
            rewritten.append(SIZE_WORD[up].upper().replace(" ", "-"))
        else:
            rewritten.append(word)
    if rewritten != words:
        out.append(("spelled", "-".join(rewritten), ""))
    out.append(("title-only", listing_number(rng), marketplace_title(item, rng)))
    out.append(
        ("title", rng.choice(pre) + "-".join(words[:-1] or words), marketplace_title(item, rng))
    )
    return out


def multipacks(
    items: list[Item], rng: random.Random, n: int, heldout: bool
) -> list[tuple[str, str, str, str]]:
    """A listing that sells N of a single catalog item (mapped with a quantity): the
    expected suggestion is the item itself."""
    singles = [i for i in items if "pack" not in i.attrs]
    out = []
    for item in rng.sample(singles, n):
        count = rng.choice(["2", "3", "5"])
        pack_sku = rng.choice(
            [f"{item.sku}-{count}PK", f"{item.sku}-X{count}", f"{count}PACK-{item.sku}"]
        )
        title = f"{count} Pack {item.title}" if rng.random() < 0.5 else ""
        out.append(("multipack", pack_sku, title, item.sku))
    return out


UNRELATED_DEV = [
    ("GIFT-CARD-25", "Gift Card 25"),
    ("YOGA-MAT-BLUE", "Yoga Mat Blue 6mm"),
    ("PHONE-STAND-BLK", "Aluminium Phone Stand Black"),
    ("SHIPPING-PROTECTION", "Shipping Protection"),
    ("DOGBED-L-GRY", "Orthopaedic Dog Bed Large Grey"),
    ("TIP", "Tip for the team"),
    ("SAMPLE-BOX", "Sample Box"),
    ("CANDLE-VAN-200G", "Vanilla Soy Candle 200g"),
    ("NOTEBOOK-A5-DOT", "Dotted Notebook A5"),
    ("SCARF-WOOL-RED", "Merino Wool Scarf Red"),
    ("BEANIE-NVY", "Knit Beanie Navy"),
    ("GLOVES-M-BLK", "Winter Gloves M Black"),
    ("TOWEL-BATH-WHT", "Bath Towel White"),
    ("PILLOW-CASE-GRY", "Linen Pillow Case Grey"),
    ("KEYRING-LEATHER", "Leather Keyring Brown"),
    ("POSTER-A3-MAP", "World Map Poster A3"),
    ("SUNGLASSES-POLAR", "Polarised Sunglasses Black"),
    ("BELT-L-BRN", "Leather Belt Large Brown"),
    ("WATCH-STRAP-22", "Watch Strap 22mm Black"),
    ("MOUSEPAD-XL", "Gaming Mouse Pad XL"),
    ("CAP-BASEBALL-WHT", "Baseball Cap White"),
    ("SPEAKER-BT-MINI", "Mini Bluetooth Speaker Blue"),
    ("LUNCHBOX-STEEL", "Steel Lunch Box 1.2L"),
    ("PLANTER-HANGING", "Macrame Plant Hanger"),
    ("EXTRA-WARRANTY", "Extended Warranty 2 years"),
]
UNRELATED_HELD = [
    ("BIKE-LIGHT-SET", "Bike Light Set USB Rechargeable"),
    ("TENT-2P-GRN", "2 Person Tent Green"),
    ("DONATION", "Donation"),
    ("INSURANCE", "Parcel Insurance"),
    ("HAMMOCK-OLV", "Camping Hammock Olive"),
    ("APRON-CANVAS-NAVY", "Canvas Apron Navy"),
    ("UMBRELLA-BLK", "Compact Umbrella Black"),
    ("DESK-LAMP-WHT", "LED Desk Lamp White"),
    ("WALLET-RFID", "RFID Wallet Black Leather"),
    ("SLIPPERS-M-GREY", "Memory Foam Slippers M Grey"),
    ("FRAME-A4-OAK", "Oak Photo Frame A4"),
    ("CHOPBOARD-BAMBOO", "Bamboo Chopping Board Large"),
    ("RAINCOAT-L-YEL", "Raincoat Large Yellow"),
    ("EARBUDS-WHT", "Wireless Earbuds White"),
    ("DIARY-2027", "Weekly Diary 2027 Black"),
    ("BIRD-FEEDER", "Hanging Bird Feeder"),
    ("SHOEHORN-LONG", "Long Shoe Horn"),
    ("GARDEN-GLOVES-M", "Garden Gloves Medium Green"),
    ("PASSPORT-COVER", "Passport Cover Navy"),
    ("MASK-SLEEP-BLK", "Silk Sleep Mask Black"),
    ("THERMOMETER", "Digital Meat Thermometer"),
    ("LUGGAGE-TAG-RED", "Luggage Tag Red"),
    ("FRISBEE-ORANGE", "Frisbee Orange 175g"),
    ("CHALK-BAG", "Climbing Chalk Bag Purple"),
    ("GIFTWRAP", "Gift wrapping"),
]


def unrelated(
    rows: list[tuple[str, str]], rng: random.Random, heldout: bool
) -> list[tuple[str, str, str, str]]:
    pre = PREFIXES_HELD if heldout else PREFIXES_DEV
    out = []
    for sku, title in rows:
        choice = rng.random()
        if choice < 0.4:
            out.append(("unrelated", sku, ""))
        elif choice < 0.7:
            out.append(("unrelated", rng.choice(pre) + sku, title))
        else:
            out.append(("unrelated", listing_number(rng), title))
    return [(k, s, t, "") for k, s, t in out]


def _normalised(text: str) -> str:
    return re.sub(r"[\s\-_./]+", " ", text.casefold()).strip()


def build(
    rng: random.Random,
    items: list[Item],
    unrelated_rows: list[tuple[str, str]],
    heldout: bool,
    per_family: int,
) -> list[tuple[str, str, str, str]]:
    pairs: list[tuple[str, str, str, str]] = []
    by_family: dict[str, list[Item]] = {}
    for item in items:
        by_family.setdefault(item.family, []).append(item)
    for family_items in by_family.values():
        candidates = [
            (kind, sku, title, item.sku)
            for item in family_items
            for kind, sku, title in variants(item, rng, heldout)
        ]
        pairs.extend(rng.sample(candidates, min(per_family, len(candidates))))
    pairs.extend(multipacks(items, rng, 12, heldout))
    pairs.extend(unrelated(unrelated_rows, rng, heldout))
    catalog_keys = {_normalised(i.sku) for i in items}
    return [p for p in pairs if _normalised(p[1]) not in catalog_keys]


def main() -> None:
    rng = random.Random(SEED)
    dev, held = dev_families(), heldout_families()
    catalog = dev + held
    assert len({i.sku for i in catalog}) == len(catalog), "catalog SKUs must be unique"
    rows = [("dev", *p) for p in build(rng, dev, UNRELATED_DEV, False, 16)]
    rows += [("heldout", *p) for p in build(rng, held, UNRELATED_HELD, True, 16)]
    with (HERE / "catalog.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["sku", "title"])
        writer.writerows((i.sku, i.title) for i in catalog)
    with (HERE / "pairs.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["split", "kind", "channel_sku", "channel_title", "expected_sku"])
        writer.writerows(rows)
    print(f"{len(catalog)} catalog items, {len(rows)} pairs", flush=True)


if __name__ == "__main__":
    main()
