"""Realistic vocabulary for simulated organizations: countries, places, roles, phrases.

Phone numbers follow each country's real E.164 shape (country code and national number length), so
contract checks written for real data hold on simulated data too.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    code: str
    calling_code: str
    national_digits: int
    mobile_prefixes: tuple[str, ...]
    timezone: str
    languages: tuple[str, ...]
    regions: dict[str, tuple[str, ...]]


COUNTRIES: dict[str, Country] = {
    "NG": Country(
        "NG",
        "234",
        10,
        ("803", "806", "813", "816", "703", "706", "810"),
        "Africa/Lagos",
        ("en", "ha", "yo"),
        {
            "Lagos": ("Ikeja", "Surulere", "Epe", "Badagry"),
            "Kano": ("Nassarawa", "Fagge", "Dala"),
            "Oyo": ("Ibadan North", "Ogbomosho", "Oyo East"),
        },
    ),
    "IN": Country(
        "IN",
        "91",
        10,
        ("98", "97", "96", "91", "88", "70"),
        "Asia/Kolkata",
        ("hi", "en"),
        {
            "Bihar": ("Patna", "Gaya", "Muzaffarpur", "Darbhanga"),
            "Uttar Pradesh": ("Lucknow", "Varanasi", "Agra"),
            "Odisha": ("Khordha", "Cuttack", "Puri"),
        },
    ),
    "KE": Country(
        "KE",
        "254",
        9,
        ("7", "1"),
        "Africa/Nairobi",
        ("sw", "en"),
        {
            "Nairobi": ("Westlands", "Kibra", "Embakasi"),
            "Kisumu": ("Kisumu Central", "Nyando", "Muhoroni"),
            "Mombasa": ("Mvita", "Likoni", "Kisauni"),
        },
    ),
    "BR": Country(
        "BR",
        "55",
        11,
        ("119", "219", "319", "619", "719"),
        "America/Sao_Paulo",
        ("pt",),
        {
            "São Paulo": ("Campinas", "Santos", "Sorocaba"),
            "Bahia": ("Salvador", "Feira de Santana", "Ilhéus"),
            "Minas Gerais": ("Belo Horizonte", "Uberlândia", "Contagem"),
        },
    ),
    "GB": Country("GB", "44", 10, ("7",), "Europe/London", ("en",), {"England": ("London",)}),
    "US": Country(
        "US",
        "1",
        10,
        ("212", "415", "617"),
        "America/New_York",
        ("en", "es"),
        {"New York": ("Manhattan",)},
    ),
}


@dataclass(frozen=True)
class Sector:
    name: str
    job_roles: tuple[str, ...]
    teams: tuple[str, ...]
    metrics: tuple[str, ...]  # HR performance metrics this sector reports monthly


SECTORS: dict[str, Sector] = {
    "health": Sector(
        "health",
        ("community_health_worker", "nurse", "midwife", "supervisor"),
        ("maternal_health", "immunization", "nutrition", "outreach"),
        ("visits_completed", "quality_score", "attendance_rate"),
    ),
    "agriculture": Sector(
        "agriculture",
        ("extension_agent", "lead_farmer", "field_officer", "supervisor"),
        ("crops", "livestock", "inputs", "post_harvest"),
        ("farmers_visited", "quality_score", "attendance_rate"),
    ),
    "retail": Sector(
        "retail",
        ("sales_associate", "cashier", "store_lead", "supervisor"),
        ("front_store", "stockroom", "field_sales", "customer_care"),
        ("sales_amount", "quality_score", "attendance_rate"),
    ),
}

FIRST_NAMES = (
    "Amina",
    "Chidi",
    "Ngozi",
    "Tunde",
    "Priya",
    "Ravi",
    "Sunita",
    "Arjun",
    "Wanjiru",
    "Otieno",
    "Achieng",
    "Kamau",
    "Ana",
    "João",
    "Mariana",
    "Lucas",
    "Fatima",
    "Ibrahim",
    "Grace",
    "Joseph",
)
LAST_NAMES = (
    "Okafor",
    "Adeyemi",
    "Bello",
    "Sharma",
    "Kumar",
    "Devi",
    "Mwangi",
    "Odhiambo",
    "Njeri",
    "Silva",
    "Santos",
    "Oliveira",
    "Abubakar",
    "Mensah",
    "Patel",
    "Wambui",
    "Costa",
    "Yadav",
)

# A few reply phrases per language; quizzes answer with an option letter, check-ins with 1-5.
REPLY_PHRASES: dict[str, tuple[str, ...]] = {
    "en": ("Thank you", "ok", "Got it, will try this week", "Very helpful!", "Can you explain?"),
    "ha": ("Na gode", "To", "Zan gwada", "Yana da amfani"),
    "yo": ("E se", "O dara", "Maa gbiyanju", "O wulo pupo"),
    "hi": ("धन्यवाद", "ठीक है", "मैं कोशिश करूँगी", "बहुत उपयोगी"),
    "sw": ("Asante", "Sawa", "Nitajaribu wiki hii", "Inasaidia sana"),
    "pt": ("Obrigada", "ok", "Vou tentar esta semana", "Muito útil!"),
    "es": ("Gracias", "ok", "Lo intentaré", "¡Muy útil!"),
}
QUIZ_OPTIONS = ("A", "B", "C", "D")
# What each option says on its button (tapped, the label comes back as the reply's text).
QUIZ_OPTION_TEXTS = ("A) Always", "B) Most days", "C) Sometimes", "D) Never")
CHECK_IN_OPTION_TEXTS = ("1 Very hard", "2 Hard", "3 Okay", "4 Good", "5 Very good")

MESSAGE_TEXT: dict[str, str] = {
    "en": "Hi {{1}}, today's tip: {{2}}",
    "ha": "Sannu {{1}}, shawarar yau: {{2}}",
    "yo": "Bawo {{1}}, imoran oni: {{2}}",
    "hi": "नमस्ते {{1}}, आज की सलाह: {{2}}",
    "sw": "Habari {{1}}, dokezo la leo: {{2}}",
    "pt": "Olá {{1}}, a dica de hoje: {{2}}",
    "es": "Hola {{1}}, el consejo de hoy: {{2}}",
}
