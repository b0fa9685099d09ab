"""Demo catalog: a two-level category tree and 200+ products of the demo suppliers, each with
price tiers, specifications and a small image drawn here with Pillow. Idempotent: a product is
known by its supplier and title, so a second run adds nothing; bulk inserts keep it to seconds."""

import datetime as dt
import hashlib
import io
from itertools import cycle

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from apps.accounts.models import User
from apps.catalog.images import thumbnail_bytes
from apps.catalog.models import Category, PriceTier, Product, ProductImage

# slug: (name, [(slug, name), ...])
CATEGORIES = {
    "electronics": (
        "Consumer electronics",
        [
            ("led-lighting", "LED lighting"),
            ("chargers-power-banks", "Chargers and power banks"),
            ("cables-adapters", "Cables and adapters"),
            ("audio", "Audio"),
        ],
    ),
    "textiles": (
        "Home textiles",
        [
            ("bedding", "Bedding"),
            ("scarves-shawls", "Scarves and shawls"),
            ("table-linen", "Table linen"),
            ("fabric", "Fabric by the roll"),
        ],
    ),
    "ceramics": (
        "Ceramics and tableware",
        [
            ("tableware", "Tableware"),
            ("tiles", "Tiles"),
            ("vases-decor", "Vases and decor"),
            ("kitchenware", "Kitchenware"),
        ],
    ),
    "wood-packaging": (
        "Wood and packaging",
        [
            ("pallets-crates", "Pallets and crates"),
            ("wooden-boxes", "Wooden boxes"),
            ("garden-furniture", "Garden furniture"),
        ],
    ),
}

# leaf slug: (nouns with a base unit price in minor units, modifiers, MOQ, specifications)
LINES = {
    "led-lighting": (
        [
            ("LED bulb", 95),
            ("LED strip light", 420),
            ("LED panel light", 1150),
            ("LED floodlight", 1890),
            ("Solar garden light", 640),
            ("LED desk lamp", 1320),
        ],
        ["Warm white", "Cool white", "Dimmable", "Smart Wi-Fi"],
        500,
        {
            "Colour temperature": ["2700 K", "4000 K", "6500 K"],
            "Certification": ["CE, RoHS", "CE, FCC"],
            "Lifetime": ["25,000 h", "30,000 h"],
        },
    ),
    "chargers-power-banks": (
        [
            ("Power bank 10000 mAh", 680),
            ("Power bank 20000 mAh", 1120),
            ("USB-C wall charger 20 W", 310),
            ("GaN charger 65 W", 1480),
            ("Wireless charging pad", 520),
            ("Car charger dual USB", 240),
        ],
        ["Black", "White", "Slim", "Rugged"],
        200,
        {
            "Output": ["5 V 3 A", "PD 20 W", "PD 65 W"],
            "Certification": ["CE, FCC, UN38.3", "CE, RoHS"],
        },
    ),
    "cables-adapters": (
        [
            ("USB-C to USB-C cable", 85),
            ("Lightning cable", 110),
            ("HDMI 2.1 cable", 260),
            ("USB-C hub 7-in-1", 1290),
            ("Travel adapter", 380),
        ],
        ["1 m", "2 m", "Braided", "Bulk-packed"],
        1000,
        {"Jacket": ["Nylon braid", "TPE"], "Connector plating": ["Nickel", "Gold"]},
    ),
    "audio": (
        [
            ("Bluetooth speaker", 1450),
            ("True wireless earbuds", 980),
            ("Over-ear headphones", 1720),
            ("Conference speakerphone", 3900),
        ],
        ["Mini", "Waterproof", "Pro", "Kids"],
        100,
        {
            "Bluetooth": ["5.3", "5.2"],
            "Battery": ["12 h", "20 h", "30 h"],
            "Rating": ["IPX4", "IPX7"],
        },
    ),
    "bedding": (
        [
            ("Cotton bedsheet set", 1650),
            ("Quilted bedspread", 2400),
            ("Duvet cover", 1900),
            ("Pillow cover pair", 520),
            ("Jaipuri razai quilt", 2850),
        ],
        ["Block-printed", "Indigo", "Floral", "Striped"],
        50,
        {
            "Material": ["100% cotton", "Organic cotton", "Cotton voile"],
            "Thread count": ["180", "300"],
            "Dye": ["Vegetable dyes", "Azo-free reactive dyes"],
        },
    ),
    "scarves-shawls": (
        [
            ("Cotton scarf", 380),
            ("Silk stole", 1250),
            ("Wool shawl", 1880),
            ("Bandhani dupatta", 940),
        ],
        ["Hand-dyed", "Block-printed", "Embroidered", "Ikat"],
        100,
        {
            "Size": ["70 x 180 cm", "100 x 200 cm"],
            "Material": ["Cotton", "Mulberry silk", "Merino wool"],
        },
    ),
    "table-linen": (
        [("Tablecloth", 980), ("Table runner", 450), ("Napkin set", 620), ("Placemat set", 540)],
        ["Block-printed", "Kantha", "Checked", "Plain"],
        100,
        {"Material": ["Cotton", "Linen blend"], "Care": ["Machine wash 40 °C", "Hand wash"]},
    ),
    "fabric": (
        [
            ("Cotton voile fabric", 180),
            ("Cotton canvas fabric", 320),
            ("Khadi fabric", 290),
            ("Rayon print fabric", 210),
        ],
        ["Natural", "Dyed", "Printed", "Organic"],
        500,
        {
            "Width": ["110 cm", "140 cm"],
            "Weight": ["90 gsm", "180 gsm", "280 gsm"],
            "Unit": ["metre"],
        },
    ),
    "tableware": (
        [
            ("Dinner plate", 540),
            ("Serving bowl", 780),
            ("Coffee cup set", 1450),
            ("Tea glass set", 990),
            ("Mezze plate", 420),
        ],
        ["Iznik pattern", "Matte glaze", "Hand-painted", "Stoneware"],
        120,
        {
            "Material": ["Porcelain", "Stoneware", "Earthenware"],
            "Dishwasher safe": ["Yes", "No"],
            "Lead-free glaze": ["Yes"],
        },
    ),
    "tiles": (
        [
            ("Wall tile 20x20", 160),
            ("Floor tile 60x60", 690),
            ("Mosaic tile sheet", 880),
            ("Porcelain tile 30x60", 410),
        ],
        ["Glazed", "Matte", "Terracotta", "Patterned"],
        400,
        {"Water absorption": ["< 0.5%", "3-6%"], "Slip rating": ["R9", "R10", "R11"]},
    ),
    "vases-decor": (
        [("Vase", 1150), ("Planter pot", 830), ("Decorative bowl", 960), ("Candle holder", 390)],
        ["Ceramic", "Handmade", "Turquoise", "Cobalt blue"],
        60,
        {"Height": ["15 cm", "25 cm", "40 cm"], "Finish": ["Crackle glaze", "Gloss", "Matte"]},
    ),
    "kitchenware": (
        [
            ("Turkish coffee pot", 1280),
            ("Casserole dish", 1690),
            ("Olive oil bottle", 560),
            ("Spice jar set", 970),
        ],
        ["Copper", "Ceramic", "Glazed", "Stoneware"],
        80,
        {"Capacity": ["250 ml", "500 ml", "1.5 l"], "Oven safe": ["Up to 250 °C", "No"]},
    ),
    "pallets-crates": (
        [
            ("Euro pallet", 1450),
            ("Heat-treated pallet", 1320),
            ("Slatted crate", 2100),
            ("Export crate", 5400),
        ],
        ["Pine", "Spruce", "ISPM 15", "Reinforced"],
        100,
        {"Wood": ["Pine", "Spruce"], "Treatment": ["Heat-treated ISPM 15", "Kiln-dried"]},
    ),
    "wooden-boxes": (
        [("Wine box", 690), ("Gift box with lid", 540), ("Storage box", 830)],
        ["Pine", "Oak", "Branded", "Sliding-lid"],
        200,
        {"Wood": ["Pine", "Oak", "Birch plywood"], "Branding": ["Laser engraving", "None"]},
    ),
    "garden-furniture": (
        [("Garden bench", 8900), ("Picnic table", 14500), ("Deck chair", 4200)],
        ["Pine", "Larch", "Foldable", "Oiled"],
        20,
        {"Wood": ["Larch", "Pine"], "Finish": ["Oiled", "Untreated"], "Assembly": ["Flat-packed"]},
    ),
}

# supplier email: (leaf categories, currencies used in turn)
SUPPLIERS = {
    "supplier@demo.pactline.test": (
        ["led-lighting", "chargers-power-banks", "cables-adapters", "audio"],
        ["USD", "CNY"],
    ),
    "supplier2@demo.pactline.test": (
        ["bedding", "scarves-shawls", "table-linen", "fabric"],
        ["USD", "INR"],
    ),
    "supplier3@demo.pactline.test": (
        ["tableware", "tiles", "vases-decor", "kitchenware"],
        ["EUR", "USD", "TRY"],
    ),
    "supplier4@demo.pactline.test": (
        ["pallets-crates", "wooden-boxes", "garden-furniture"],
        ["EUR"],
    ),
}

# Base prices above are in US cents; other currencies at rough demo rates (integers, no floats).
DEMO_RATE_PER_100_CENTS = {"USD": 100, "EUR": 92, "CNY": 720, "INR": 8300, "TRY": 3400}
PALETTE = ["#0f7b6c", "#14365d", "#b8860b", "#8e3b46", "#3d6b35", "#5b4a8b", "#a0522d", "#2f6f8f"]
IMAGE_SIZE = (320, 320)


def run(*, stdout):
    categories = _categories()
    now = timezone.now()
    created = 0
    for email, (leaves, currencies) in SUPPLIERS.items():
        supplier = User.objects.filter(email=email, role=User.Role.SUPPLIER).first()
        if supplier is None:
            stdout.write(f"catalog: {email} missing, its products skipped")
            continue
        existing = set(Product.objects.filter(supplier=supplier).values_list("title", flat=True))
        specs = [p for p in _product_specs(leaves, currencies) if p["title"] not in existing]
        products = [
            Product(
                supplier=supplier,
                title=spec["title"],
                description=spec["description"],
                category=categories[spec["leaf"]],
                currency=spec["currency"],
                moq=spec["moq"],
                lead_time_days=spec["lead_time_days"],
                specifications=spec["specifications"],
                price_min=min(spec["tiers"].values()),
                price_max=max(spec["tiers"].values()),
                created_at=now - dt.timedelta(hours=7 * spec["age"]),
            )
            for spec in specs
        ]
        Product.objects.bulk_create(products)
        PriceTier.objects.bulk_create(
            PriceTier(product=product, min_quantity=quantity, unit_price=price)
            for product, spec in zip(products, specs, strict=True)
            for quantity, price in spec["tiers"].items()
        )
        created += len(products)
        _images_for(Product.objects.filter(supplier=supplier, images__isnull=True))
    total = Product.objects.filter(supplier__email__in=SUPPLIERS).count()
    stdout.write(f"catalog: {len(categories)} categories, {created} products added, {total} in all")


def _categories():
    by_slug = {}
    for position, (slug, (name, children)) in enumerate(CATEGORIES.items()):
        parent, _ = Category.objects.update_or_create(
            slug=slug, defaults={"name": name, "parent": None, "position": position}
        )
        by_slug[slug] = parent
        for child_position, (child_slug, child_name) in enumerate(children):
            by_slug[child_slug], _ = Category.objects.update_or_create(
                slug=child_slug,
                defaults={"name": child_name, "parent": parent, "position": child_position},
            )
    return by_slug


def _product_specs(leaves, currencies):
    currency_turn = cycle(currencies)
    age = 0
    for leaf in leaves:
        nouns, modifiers, moq, attributes = LINES[leaf]
        for noun_index, (noun, base_cents) in enumerate(nouns):
            for modifier_index, modifier in enumerate(modifiers):
                age += 1
                currency = next(currency_turn)
                unit = base_cents * (100 + 6 * modifier_index) // 100
                unit = unit * DEMO_RATE_PER_100_CENTS[currency] // 100
                product_moq = moq * (1 + (noun_index + modifier_index) % 3)
                tiers = {
                    product_moq: unit,
                    product_moq * 5: unit * 92 // 100,
                    product_moq * 20: unit * 85 // 100,
                }
                specifications = [
                    {"name": name, "value": values[(noun_index + modifier_index) % len(values)]}
                    for name, values in attributes.items()
                ]
                title = f"{modifier} {_mid_sentence(noun)}"
                yield {
                    "leaf": leaf,
                    "title": title,
                    "description": (
                        f"{title}, made to order. Tell us your branding, packaging and "
                        "labelling needs; samples ship within a week."
                    ),
                    "currency": currency,
                    "moq": product_moq,
                    "lead_time_days": 10 + 5 * ((noun_index + 2 * modifier_index) % 6),
                    "specifications": specifications,
                    "tiers": tiers,
                    "age": age,
                }


PROPER_NOUNS = {"Jaipuri", "Turkish", "Euro", "Bandhani", "Iznik", "Khadi", "Rayon"}


def _mid_sentence(noun):
    first, _, rest = noun.partition(" ")
    if first.istitle() and first not in PROPER_NOUNS:
        first = first.lower()
    return f"{first} {rest}".strip()


def _images_for(products):
    images = []
    for product in products.select_related("category"):
        original = _demo_image(product.title, product.category.slug)
        with Image.open(io.BytesIO(original)) as decoded:
            thumbnail = thumbnail_bytes(decoded)
        image = ProductImage(product=product, width=IMAGE_SIZE[0], height=IMAGE_SIZE[1])
        name = f"seed-{product.pk}.jpg"
        for field, content in ((image.image, original), (image.thumbnail, thumbnail)):
            path = field.field.upload_to(image, name)
            if default_storage.exists(path):
                default_storage.delete(path)
            field.save(name, ContentFile(content), save=False)
        images.append(image)
    ProductImage.objects.bulk_create(images)


def _demo_image(title, category_slug):
    digest = hashlib.sha256(f"{category_slug}:{title}".encode()).digest()
    colour = PALETTE[digest[0] % len(PALETTE)]
    image = Image.new("RGB", IMAGE_SIZE, colour)
    draw = ImageDraw.Draw(image)
    initials = "".join(word[0] for word in title.split()[:2]).upper()
    font = ImageFont.load_default(size=120)
    draw.text(
        (IMAGE_SIZE[0] / 2, IMAGE_SIZE[1] / 2), initials, fill="white", font=font, anchor="mm"
    )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()
