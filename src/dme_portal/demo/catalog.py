"""What vendors ask for, per condition: bundles of HCPCS lines, who supplies them, and why.

ILLUSTRATIVE ONLY. Quantities sit inside the demo CSAG limits unless a bundle says otherwise;
brands and manufacturers are fictional. Pure data: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Brand:
    """A named product, its maker, and the reason a vendor gives for it."""

    name: str
    manufacturer: str
    reason: str


@dataclass(frozen=True, slots=True)
class Item:
    """One requested line: a recurring supply or rental runs for the network's period."""

    hcpcs: str
    quantity: int
    frequency: str = "once"
    unit: str = "each"
    acquisition: str = "purchase"
    modifiers: tuple[str, ...] = ()
    brand: Brand | None = None
    # Over-asking that a reviewer trims: (a larger quantity, the network limit to trim to).
    over_quantity: tuple[int, int] | None = None

    @property
    def recurring(self) -> bool:
        return self.frequency != "once" or self.acquisition == "rental"


@dataclass(frozen=True, slots=True)
class Bundle:
    """Lines that are ordered together, by the vendors (slugs) who usually supply them."""

    name: str
    items: tuple[Item, ...]
    vendors: tuple[str, ...]
    documents: tuple[str, ...] = ("prescription",)
    urgent: str | None = None  # the expedited reason, when the bundle can be urgent
    min_age: int = 0
    max_age: int = 21
    weight: int = 2
    # A reviewer may find the item outside the benefit (e.g. a bath chair as a comfort item).
    benefit_question: bool = False


_WHEELCHAIR_DOCS = ("prescription", "seating_evaluation")
_LMN_DOCS = ("prescription", "letter_of_medical_necessity")

_CGM = Brand(
    "GlucoSense 7",
    "Meridian Diabetes Devices",
    "The sensor pairs with the child's insulin pump for automated insulin delivery.",
)
_BRIEF = Brand(
    "SoftGuard Junior",
    "Baylight Hygiene",
    "Contact dermatitis with the standard brief; this brand is latex- and fragrance-free.",
)

_AFO = Bundle("afo", (Item("L1960", 2),), ("driftwood", "harbor", "coralreef"), min_age=1)
_SMO = Bundle("smo", (Item("L1907", 2),), ("driftwood", "coralreef"), min_age=1, max_age=14)
_AFO_INSERTS = Bundle(
    "afo-inserts", (Item("L1970", 2), Item("L3000", 2)), ("driftwood", "coralreef"), min_age=2
)
_TILT_CHAIR = Bundle(
    "tilt-wheelchair",
    (Item("E1161", 1), Item("E2294", 1), Item("E2293", 1), Item("E0978", 1)),
    ("harbor", "cedarlane", "ottercreek"),
    _WHEELCHAIR_DOCS,
    min_age=2,
    weight=3,
)
_CHAIR_TRAY = Bundle(
    "wheelchair-tray",
    (Item("E1161", 1), Item("E0950", 1)),
    ("harbor", "cedarlane", "coralreef"),
    _WHEELCHAIR_DOCS,
    min_age=2,
)
_GAIT = Bundle("gait-trainer", (Item("E8001", 1),), ("coralreef", "ottercreek"), max_age=12)
_STANDER = Bundle("stander", (Item("E0641", 1),), ("coralreef", "ottercreek", "harbor"), min_age=1)
_BATH = Bundle(
    "bath-chair",
    (Item("E0240", 1),),
    ("willow", "lighthouse"),
    min_age=2,
    weight=1,
    benefit_question=True,
)
_UNDERPADS = Bundle(
    "underpads", (Item("A4554", 120, "monthly", "pack"),), ("sunbeam", "kestrel"), min_age=3
)
_BRIEFS_SMALL = Bundle(
    "briefs-small",
    (Item("T4529", 180, "monthly", brand=_BRIEF), Item("A4554", 90, "monthly", "pack")),
    ("sunbeam", "kestrel"),
    min_age=3,
    max_age=9,
    weight=3,
)
_BRIEFS_YOUTH = Bundle(
    "briefs-youth", (Item("T4533", 180, "monthly"),), ("sunbeam", "kestrel"), min_age=8
)
_CATHETERS = Bundle(
    "catheters",
    (Item("A4351", 150, "monthly"),),
    ("sunbeam", "kestrel"),
    min_age=3,
    weight=3,
)
_CATHETER_KITS = Bundle(
    "catheter-kits", (Item("A4353", 120, "monthly"),), ("sunbeam", "kestrel"), min_age=5
)
_ULTRALIGHT = Bundle(
    "ultralight-wheelchair",
    (Item("K0005", 1), Item("E2603", 1)),
    ("harbor", "ottercreek", "cedarlane"),
    _WHEELCHAIR_DOCS,
    min_age=3,
    weight=3,
)
_NEBULIZER = Bundle(
    "nebulizer",
    (Item("E0570", 1), Item("A7003", 2, "monthly")),
    ("pelican", "lighthouse", "kestrel"),
    urgent="Acute exacerbation: inhaled medication ordered at discharge, no nebulizer at home.",
    weight=3,
)
_NEB_SUPPLIES = Bundle(
    "nebulizer-supplies",
    (Item("A7004", 4, "monthly"), Item("A7015", 2, "monthly")),
    ("pelican", "kestrel"),
)
_VEST = Bundle(
    "airway-clearance-vest",
    (Item("E0483", 1),),
    ("pelican",),
    _LMN_DOCS,
    min_age=2,
)
_CGM_START = Bundle(
    "cgm",
    (Item("E2103", 1, brand=_CGM), Item("A4239", 1, "monthly", "month", brand=_CGM)),
    ("marigold", "kestrel"),
    urgent="New-onset type 1 diabetes with nocturnal hypoglycemia; discharge is waiting on CGM.",
    min_age=2,
    weight=4,
)
_CGM_ADJUNCT = Bundle(
    "cgm-adjunctive",
    (Item("E2102", 1), Item("A4238", 1, "monthly", "month")),
    ("marigold", "kestrel"),
    min_age=2,
)
_STRIPS = Bundle(
    "test-strips",
    (
        Item("A4253", 6, "monthly", "box", over_quantity=(14, 10)),
        Item("A4259", 2, "monthly", "box"),
    ),
    ("marigold", "kestrel"),
    weight=4,
)
_METER = Bundle("glucose-meter", (Item("E0607", 1),), ("marigold", "kestrel"), weight=1)
_INSULIN_PUMP = Bundle(
    "insulin-pump",
    (Item("E0784", 1), Item("A4239", 1, "monthly", "month")),
    ("marigold",),
    _LMN_DOCS,
    min_age=3,
)
_TRACH = Bundle(
    "trach-supplies",
    (Item("A7520", 2, "monthly"), Item("A4629", 1, "daily", "kit")),
    ("pelican", "lighthouse", "kestrel"),
    urgent="Only two spare tracheostomy tubes left; the next change is due within the week.",
    weight=4,
)
_SUCTION = Bundle(
    "suction",
    (Item("E0600", 1), Item("A4624", 8, "daily")),
    ("pelican", "lighthouse"),
    urgent="The home suction pump failed; the child needs suctioning several times a day.",
    weight=3,
)
_OXIMETER = Bundle(
    "oximeter",
    (Item("E0445", 1), Item("A4606", 4, "monthly")),
    ("pelican", "lighthouse"),
)
_FEEDING_PUMP = Bundle(
    "feeding-pump",
    (Item("B4035", 1, "daily", "day"), Item("B9002", 1, acquisition="rental", modifiers=("RR",))),
    ("bluejay", "kestrel"),
    urgent="The feeding pump stopped working; the child is fed only by pump (G-tube).",
    weight=4,
)
_GTUBE = Bundle("g-tube", (Item("B4088", 1, "quarterly"),), ("bluejay", "kestrel"), weight=3)
_SYRINGE_FEEDING = Bundle(
    "syringe-feeding", (Item("B4034", 1, "daily", "day"),), ("bluejay", "kestrel")
)
_OXYGEN = Bundle(
    "oxygen",
    (Item("E1390", 1, acquisition="rental", modifiers=("RR",)), Item("A4615", 4, "monthly")),
    ("lighthouse", "pelican"),
    urgent="Oxygen saturation below 92% on room air; discharge ordered with home oxygen.",
    weight=3,
)
_PORTABLE_OXYGEN = Bundle(
    "portable-oxygen",
    (Item("E0431", 1, acquisition="rental", modifiers=("RR",)),),
    ("lighthouse", "pelican"),
)
_HOSPITAL_BED = Bundle(
    "hospital-bed",
    (Item("E0260", 1),),
    ("lighthouse", "willow"),
    _LMN_DOCS,
    min_age=3,
)
_LIFT = Bundle("patient-lift", (Item("E0630", 1),), ("willow", "lighthouse"), _LMN_DOCS, min_age=4)

BUNDLES: Mapping[str, tuple[Bundle, ...]] = MappingProxyType(
    {
        "cerebral_palsy": (
            _AFO, _SMO, _AFO_INSERTS, _TILT_CHAIR, _CHAIR_TRAY, _GAIT, _STANDER, _BATH,
            _UNDERPADS, _BRIEFS_YOUTH,
        ),
        "spina_bifida": (
            _CATHETERS, _CATHETER_KITS, _BRIEFS_SMALL, _BRIEFS_YOUTH, _ULTRALIGHT, _AFO_INSERTS,
            _UNDERPADS,
        ),
        "cystic_fibrosis": (_NEBULIZER, _NEB_SUPPLIES, _VEST),
        "type_1_diabetes": (_CGM_START, _CGM_ADJUNCT, _STRIPS, _METER, _INSULIN_PUMP),
        "tracheostomy_dependence": (_TRACH, _SUCTION, _OXIMETER),
        "gastrostomy_dependence": (_FEEDING_PUMP, _GTUBE, _SYRINGE_FEEDING),
        "bronchopulmonary_dysplasia": (_OXYGEN, _PORTABLE_OXYGEN, _OXIMETER, _NEBULIZER),
        "spinal_muscular_atrophy": (_HOSPITAL_BED, _LIFT, _VEST, _TILT_CHAIR, _STANDER, _SUCTION),
        "muscular_dystrophy": (_ULTRALIGHT, _HOSPITAL_BED, _LIFT, _BATH),
        "osteogenesis_imperfecta": (_ULTRALIGHT, _BATH, _AFO_INSERTS),
        "arthrogryposis": (_AFO, _STANDER, _BATH),
        "paraplegia": (_ULTRALIGHT, _CATHETERS, _LIFT, _BRIEFS_YOUTH),
    }
)  # fmt: skip

# Vendors who supply a bit of everything: the fallback when no specialist is in network.
GENERALISTS = ("kestrel", "lighthouse")

QUESTIONS: Mapping[str, str] = MappingProxyType(
    {
        "letter_of_medical_necessity": "Please send a letter of medical necessity signed by "
        "the treating physician, with the child's current function and goals.",
        "seating_evaluation": "Please send the seating and mobility evaluation by the PT or OT "
        "(measurements, postural needs, trial of the chair).",
        "prescription": "The prescription on file is older than 12 months. Please send a "
        "current one, signed and dated.",
        "": "Please confirm the child's current height and weight, and how often the item is "
        "used each day.",
    }
)
ANSWERS: Mapping[str, str] = MappingProxyType(
    {
        "letter_of_medical_necessity": "Letter of medical necessity attached.",
        "seating_evaluation": "Seating evaluation from the OT attached.",
        "prescription": "Current prescription attached.",
        "": "Height 118 cm, weight 21 kg; used throughout the day and overnight.",
    }
)
CANCEL_REASONS = (
    "Submitted in error: wrong item size.",
    "The prescriber changed the order; a new request follows.",
    "The hospital supplied the item at discharge.",
    "The family chose another supplier.",
    "Duplicate of a request sent by fax.",
)
DOWNGRADE_REASON = (
    "The child's current equipment is working; the standard timeframe does not put the "
    "child's health at serious risk."
)
