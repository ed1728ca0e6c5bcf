"""Synthetic Olist-format demo data ("pulse demo"), with a known, documented pandemic effect.

Why this exists: Pulse needs data to show on a fresh install and for tests, and the real
Olist release may not be redistributed with the project (CC BY-NC-SA, and we do not ship
copies of it). This module writes the nine Olist CSV files from scratch, with the real
files' names, headers and quirks, realistic mixes, and an injected COVID-19 pandemic
effect whose exact size is known (``pandemic_multiplier``) so that later analyses can be
checked against ground truth. Nothing is copied from the real files: every list and weight
below is our own, set to approximate the published aggregate figures named with it.

Public API: ``DemoSpec``, ``generate``, ``pandemic_multiplier``, ``PANDEMIC_START``, plus
``baseline_weight``, ``expected_daily_orders``, ``supply_shock``, ``category_tilt`` (the rest
of the ground truth) and ``FILES`` (file name -> exact header). docs/DEMO_DATA.md is the
user-facing description of all of this, with the exact list of quirks emitted.

How it works (why it is shaped like this):

* Streaming. Orders are generated one calendar day at a time (a busy day in batches of at
  most 20,000 orders) with numpy and written straight away; only bounded tables stay in
  memory (<= 32,951 products, <= 3,095 sellers, <= 15,000 zip prefixes, a ring buffer of
  25,000 recent customers for repeat purchases). 10 million orders peak at ~85 MB RSS.
* Determinism. One ``numpy.random.SeedSequence`` per seed, split into independent streams
  (calendar, geography, catalogue, orders, quirks, quoting); the code path only depends on
  the spec, so the same spec gives byte-identical files (with the same numpy version: numpy
  does not promise identical random streams across releases).
* Exact order count. Expected daily volume is a smooth curve (trend x weekday x season x
  events x pandemic); the ``spec.orders`` orders are spread over the days with one
  multinomial draw, so ``orders.csv`` has exactly ``spec.orders`` rows. Consequence: with a
  fixed total, switching the pandemic on moves orders from before the event to after it
  (``expected_daily_orders`` gives the exact expectation for any spec).

Assumptions and their sources (figures are approximations we set, not copied data):

* Marketplace shape - state mix of customers and sellers, order-status mix, items per
  order, payment-type mix and installments, review-score skew, delivery times (~10-12
  days median, estimated date ~3 weeks after purchase, ~8% late), zip/quoting/empty-field
  quirks, weekday and hour-of-day profile: the public "Brazilian E-Commerce Public Dataset
  by Olist" (Kaggle olistbr/brazilian-ecommerce, 2016-2018): its published aggregate
  figures (e.g. 96,478 of 99,441 orders delivered, SP 41,746 customers, 76,795 credit-card
  payment rows averaging 3.5 instalments), plus widely published exploratory analyses of it
  (weekday shares Monday ~16% ... Saturday ~11%).
* Counterfactual trend: +16% orders a year - Ebit|Nielsen, Webshoppers 41 (2020): Brazilian
  e-commerce revenue 2019 R$ 61.9 bn, +16.3% on 2018 (2018 was +12%); Mastercard
  SpendingPulse put Q1 2020, before the pandemic, at +14% year on year.
* Black Friday ~4x a normal day with a build-up week: the Olist data (2017-11-24 had ~1,150
  orders, ~4x a normal day). Christmas season, Mother's Day (2nd Sunday of May) and Father's
  Day (2nd Sunday of August) build-ups: the usual Brazilian retail calendar, sizes assumed.
* Pandemic start 2020-03-11: WHO declared COVID-19 a pandemic that day; Sao Paulo state's
  quarantine started 2020-03-24, so the effect ramps in linearly over 21 days (full from
  2020-04-01).
* Pandemic size (strength 1.0): 2020 orders +40% on 2019 - Ebit|Nielsen Webshoppers 43/44:
  2020 revenue R$ 87.4 bn, +41% on 2019, the largest rise since 2007; first-half 2020 orders
  93.1 M, +43% on first-half 2019; first-half 2021 orders only +7% (revenue +31%).
  MCC-ENET index (camara-e.net with Movimento Compre & Confie): April 2020 online orders
  +98.7% year on year; Mastercard SpendingPulse: May 2020 +75%. Hence a peak excess of +60%
  over the trend from 2020-04-01, decaying (time constant 60 days) to a lasting +15%
  (7.3 M first-time online shoppers in H1 2020 per Webshoppers 44; part of them stayed).
  Calibrated on expected volumes: 2020 vs 2019 +40.1% (+16.4% without the pandemic),
  H1 2020 vs H1 2019 +44%, April 2020 vs April 2019 +75%, H1 2021 vs H1 2020 +7.7%.
* Category shifts: ABComm with Compre & Confie (24 Feb - 18 Mar 2020): health +111%, beauty
  and perfumery +83%, supermarket (food, drinks) +80%; MCC-ENET March 2020: office and IT
  equipment +40.1%, furniture and home appliances +24.5%; Mercado Livre (17-31 March 2020,
  reported by G1): searches in health and medical equipment +89%, home and furniture +93%;
  Mastercard SpendingPulse 2020: drugstore +88.7%, hobby and books +110%; CNI survey
  (2021): 43% of Brazilians bought fewer clothes and 40% fewer shoes in the pandemic;
  travel and gatherings stopped, so luggage and party supplies fall. Sizes (``beta``)
  assumed.
* Supply side, March-June 2020: ABComm (March 2020) reported online shops warning of delays
  and substitutions because of stock ruptures; Neogrid measured supermarket stock-outs of
  11.3% vs a normal 7-8%; Procon-SP: complaints against Correios March-June 2020 +398% on
  the same months of 2019; Correios demand +25% in June 2020, delivery efficacy "above 90%"
  (Folha de S.Paulo, July 2020). Hence, at strength 1.0, ``unavailable`` orders x3.5,
  transit times +50%, delivery incidents x2, estimates lengthened only 10% (so late
  deliveries go from ~7.5% to ~17%, median delivery from ~11 to ~15 days) - magnitudes
  assumed.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO

import numpy as np

from . import demo_morocco
from .retail_calendar import black_friday, second_sunday

# --- public constants -----------------------------------------------------------------

#: WHO declared COVID-19 a pandemic on 2020-03-11; the demand effect ramps in from here.
PANDEMIC_START: date = date(2020, 3, 11)
#: Days of the linear ramp: from PANDEMIC_START to full effect on 2020-04-01.
PANDEMIC_RAMP_DAYS: int = 21
#: Excess demand over the trend at the peak, at strength 1.0 (+60%).
PANDEMIC_PEAK: float = 0.60
#: Excess demand that stays for good, at strength 1.0 (+15%).
PANDEMIC_LASTING: float = 0.15
#: Time constant (days) of the decay from the peak to the lasting level.
PANDEMIC_DECAY_DAYS: float = 60.0
#: Last day of the supply shock at full intensity (shortages, delays); it fades out over July.
SUPPLY_SHOCK_END: date = date(2020, 6, 30)
#: Counterfactual growth of order volume per year (Webshoppers 41: 2019 +16%).
TREND_GROWTH: float = 0.16
TREND_ANCHOR: date = date(2019, 1, 1)

FILES: dict[str, tuple[str, ...]] = {
    "olist_customers_dataset.csv": (
        "customer_id", "customer_unique_id", "customer_zip_code_prefix", "customer_city",
        "customer_state",
    ),
    "olist_geolocation_dataset.csv": (
        "geolocation_zip_code_prefix", "geolocation_lat", "geolocation_lng", "geolocation_city",
        "geolocation_state",
    ),
    "olist_order_items_dataset.csv": (
        "order_id", "order_item_id", "product_id", "seller_id", "shipping_limit_date", "price",
        "freight_value",
    ),
    "olist_order_payments_dataset.csv": (
        "order_id", "payment_sequential", "payment_type", "payment_installments",
        "payment_value",
    ),
    "olist_order_reviews_dataset.csv": (
        "review_id", "order_id", "review_score", "review_comment_title",
        "review_comment_message", "review_creation_date", "review_answer_timestamp",
    ),
    "olist_orders_dataset.csv": (
        "order_id", "customer_id", "order_status", "order_purchase_timestamp",
        "order_approved_at", "order_delivered_carrier_date", "order_delivered_customer_date",
        "order_estimated_delivery_date",
    ),
    "olist_products_dataset.csv": (
        "product_id", "product_category_name", "product_name_lenght",
        "product_description_lenght", "product_photos_qty", "product_weight_g",
        "product_length_cm", "product_height_cm", "product_width_cm",
    ),
    "olist_sellers_dataset.csv": (
        "seller_id", "seller_zip_code_prefix", "seller_city", "seller_state",
    ),
    "product_category_name_translation.csv": (
        "product_category_name", "product_category_name_english",
    ),
}
MARKER_FILE = "pulse-dataset.json"

# Files whose header and ids are (partly) in double quotes, like the real products/sellers
# files; payments and the translation are plain, like the sample copies.
_QUOTED_HEADER = {
    "olist_customers_dataset.csv", "olist_geolocation_dataset.csv",
    "olist_order_items_dataset.csv", "olist_order_reviews_dataset.csv",
    "olist_orders_dataset.csv", "olist_products_dataset.csv", "olist_sellers_dataset.csv",
}
_ID_QUOTE_SHARE = 0.6  # real products/sellers: ~62% of ids quoted

# --- reference tables (our own lists and weights) -------------------------------------

# UF, state name (for the seller-city quirk), % of customers, % of sellers.
_STATES = """
SP|sao paulo|41.98|59.74
RJ|rio de janeiro|12.92|5.53
MG|minas gerais|11.70|7.88
RS|rio grande do sul|5.50|4.17
PR|parana|5.07|11.28
SC|santa catarina|3.66|6.14
BA|bahia|3.40|0.61
DF|distrito federal|2.15|0.97
ES|espirito santo|2.04|0.74
GO|goias|2.03|1.29
PE|pernambuco|1.66|0.29
CE|ceara|1.34|0.42
PA|para|0.98|0.03
MT|mato grosso|0.91|0.13
MA|maranhao|0.75|0.03
MS|mato grosso do sul|0.72|0.16
PB|paraiba|0.54|0.19
PI|piaui|0.50|0.03
RN|rio grande do norte|0.49|0.16
AL|alagoas|0.42|0
SE|sergipe|0.35|0.06
TO|tocantins|0.28|0
RO|rondonia|0.25|0.06
AM|amazonas|0.15|0.03
AC|acre|0.08|0.03
AP|amapa|0.07|0
RR|roraima|0.05|0
"""

# UF, city (Olist spelling: lower case, no accents), zip prefix range, lat, lng, weight
# within the state. Ranges follow the Correios CEP plan and are disjoint.
_CITIES = """
SP|sao paulo|01000|05999|-23.550|-46.633|40
SP|guarulhos|07000|07399|-23.454|-46.533|5
SP|osasco|06000|06299|-23.532|-46.792|3
SP|carapicuiba|06300|06399|-23.522|-46.836|1
SP|barueri|06400|06499|-23.511|-46.876|1.5
SP|taboao da serra|06750|06799|-23.626|-46.791|1
SP|mogi das cruzes|08700|08899|-23.522|-46.188|2
SP|santo andre|09000|09299|-23.664|-46.538|3
SP|sao bernardo do campo|09600|09899|-23.694|-46.565|3.5
SP|diadema|09900|09999|-23.686|-46.623|1.5
SP|santos|11000|11099|-23.961|-46.333|3
SP|praia grande|11700|11729|-24.006|-46.402|1.5
SP|taubate|12000|12099|-23.026|-45.555|1
SP|sao jose dos campos|12200|12249|-23.179|-45.887|2.5
SP|campinas|13000|13139|-22.906|-47.061|6
SP|jundiai|13200|13219|-23.186|-46.884|2
SP|piracicaba|13400|13429|-22.725|-47.649|1.5
SP|americana|13465|13479|-22.739|-47.331|1
SP|limeira|13480|13489|-22.565|-47.401|1
SP|ribeirao preto|14000|14114|-21.177|-47.810|2.5
SP|franca|14400|14414|-20.539|-47.401|1
SP|araraquara|14800|14811|-21.794|-48.176|1
SP|sao jose do rio preto|15000|15099|-20.820|-49.379|2
SP|bauru|17000|17109|-22.314|-49.060|1.5
SP|marilia|17500|17529|-22.214|-49.946|1
SP|sorocaba|18000|18109|-23.501|-47.458|3
SP|presidente prudente|19000|19099|-22.126|-51.389|1
RJ|rio de janeiro|20000|23799|-22.907|-43.173|60
RJ|niteroi|24000|24399|-22.883|-43.104|7
RJ|sao goncalo|24400|24799|-22.827|-43.054|6
RJ|duque de caxias|25000|25299|-22.786|-43.312|5
RJ|petropolis|25600|25779|-22.505|-43.179|3
RJ|nova iguacu|26000|26099|-22.759|-43.451|5
RJ|volta redonda|27200|27299|-22.523|-44.104|3
RJ|macae|27900|27979|-22.371|-41.787|2
RJ|campos dos goytacazes|28000|28099|-21.752|-41.330|3
MG|belo horizonte|30000|31999|-19.917|-43.934|25
MG|contagem|32000|32399|-19.932|-44.054|5
MG|betim|32600|32699|-19.968|-44.198|3
MG|governador valadares|35000|35099|-18.851|-41.949|2.5
MG|ipatinga|35160|35164|-19.468|-42.537|2
MG|divinopolis|35500|35504|-20.139|-44.884|2
MG|juiz de fora|36000|36099|-21.762|-43.350|7
MG|varginha|37010|37099|-21.551|-45.430|1.5
MG|pocos de caldas|37700|37719|-21.788|-46.561|2
MG|uberaba|38000|38099|-19.747|-47.932|3
MG|uberlandia|38400|38415|-18.918|-48.277|7
MG|montes claros|39400|39409|-16.735|-43.862|3
RS|porto alegre|90000|91999|-30.035|-51.218|30
RS|canoas|92000|92499|-29.918|-51.184|6
RS|novo hamburgo|93300|93599|-29.678|-51.131|4
RS|gravatai|94000|94199|-29.944|-50.992|3
RS|caxias do sul|95000|95124|-29.168|-51.179|8
RS|pelotas|96000|96099|-31.772|-52.343|5
RS|santa maria|97000|97119|-29.684|-53.807|5
RS|passo fundo|99000|99099|-28.262|-52.409|4
PR|curitiba|80000|82999|-25.429|-49.271|30
PR|sao jose dos pinhais|83000|83199|-25.535|-49.206|4
PR|ponta grossa|84000|84099|-25.095|-50.162|5
PR|guarapuava|85000|85099|-25.390|-51.463|2
PR|cascavel|85800|85827|-24.956|-53.455|5
PR|foz do iguacu|85850|85871|-25.547|-54.588|4
PR|londrina|86000|86099|-23.310|-51.163|9
PR|maringa|87000|87099|-23.425|-51.939|8
SC|florianopolis|88000|88099|-27.595|-48.548|12
SC|sao jose|88100|88124|-27.614|-48.627|6
SC|itajai|88300|88319|-26.908|-48.662|4
SC|balneario camboriu|88330|88339|-26.991|-48.635|4
SC|criciuma|88800|88819|-28.678|-49.369|4
SC|blumenau|89000|89099|-26.919|-49.066|8
SC|joinville|89200|89239|-26.304|-48.846|10
SC|chapeco|89800|89816|-27.100|-52.615|4
BA|salvador|40000|42499|-12.971|-38.501|45
BA|lauro de freitas|42700|42709|-12.894|-38.327|5
BA|feira de santana|44000|44099|-12.266|-38.967|10
BA|vitoria da conquista|45000|45099|-14.866|-40.839|6
BA|itabuna|45600|45609|-14.786|-39.280|3
BA|ilheus|45650|45664|-14.793|-39.046|3
BA|juazeiro|48900|48909|-9.416|-40.503|3
DF|brasilia|70000|71999|-15.794|-47.882|60
DF|taguatinga|72000|72199|-15.833|-48.056|12
DF|ceilandia|72200|72299|-15.817|-48.108|10
DF|gama|72400|72499|-16.019|-48.061|6
DF|sobradinho|73000|73099|-15.653|-47.791|5
ES|vitoria|29000|29099|-20.315|-40.312|30
ES|vila velha|29100|29129|-20.330|-40.292|25
ES|cariacica|29140|29159|-20.264|-40.417|10
ES|serra|29160|29184|-20.129|-40.308|18
ES|cachoeiro de itapemirim|29300|29316|-20.849|-41.113|6
ES|linhares|29900|29909|-19.391|-40.072|4
GO|goiania|74000|74899|-16.686|-49.265|55
GO|aparecida de goiania|74900|74999|-16.823|-49.244|15
GO|anapolis|75000|75149|-16.327|-48.953|12
GO|catalao|75700|75709|-18.166|-47.946|3
GO|rio verde|75900|75909|-17.792|-50.919|6
PE|recife|50000|52999|-8.048|-34.877|50
PE|olinda|53000|53399|-8.009|-34.855|10
PE|jaboatao dos guararapes|54000|54499|-8.113|-35.015|12
PE|caruaru|55000|55099|-8.284|-35.970|8
PE|petrolina|56300|56334|-9.389|-40.503|6
CE|fortaleza|60000|61599|-3.732|-38.527|65
CE|caucaia|61600|61699|-3.736|-38.653|8
CE|sobral|62000|62099|-3.689|-40.348|5
CE|juazeiro do norte|63000|63099|-7.213|-39.315|6
PA|belem|66000|66999|-1.456|-48.490|55
PA|ananindeua|67000|67199|-1.366|-48.372|15
PA|santarem|68000|68109|-2.443|-54.708|8
PA|maraba|68500|68519|-5.369|-49.117|8
MT|cuiaba|78000|78109|-15.601|-56.097|45
MT|varzea grande|78110|78159|-15.646|-56.132|15
MT|sinop|78550|78559|-11.864|-55.509|8
MT|rondonopolis|78700|78749|-16.470|-54.636|10
MA|sao luis|65000|65109|-2.530|-44.303|55
MA|caxias|65600|65609|-4.859|-43.356|6
MA|imperatriz|65900|65919|-5.526|-47.479|15
MS|campo grande|79000|79124|-20.470|-54.620|60
MS|tres lagoas|79600|79649|-20.751|-51.678|8
MS|dourados|79800|79849|-22.221|-54.806|15
PB|joao pessoa|58000|58099|-7.115|-34.863|60
PB|campina grande|58400|58439|-7.230|-35.881|20
PI|teresina|64000|64099|-5.089|-42.802|65
PI|parnaiba|64200|64219|-2.904|-41.776|10
RN|natal|59000|59099|-5.795|-35.209|55
RN|parnamirim|59140|59161|-5.915|-35.262|12
RN|mossoro|59600|59649|-5.188|-37.344|12
AL|maceio|57000|57099|-9.665|-35.735|65
AL|arapiraca|57300|57319|-9.752|-36.661|12
SE|aracaju|49000|49099|-10.947|-37.073|65
SE|nossa senhora do socorro|49160|49169|-10.855|-37.126|10
TO|palmas|77000|77270|-10.184|-48.333|50
TO|gurupi|77400|77429|-11.729|-49.068|8
TO|araguaina|77800|77829|-7.191|-48.207|20
RO|porto velho|76800|76834|-8.761|-63.900|50
RO|ariquemes|76870|76879|-9.913|-63.041|8
RO|ji-parana|76900|76914|-10.877|-61.932|15
AM|manaus|69000|69099|-3.119|-60.022|85
AM|parintins|69150|69154|-2.628|-56.736|5
AC|rio branco|69900|69923|-9.975|-67.810|80
AC|cruzeiro do sul|69980|69981|-7.631|-72.670|10
AP|macapa|68900|68914|0.035|-51.070|80
AP|santana|68925|68929|-0.058|-51.172|12
RR|boa vista|69300|69339|2.820|-60.672|90
"""

# Accented spellings: the real geolocation file mixes "sao paulo" and "são paulo".
_ACCENTED = {
    "sao paulo": "são paulo", "santo andre": "santo andré", "jundiai": "jundiaí",
    "sao bernardo do campo": "são bernardo do campo", "sao jose dos campos": "são josé dos campos",
    "ribeirao preto": "ribeirão preto", "sao jose do rio preto": "são josé do rio preto",
    "marilia": "marília", "taubate": "taubaté", "niteroi": "niterói", "sao goncalo": "são gonçalo",
    "nova iguacu": "nova iguaçu", "petropolis": "petrópolis", "macae": "macaé",
    "uberlandia": "uberlândia", "divinopolis": "divinópolis", "pocos de caldas": "poços de caldas",
    "gravatai": "gravataí", "maringa": "maringá", "foz do iguacu": "foz do iguaçu",
    "sao jose dos pinhais": "são josé dos pinhais", "florianopolis": "florianópolis",
    "sao jose": "são josé", "itajai": "itajaí", "balneario camboriu": "balneário camboriú",
    "criciuma": "criciúma", "chapeco": "chapecó", "ilheus": "ilhéus", "brasilia": "brasília",
    "ceilandia": "ceilândia", "vitoria": "vitória", "vitoria da conquista": "vitória da conquista",
    "goiania": "goiânia", "aparecida de goiania": "aparecida de goiânia", "anapolis": "anápolis",
    "catalao": "catalão", "jaboatao dos guararapes": "jaboatão dos guararapes",
    "belem": "belém", "santarem": "santarém", "maraba": "marabá", "cuiaba": "cuiabá",
    "varzea grande": "várzea grande", "rondonopolis": "rondonópolis", "sao luis": "são luís",
    "tres lagoas": "três lagoas", "joao pessoa": "joão pessoa", "parnaiba": "parnaíba",
    "mossoro": "mossoró", "maceio": "maceió", "araguaina": "araguaína", "ji-parana": "ji-paraná",
    "macapa": "macapá",
}

# Categories: name, English (None = no translation row, a real quirk), share of items (%),
# median price (R$), price spread (sigma of log), median weight (g), pandemic tilt beta.
_CATEGORIES = """
cama_mesa_banho|bed_bath_table|11.0|80|0.6|1250|0.2
beleza_saude|health_beauty|9.6|80|0.8|520|0.8
esporte_lazer|sports_leisure|8.6|80|0.8|750|0.1
moveis_decoracao|furniture_decor|8.3|70|0.75|1200|0.3
informatica_acessorios|computers_accessories|7.8|75|0.9|400|0.6
utilidades_domesticas|housewares|6.9|60|0.8|1050|0.6
relogios_presentes|watches_gifts|6.0|130|0.8|350|-0.4
telefonia|telephony|4.5|30|0.9|200|0.1
ferramentas_jardim|garden_tools|4.3|60|0.8|1130|0.2
automotivo|auto|4.2|75|0.9|900|-0.3
brinquedos|toys|4.1|70|0.85|700|0.3
cool_stuff|cool_stuff|3.8|130|0.75|1100|0.0
perfumaria|perfumery|3.4|80|0.7|400|0.4
bebes|baby|3.0|90|0.8|850|0.2
eletronicos|electronics|2.7|35|0.9|250|0.3
papelaria|stationery|2.5|60|0.8|650|0.2
fashion_bolsas_e_acessorios|fashion_bags_accessories|2.0|40|0.8|200|-0.7
pet_shop|pet_shop|1.9|60|0.8|850|0.5
moveis_escritorio|office_furniture|1.7|170|0.6|11600|0.8
consoles_games|consoles_games|1.1|55|1.0|350|0.5
malas_acessorios|luggage_accessories|1.1|150|0.7|950|-1.4
construcao_ferramentas_construcao|construction_tools_construction|0.9|75|0.9|1450|0.2
eletrodomesticos|home_appliances|0.8|60|1.0|350|0.7
instrumentos_musicais|musical_instruments|0.7|130|0.9|1050|0.3
eletroportateis|small_appliances|0.7|170|0.8|1700|0.7
casa_construcao|home_construction|0.6|80|0.9|1000|0.2
livros_interesse_geral|books_general_interest|0.55|40|0.6|500|0.5
alimentos|food|0.5|35|0.7|540|1.1
moveis_sala|furniture_living_room|0.5|90|0.8|6150|0.2
casa_conforto|home_confort|0.45|70|0.8|2200|0.3
bebidas|drinks|0.4|50|0.7|1300|1.0
audio|audio|0.36|100|0.9|400|0.2
market_place|market_place|0.3|80|0.9|540|0.0
construcao_ferramentas_iluminacao|construction_tools_lights|0.3|80|0.8|980|0.1
climatizacao|air_conditioning|0.3|120|1.0|3370|0.2
moveis_cozinha_area_de_servico_jantar_e_jardim|kitchen_dining_laundry_garden_furniture|0.28|150|0.8|9950|0.3
alimentos_bebidas|food_drink|0.28|45|0.7|600|1.1
industria_comercio_e_negocios|industry_commerce_and_business|0.27|100|1.0|4220|-0.3
livros_tecnicos|books_technical|0.27|75|0.6|700|0.3
telefonia_fixa|fixed_telephony|0.26|100|1.0|410|0.0
fashion_calcados|fashion_shoes|0.26|90|0.7|900|-0.7
eletrodomesticos_2|home_appliances_2|0.24|400|0.8|9050|0.7
construcao_ferramentas_jardim|costruction_tools_garden|0.24|60|0.9|1040|0.2
agro_industria_e_comercio|agro_industry_and_commerce|0.21|100|1.1|2680|-0.2
artes|art|0.21|60|1.0|700|0.3
pcs|computers|0.2|1100|0.5|7200|0.9
sinalizacao_e_seguranca|signaling_and_security|0.2|60|1.0|580|0.0
construcao_ferramentas_seguranca|construction_tools_safety|0.19|100|1.0|600|0.0
artigos_de_natal|christmas_supplies|0.15|60|0.8|550|0.0
fashion_roupa_masculina|fashion_male_clothing|0.13|70|0.6|500|-0.7
fashion_underwear_e_moda_praia|fashion_underwear_beach|0.13|50|0.6|300|-0.9
moveis_quarto|furniture_bedroom|0.1|120|0.8|10600|0.3
tablets_impressao_imagem|tablets_printing_image|0.08|80|0.8|300|0.6
fashion_roupa_feminina|fashion_female_clothing|0.05|60|0.6|500|-0.7
artigos_de_festas|party_supplies|0.04|40|0.8|1350|-1.0
fraldas_higiene|diapers_and_hygiene|0.04|50|0.6|580|0.6
fashion_esporte|fashion_sport|0.03|50|0.6|250|-0.5
flores|flowers|0.03|40|0.6|600|0.0
portateis_cozinha_e_preparadores_de_alimentos||0.015|150|0.8|1020|0.7
pc_gamer||0.01|200|0.9|800|0.9
"""

# Order status: base probability (Olist: delivered 96,478 ... approved 2 of 99,441) and the
# probability that an order of that status has no items (775 such orders, mostly
# unavailable and canceled).
_STATUSES = ("delivered", "shipped", "canceled", "unavailable", "invoiced", "processing",
             "created", "approved")
_STATUS_P = np.array([0.97019, 0.01113, 0.00629, 0.00612, 0.00316, 0.00303, 0.00005,
                      0.00003])
_NO_ITEMS_P = np.array([0.0, 0.0, 0.26, 0.99, 0.006, 0.0, 1.0, 0.0])
(_DELIVERED, _SHIPPED, _CANCELED, _UNAVAILABLE, _INVOICED, _PROCESSING, _CREATED,
 _APPROVED) = range(8)

# Items per order among orders with items (~90% single item, up to a dozen).
_N_ITEMS_P = np.array([0.9015, 0.0755, 0.0134, 0.0051, 0.0021, 0.0020, 0.0002, 0.0001,
                       0.00005, 0.0001, 0.00004, 0.00005])

# Payments: type of the first row; credit-card instalments 1..24 (mean ~3.5).
_PAY_TYPES = ("credit_card", "boleto", "voucher", "debit_card", "not_defined")
_PAY_FIRST_P = np.array([0.7680, 0.2050, 0.0110, 0.0160])
_INSTALLMENTS_P = np.array([
    0.330, 0.160, 0.136, 0.092, 0.068, 0.051, 0.021, 0.056, 0.0085, 0.069, 0.0003, 0.0017,
    0.0002, 0.0002, 0.0010, 0.0001, 0.0001, 0.0004, 0.00002, 0.0002, 0.00003, 0.00002,
    0.00002, 0.0002,
])
_MULTI_PAY_P = 0.030  # orders paid in several rows (2,961 of 99,440)

# Purchase hour profile (share of orders per hour, 0h..23h) and weekday factors (Mon..Sun).
_HOUR_P = np.array([2.4, 1.2, 0.5, 0.3, 0.2, 0.2, 0.5, 1.2, 3.0, 4.8, 6.2, 6.6, 6.0, 6.5,
                    6.6, 6.5, 6.7, 6.2, 5.8, 6.0, 6.2, 6.2, 5.8, 4.1])
_WEEKDAY = np.array([1.14, 1.12, 1.09, 1.04, 0.99, 0.77, 0.84])
_MONTH = np.array([0.93, 0.94, 1.0, 0.98, 1.0, 0.98, 1.0, 1.0, 0.98, 1.0, 1.04, 1.0])

# Review scores 1..5 by delivery outcome.
_SCORE_ON_TIME = np.array([0.065, 0.025, 0.075, 0.21, 0.625])
_SCORE_LATE = np.array([0.45, 0.09, 0.13, 0.12, 0.21])
_SCORE_NOT_DELIVERED = np.array([0.62, 0.08, 0.10, 0.07, 0.13])
_MESSAGE_P = np.array([0.80, 0.75, 0.55, 0.40, 0.33])  # by score 1..5
_TITLE_P = np.array([0.20, 0.17, 0.12, 0.10, 0.10])

# Our own Portuguese review texts, by score; some have commas, quotes and line breaks
# (the real file's texts do), which exercises a loader's CSV parsing.
_MESSAGES: tuple[tuple[str, ...], ...] = (
    (
        "Não recebi o produto até agora.",
        "Comprei dois itens e só chegou um, o \"outro\" ninguém sabe informar.",
        "Péssimo, o pedido foi cancelado sem aviso.\nQuero meu dinheiro de volta!",
        "Produto errado, enviaram outro modelo.",
        "Já passou do prazo de entrega e nada, ninguém responde os e-mails.",
        "Entrega atrasada, o rastreamento não atualiza há dias.",
        "Veio quebrado.\r\nPedi a troca e até agora nada.",
        "Não recomendo esta loja",
    ),
    (
        "Veio com defeito, estou aguardando a troca.",
        "Produto de qualidade inferior, não recomendo.",
        "A caixa chegou aberta e faltando peças.",
        "Demorou muito, e o \"brinde\" prometido não veio.",
    ),
    (
        "Produto razoável, esperava mais pela descrição.",
        "A cor é diferente da foto, mas serve.",
        "Chegou no prazo, porém sem manual de instruções.",
        "O produto é bom.\nA entrega que demorou.",
    ),
    (
        "Bom produto, mas a embalagem veio um pouco amassada.",
        "Gostei, porém demorou um pouco para chegar.",
        "Produto bom, conforme o anúncio.",
        "Atendeu às expectativas, só achei o frete caro.",
        "Muito bom",
    ),
    (
        "Produto excelente, chegou antes do prazo. Recomendo!",
        "Muito bom, super recomendo.",
        "Chegou rápido e bem embalado, igual à foto.",
        "Ótima qualidade, entrega dentro do prazo.",
        "Comprei para presente e a pessoa adorou.\nVoltarei a comprar!",
        "O vendedor foi muito atencioso, \"nota 10\".",
        "Tudo certo, produto original, entrega rápida.",
        "Perfeito!",
        "Recomendo a loja, tudo conforme anunciado.",
        "Adorei, o tamanho é exatamente o descrito.\r\nObrigada!",
    ),
)
_TITLES: tuple[tuple[str, ...], ...] = (
    ("Não recebi", "Péssimo", "Não recomendo"),
    ("Produto com defeito", "Ruim"),
    ("Razoável", "Mais ou menos"),
    ("Bom", "Muito bom", "Gostei"),
    ("Recomendo", "Ótimo", "Super recomendo", "Excelente"),
)


def _table(text: str) -> list[list[str]]:
    return [line.split("|") for line in text.strip().splitlines()]


def _csv_field(value: str) -> str:
    """One field encoded by the csv module (quoted only when it has to be)."""
    if value == "":
        return ""
    buf = io.StringIO()
    # The default "\r\n" terminator matters: csv quotes a field for the characters of
    # its line terminator, so an empty terminator would leave line breaks unquoted.
    csv.writer(buf).writerow([value])
    return buf.getvalue().removesuffix("\r\n")


class _Country:
    """One country's reference tables, parsed once: what differs between `--country`s.

    Why one class and not a copy of the generator: the structure (calendar, statuses,
    delivery times, quirks, streaming, determinism) is the same everywhere; only these
    lists and the money scale differ. `money` multiplies the generator's money constants
    set in reais (freight, price bounds, amounts of orders without items); prices come
    from the category table, already in the country's currency.
    """

    def __init__(self, code: str, word: str, states: str, cities: str,
                 accented: dict[str, str], categories: str, pay_types: tuple[str, ...],
                 pay_first_p: Sequence[float], installments_p: Sequence[float],
                 messages: tuple[tuple[str, ...], ...], titles: tuple[tuple[str, ...], ...],
                 money: float = 1.0) -> None:
        self.code, self.word, self.money = code, word, money
        self.state_rows = _table(states)
        self.uf = tuple(r[0] for r in self.state_rows)
        self.uf_index = {uf: i for i, uf in enumerate(self.uf)}
        self.city_rows = _table(cities)
        self.accented = accented
        self.cat_rows = _table(categories)
        self.cat_names = tuple(r[0] for r in self.cat_rows)
        self.cat_beta = np.array([float(r[6]) for r in self.cat_rows])
        w = np.array([float(r[2]) for r in self.cat_rows])
        self.cat_w = w / w.sum()
        self.pay_types = pay_types
        self.pay_first_p = np.array(pay_first_p)
        self.installments_p = np.array(installments_p)
        self.messages_csv = tuple(tuple(_csv_field(m) for m in ms) for ms in messages)
        self.titles_csv = tuple(tuple(_csv_field(t) for t in ts) for ts in titles)


_BRAZIL = _Country("BR", "brasil", _STATES, _CITIES, _ACCENTED, _CATEGORIES, _PAY_TYPES,
                   _PAY_FIRST_P, _INSTALLMENTS_P, _MESSAGES, _TITLES)
_MOROCCO = _Country("MA", "maroc", demo_morocco.STATES, demo_morocco.CITIES,
                    demo_morocco.ACCENTED, demo_morocco.CATEGORIES, demo_morocco.PAY_TYPES,
                    demo_morocco.PAY_FIRST_P, demo_morocco.INSTALLMENTS_P,
                    demo_morocco.MESSAGES, demo_morocco.TITLES, money=demo_morocco.MONEY)
_COUNTRIES = {"BR": _BRAZIL, "MA": _MOROCCO}
#: Countries `DemoSpec.country` accepts (`pulse demo --country`).
COUNTRIES: tuple[str, ...] = tuple(_COUNTRIES)

# Brazil's parsed tables under their historical names (the insight tests' ground truth).
_STATE_ROWS = _BRAZIL.state_rows
_UF = _BRAZIL.uf
_CAT_ROWS = _BRAZIL.cat_rows
_CAT_NAMES = _BRAZIL.cat_names
_CAT_BETA = _BRAZIL.cat_beta
_CAT_W = _BRAZIL.cat_w

_DAY = 86_400
_EPOCH = date(1970, 1, 1)


# --- the spec and the ground truth -----------------------------------------------------


@dataclass(frozen=True)
class DemoSpec:
    """What to generate. Same spec, same bytes."""

    orders: int = 100_000
    seed: int = 42
    pandemic: float = 1.0  # size of the pandemic effect: 1.0 documented default, 0.0 none
    start: date = date(2019, 1, 1)
    end: date = date(2021, 12, 31)
    country: str = "BR"  # whose regions, cities, categories and money (COUNTRIES)

    def validate(self) -> None:
        """Reject specs that cannot give a sensible dataset, before any file is touched."""
        if isinstance(self.orders, bool) or not isinstance(self.orders, int | np.integer) \
                or self.orders < 0:
            raise ValueError(f"orders must be a whole number >= 0, not {self.orders!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int | np.integer) \
                or self.seed < 0:
            raise ValueError(f"seed must be a whole number >= 0, not {self.seed!r}")
        if not (math.isfinite(self.pandemic) and self.pandemic >= 0):
            raise ValueError(f"pandemic must be a finite number >= 0, not {self.pandemic!r}")
        if self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        if self.start.year < 1970 or self.end.year > 2199:
            raise ValueError("dates must lie between 1970 and 2199")
        if self.country not in _COUNTRIES:
            raise ValueError(f"country must be one of {', '.join(COUNTRIES)}, "
                             f"not {self.country!r}")


def _demand_shape(day: date) -> float:
    """Excess demand of the pandemic at strength 1.0 on `day` (0 before PANDEMIC_START)."""
    t = (day - PANDEMIC_START).days
    if t < 0:
        return 0.0
    if t < PANDEMIC_RAMP_DAYS:
        return PANDEMIC_PEAK * t / PANDEMIC_RAMP_DAYS
    decay = math.exp(-(t - PANDEMIC_RAMP_DAYS) / PANDEMIC_DECAY_DAYS)
    return PANDEMIC_LASTING + (PANDEMIC_PEAK - PANDEMIC_LASTING) * decay


def pandemic_multiplier(day: date, strength: float) -> float:
    """Ground truth: factor on the expected daily order volume caused by the pandemic.

    ``1 + strength * E(day)`` where E is 0 before 2020-03-11, rises linearly to
    PANDEMIC_PEAK (0.60) on 2020-04-01, then decays as
    ``PANDEMIC_LASTING + (PANDEMIC_PEAK - PANDEMIC_LASTING) * exp(-(t - 21) / 60)`` with t the
    days since 2020-03-11 (PANDEMIC_LASTING = 0.15). It is relative to the counterfactual
    trend of the same dataset; see ``expected_daily_orders`` for absolute numbers.
    """
    if strength == 0:
        return 1.0
    return 1.0 + strength * _demand_shape(day)


def supply_shock(day: date) -> float:
    """Intensity 0..1 of the early-pandemic supply shock (shortages, carrier delays).

    Ramps from 0 on 2020-03-11 to 1 over 14 days, stays 1 until 2020-06-30, fades
    linearly to 0 over July 2020. Effects at strength s (see module docstring):
    unavailable probability x(1 + 2.5 s h), transit time x(1 + 0.5 s h), incident
    probability x(1 + 1.0 s h), estimated delivery time x(1 + 0.1 s h).
    """
    t = (day - PANDEMIC_START).days
    if t < 0:
        return 0.0
    end = (SUPPLY_SHOCK_END - PANDEMIC_START).days
    if t <= end:
        return min(1.0, (t + 1) / 14)
    return max(0.0, 1.0 - (t - end) / 31)


def category_tilt(category: str, day: date, strength: float, country: str = "BR") -> float:
    """Ground truth: factor on a category's share of new orders before renormalising.

    ``exp(beta_c * strength * E(day) / PANDEMIC_PEAK)``; the category mix of a day is
    base share x tilt, renormalised over all categories (of `country`'s table).
    """
    c = _COUNTRIES[country]
    beta = c.cat_beta[c.cat_names.index(category)]
    return math.exp(beta * strength * _demand_shape(day) / PANDEMIC_PEAK)


_BF_FACTOR = {-7: 1.15, -6: 1.2, -5: 1.25, -4: 1.3, -3: 1.4, -2: 1.5, -1: 1.7, 0: 4.0,
              1: 2.0, 2: 1.6, 3: 1.6, 4: 1.2}


def baseline_weight(day: date) -> float:
    """Counterfactual relative daily volume: trend x weekday x month x retail events.

    Anchored on 2019-01-01 (weight ~1 on a plain Tuesday in January 2019), independent of
    the spec's window, so the same day has the same shape in every dataset.
    """
    years = (day - TREND_ANCHOR).days / 365.25
    w = (1 + TREND_GROWTH) ** years * _WEEKDAY[day.weekday()] * _MONTH[day.month - 1]
    bf = (day - black_friday(day.year)).days
    w *= _BF_FACTOR.get(bf, 1.0)
    if day.month == 12:
        d = day.day
        if d <= 21:
            w *= 1.0 + 0.35 * d / 21  # Christmas shopping builds up
        elif d <= 23:
            w *= 1.25
        else:
            w *= {24: 0.7, 25: 0.45, 31: 0.6}.get(d, 0.85)
    elif day.month == 1 and day.day == 1:
        w *= 0.5
    for mday, size in ((second_sunday(day.year, 5), 0.18), (second_sunday(day.year, 8), 0.08)):
        before = (mday - day).days
        if 1 <= before <= 10:
            w *= 1.0 + size
    return float(w)


def _days(spec: DemoSpec) -> list[date]:
    n = (spec.end - spec.start).days + 1
    return [spec.start + timedelta(days=i) for i in range(n)]


def expected_daily_orders(spec: DemoSpec) -> dict[date, float]:
    """Exact expected orders per day: spec.orders x b(d) m(d) / sum(b m) over the window."""
    days = _days(spec)
    w = np.array([baseline_weight(d) * pandemic_multiplier(d, spec.pandemic) for d in days])
    w = w * (spec.orders / w.sum()) if w.sum() > 0 else w
    return dict(zip(days, w.tolist(), strict=True))


# --- formatting helpers ------------------------------------------------------------------


def _hex_ids(rng: np.random.Generator, n: int) -> list[str]:
    """n random 32-hex-digit ids (md5-like); 128 random bits make collisions negligible."""
    h = rng.bytes(16 * n).hex()
    return [h[i:i + 32] for i in range(0, 32 * n, 32)]


def _fmt_ts(sec: np.ndarray, present: np.ndarray | None = None) -> list[str]:
    """Seconds since 1970 -> 'YYYY-MM-DD HH:MM:SS' ('' where not present), vectorised."""
    if sec.size == 0:
        return []
    a = np.datetime_as_string(sec.astype("datetime64[s]")).astype("U19")
    a.view(np.uint32).reshape(a.size, 19)[:, 10] = 32  # 'T' -> ' '
    if present is not None:
        a = np.where(present, a, "")
    return a.tolist()


def _fmt_cents2(cents: np.ndarray) -> list[str]:
    """Money with two decimals, like the real items file ('58.90')."""
    return [f"{c // 100}.{c % 100:02d}" for c in cents.tolist()]


def _fmt_cents_short(cents: np.ndarray) -> list[str]:
    """Money as Python prints the float, like the real payments file ('141.9', '0.0')."""
    return [str(c / 100) for c in cents.tolist()]


class _Quoter:
    """Wraps some ids in double quotes, the real files' inconsistent quoting.

    Ids are hex and zips digits, so wrapping them never needs escaping; free text goes
    through the csv module (``_csv_field``).
    """

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng

    def ids(self, ids: list[str]) -> list[str]:
        mask = (self._rng.random(len(ids)) < _ID_QUOTE_SHARE).tolist()
        return [f'"{s}"' if q else s for s, q in zip(ids, mask, strict=True)]


def _write_rows(fh: IO[str], columns: list[list[str]]) -> None:
    if columns and columns[0]:
        fh.write("\n".join(map(",".join, zip(*columns, strict=True))))
        fh.write("\n")


def _header(name: str) -> str:
    cols = FILES[name]
    if name in _QUOTED_HEADER:
        return ",".join(f'"{c}"' for c in cols) + "\n"
    return ",".join(cols) + "\n"


def _pick(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    """n draws from a discrete distribution (inverse CDF; cheaper than Generator.choice)."""
    cdf = np.cumsum(p / p.sum())
    cdf[-1] = 1.0
    return np.searchsorted(cdf, rng.random(n), side="right")


def _grouped_pick(rng: np.random.Generator, key: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """For each group id, draw one member index; `key` = group + within-group CDF (sorted)."""
    u = np.minimum(rng.random(groups.size), 1.0 - 1e-9)  # g + u must stay below g + 1.0
    return np.searchsorted(key, groups + u, side="right")


def _group_key(groups: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Sorted search key for ``_grouped_pick``: members must be sorted by group."""
    key = np.empty(groups.size)
    bounds = np.flatnonzero(np.diff(groups)) + 1
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, groups.size], strict=True):
        c = np.cumsum(weights[lo:hi])
        c /= c[-1]
        c[-1] = 1.0
        key[lo:hi] = groups[lo] + c
        key[hi - 1] = groups[lo] + 1.0
    return key


def _haversine_km(lat1: np.ndarray, lng1: np.ndarray, lat2: np.ndarray,
                  lng2: np.ndarray) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lng2 - lng1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 12_742.0 * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


# --- geography and catalogue -----------------------------------------------------------------


class _Geography:
    """Cities, a bounded universe of zip prefixes, and how customers/sellers pick them."""

    def __init__(self, rng: np.random.Generator, n_zips: int, country: _Country = _BRAZIL
                 ) -> None:
        self.country = country
        rows = country.city_rows
        self.uf = np.array([country.uf_index[r[0]] for r in rows])
        self.name = [r[1] for r in rows]
        self.name_csv = [_csv_field(r[1]) for r in rows]
        self.lat = np.array([float(r[4]) for r in rows])
        self.lng = np.array([float(r[5]) for r in rows])
        within = np.array([float(r[6]) for r in rows])
        state_total = np.bincount(self.uf, weights=within, minlength=len(country.uf))
        share = within / state_total[self.uf]
        cust_uf = np.array([float(r[2]) for r in country.state_rows])
        sell_uf = np.array([float(r[3]) for r in country.state_rows])
        self.p_customer = cust_uf[self.uf] * share
        self.p_customer /= self.p_customer.sum()
        self.p_seller = sell_uf[self.uf] * share
        self.p_seller /= self.p_seller.sum()
        # Zip universe: each city gets prefixes in proportion to its customers and sellers.
        alloc = 0.9 * self.p_customer + 0.1 * self.p_seller
        zips: list[int] = []
        city_of_zip: list[int] = []
        for c, r in enumerate(rows):
            lo, hi = int(r[2]), int(r[3])
            k = min(hi - lo + 1, max(2, round(n_zips * alloc[c])))
            picked = np.sort(rng.choice(hi - lo + 1, size=k, replace=False)) + lo
            zips.extend(picked.tolist())
            city_of_zip.extend([c] * k)
        self.zip = np.array(zips)
        self.zip_city = np.array(city_of_zip)
        self.zip_text = [f'"{z:05d}"' for z in zips]  # always quoted, like the real files
        big = within[self.zip_city] >= 20
        spread = np.where(big, 0.05, 0.02)
        self.zip_lat = self.lat[self.zip_city] + rng.normal(0, 1, self.zip.size) * spread
        self.zip_lng = self.lng[self.zip_city] + rng.normal(0, 1, self.zip.size) * spread
        self.zip_key = _group_key(self.zip_city, rng.lognormal(0, 0.8, self.zip.size))

    def state_codes(self, cities: list[int]) -> list[str]:
        """The state (region) code of each city index."""
        uf = self.country.uf
        return [uf[self.uf[c]] for c in cities]

    def customer_zips(self, rng: np.random.Generator, n: int) -> np.ndarray:
        cities = _pick(rng, self.p_customer, n)
        return _grouped_pick(rng, self.zip_key, cities)

    def seller_zips(self, rng: np.random.Generator, n: int) -> np.ndarray:
        cities = _pick(rng, self.p_seller, n)
        return _grouped_pick(rng, self.zip_key, cities)

    def write_geolocation(self, rng: np.random.Generator, fh: IO[str]) -> int:
        """Several rows per prefix (1 + Poisson(3.5)), jittered, some with accents."""
        order = np.argsort(self.zip, kind="stable")
        per = 1 + rng.poisson(3.5, self.zip.size)
        rows = 0
        for lo in range(0, order.size, 4000):
            idx = np.repeat(order[lo:lo + 4000], per[order[lo:lo + 4000]])
            n = idx.size
            lat = self.zip_lat[idx] + rng.normal(0, 0.002, n)
            lng = self.zip_lng[idx] + rng.normal(0, 0.002, n)
            accent = (rng.random(n) < 0.08).tolist()
            cities = self.zip_city[idx].tolist()
            accented = self.country.accented
            names = [
                accented.get(self.name[c], self.name[c]) if a else self.name[c]
                for c, a in zip(cities, accent, strict=True)
            ]
            _write_rows(fh, [
                [self.zip_text[i] for i in idx.tolist()],
                [str(x) for x in lat.tolist()],
                [str(x) for x in lng.tolist()],
                [_csv_field(s) for s in names],
                self.state_codes(cities),
            ])
            rows += n
        return rows


class _Catalogue:
    """Sellers and products (bounded in size), with prices, weights and popularity."""

    def __init__(self, rng: np.random.Generator, geo: _Geography, n_products: int,
                 n_sellers: int) -> None:
        country = geo.country
        rows, cat_w = country.cat_rows, country.cat_w
        n_cat = len(rows)
        self.seller_ids = np.array(_hex_ids(rng, n_sellers), dtype="S32")
        self.seller_zip = geo.seller_zips(rng, n_sellers)
        self.seller_size = rng.lognormal(0, 1.4, n_sellers)
        seller_main = _pick(rng, cat_w, n_sellers)

        # Products: at least one per category, then by share; sorted by category.
        cat = np.concatenate([
            np.arange(min(n_cat, n_products)),
            _pick(rng, cat_w ** 0.85, max(0, n_products - n_cat)),
        ])
        first_of_cat = np.zeros(cat.size, bool)
        first_of_cat[: min(n_cat, n_products)] = True
        order = np.argsort(cat, kind="stable")
        cat, first_of_cat = cat[order], first_of_cat[order]
        n = cat.size
        self.cat = cat
        self.ids = np.array(_hex_ids(rng, n), dtype="S32")
        self.key = _group_key(cat, rng.lognormal(0, 1.2, n))
        median = np.array([float(r[3]) for r in rows])[cat]
        sigma = np.array([float(r[4]) for r in rows])[cat]
        price = np.clip(median * np.exp(sigma * rng.normal(0, 1, n)), 3.0 * country.money,
                        6500.0 * country.money)
        ending = _pick(rng, np.array([0.40, 0.25, 0.15, 0.20]), n)
        reais = np.floor(price).astype(np.int64)
        cents = np.select([ending == 0, ending == 1, ending == 2],
                          [90, 99, 0], rng.integers(0, 100, n))
        self.price = reais * 100 + cents
        wmed = np.array([float(r[5]) for r in rows])[cat]
        weight = np.clip(np.round(wmed * rng.lognormal(0, 0.9, n)), 50, 40_000)
        self.weight_kg = weight / 1000
        volume = np.maximum(weight * rng.lognormal(np.log(5), 0.6, n), 16 * 11 * 2)
        height = np.clip(np.round(np.cbrt(volume) * rng.lognormal(-0.4, 0.4, n)), 2, 105)
        length = np.clip(np.round(np.sqrt(volume / height) * rng.lognormal(0.2, 0.2, n)),
                         16, 105)
        width = np.clip(np.round(volume / (height * length)), 11, 118)
        name_len = np.clip(np.round(rng.normal(48, 10, n)), 5, 76)
        desc_len = np.clip(np.round(rng.lognormal(np.log(600), 0.8, n)), 4, 3992)
        photos = 1 + _pick(rng, np.array([50, 19, 12, 8, 5, 3, 1.5, 1, 0.5, 0.3]), n)
        # Quirks: ~2% without category (never the only product of a category, so both
        # untranslated categories stay visible), and rare products without dimensions.
        no_cat = (rng.random(n) < 0.0185) & ~first_of_cat
        if not no_cat.any() and n > n_cat:
            no_cat[np.flatnonzero(~first_of_cat)[0]] = True
        no_dims = np.zeros(n, bool)
        cand = np.flatnonzero(~no_cat)
        no_dims[rng.choice(cand, size=max(1, round(n / 16_000)), replace=False)] = True
        self._rows = (cat, no_cat, no_dims, name_len, desc_len, photos, weight, length,
                      height, width)
        self.names = country.cat_names

        # Seller of each product: mostly a seller specialised in its category.
        seller = _pick(rng, self.seller_size, n)
        by_main = np.argsort(seller_main, kind="stable")
        main_key = _group_key(seller_main[by_main], self.seller_size[by_main])
        has_main = np.isin(cat, seller_main)
        special = has_main & (rng.random(n) < 0.85)
        seller[special] = by_main[_grouped_pick(rng, main_key, cat[special])]
        self.seller = seller
        # Quirk of the real sellers file: city written as "city, state, brasil" (the
        # country's own word elsewhere: "maroc").
        self.seller_city_quirk = np.zeros(n_sellers, bool)
        self.seller_city_quirk[rng.choice(n_sellers, max(1, n_sellers // 1500),
                                          replace=False)] = True

    def write_products(self, rng: np.random.Generator, quoter: _Quoter, fh: IO[str]) -> int:
        (cat, no_cat, no_dims, name_len, desc_len, photos, weight, length, height,
         width) = self._rows
        order = rng.permutation(cat.size)  # the real file is not sorted by category
        for lo in range(0, order.size, 5000):
            idx = order[lo:lo + 5000]
            nc, nd = no_cat[idx].tolist(), no_dims[idx].tolist()

            def num(a: np.ndarray, blank: list[bool], idx: np.ndarray = idx) -> list[str]:
                return ["" if b else str(int(v)) for v, b in zip(a[idx].tolist(), blank,
                                                                  strict=True)]

            names = self.names
            _write_rows(fh, [
                quoter.ids(self.ids[idx].astype("U32").tolist()),
                ["" if b else names[c] for c, b in zip(cat[idx].tolist(), nc, strict=True)],
                num(name_len, nc), num(desc_len, nc), num(photos, nc),
                num(weight, nd), num(length, nd), num(height, nd), num(width, nd),
            ])
        return int(cat.size)

    def write_sellers(self, geo: _Geography, quoter: _Quoter, fh: IO[str]) -> int:
        z = self.seller_zip
        cities = geo.zip_city[z]
        names = []
        country = geo.country
        for c, quirk in zip(cities.tolist(), self.seller_city_quirk.tolist(), strict=True):
            if quirk:
                state = country.state_rows[geo.uf[c]][1]
                names.append(_csv_field(f"{geo.name[c]}, {state}, {country.word}"))
            else:
                names.append(geo.name_csv[c])
        _write_rows(fh, [
            quoter.ids(self.seller_ids.astype("U32").tolist()),
            [geo.zip_text[i] for i in z.tolist()],
            names,
            geo.state_codes(cities.tolist()),
        ])
        return int(z.size)


def _write_translation(fh: IO[str], country: _Country = _BRAZIL) -> int:
    rows = [(r[0], r[1]) for r in country.cat_rows if r[1]]
    _write_rows(fh, [[a for a, _ in rows], [b for _, b in rows]])
    return len(rows)


# --- orders, day by day ------------------------------------------------------------------


_POOL = 25_000  # recent customers who may come back (bounded: memory does not grow)
_BATCH = 20_000  # most orders generated at once (a busy day is split): bounds memory
# Catalogue sizes follow the order count (real: 32,951 products and 3,095 sellers for 99,441
# orders) up to these caps, so memory stops growing with the order count.
_MAX_PRODUCTS = 32_951
_MAX_SELLERS = 3_095
_MAX_ZIPS = 15_000
_RETURN_P = 0.034  # share of orders placed by a returning person (3,345 of 99,441)


@dataclass
class _Counts:
    orders: int = 0
    customers: int = 0
    items: int = 0
    payments: int = 0
    reviews: int = 0


class _OrderWriter:
    """Generates and writes the orders of one day at a time, and all their children."""

    def __init__(self, spec: DemoSpec, geo: _Geography, cat: _Catalogue,
                 rng: np.random.Generator, quoter: _Quoter, quirks: dict[str, np.ndarray],
                 files: dict[str, IO[str]]) -> None:
        self.spec, self.geo, self.cat, self.rng, self.q = spec, geo, cat, rng, quoter
        self.quirks = quirks
        self.files = files
        self.counts = _Counts()
        self.pool_uid = np.zeros(_POOL, dtype="S32")
        self.pool_zip = np.zeros(_POOL, dtype=np.int64)
        self.pool_n = 0
        self.pool_pos = 0
        self.seller_lat = geo.zip_lat[cat.seller_zip]
        self.seller_lng = geo.zip_lng[cat.seller_zip]

    def _quirk(self, name: str, lo: int, n: int) -> np.ndarray:
        """Positions (0..n-1) in today's batch of the orders chosen for a global quirk."""
        q = self.quirks[name]
        return q[(q >= lo) & (q < lo + n)] - lo

    def _people(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Each order's person and zip: ~3.4% come back from a bounded pool of earlier
        customers, the rest are new (and join the pool)."""
        rng = self.rng
        returning = (rng.random(n) < _RETURN_P) if self.pool_n else np.zeros(n, bool)
        k_new = int(n - returning.sum())
        uid = np.empty(n, dtype="S32")
        zip_idx = np.empty(n, dtype=np.int64)
        new_uid = np.array(_hex_ids(rng, k_new), dtype="S32")
        new_zip = self.geo.customer_zips(rng, k_new)
        uid[~returning], zip_idx[~returning] = new_uid, new_zip
        if returning.any():
            back = rng.integers(0, self.pool_n, int(returning.sum()))
            uid[returning], zip_idx[returning] = self.pool_uid[back], self.pool_zip[back]
        keep = min(k_new, _POOL)
        slots = (self.pool_pos + np.arange(keep)) % _POOL
        self.pool_uid[slots], self.pool_zip[slots] = new_uid[k_new - keep:], new_zip[k_new - keep:]
        self.pool_pos = (self.pool_pos + keep) % _POOL
        self.pool_n = min(_POOL, self.pool_n + keep)
        return uid, zip_idx

    def _timeline(self, purchase: np.ndarray, boleto: np.ndarray, order_dist: np.ndarray,
                  h: float, day0: int) -> tuple[np.ndarray, ...]:
        """(approved, carrier, delivered, estimated) timestamps. Approval takes minutes for
        cards, a day or two for boleto; transit grows with distance and the supply shock."""
        rng, n = self.rng, len(purchase)
        approve_delay = np.where(boleto, rng.lognormal(np.log(30 * 3600), 0.6, n),
                                 rng.lognormal(np.log(15 * 60), 1.2, n))
        approved = purchase + np.minimum(approve_delay, 20 * _DAY).astype(np.int64)
        handling = rng.lognormal(np.log(2.5), 0.8, n)
        base_transit = 4.5 + order_dist / 250
        incident = rng.random(n) < 0.13 * (1 + 1.0 * h)
        transit = (base_transit * (1 + 0.5 * h) * rng.lognormal(0, 0.35, n)
                   + np.where(incident, rng.exponential(14.0, n), 0.0))
        carrier = approved + (handling * _DAY).astype(np.int64)
        delivered = carrier + (transit * _DAY).astype(np.int64)
        expected = (approve_delay / _DAY + 2.5 + base_transit)
        est_days = np.ceil((expected * 1.6 + 7) * (1 + 0.1 * h))
        estimated = day0 + (est_days * _DAY).astype(np.int64)
        # Rare real quirks: carrier before approval, delivered before carrier.
        odd = boleto & (rng.random(n) < 0.01)
        carrier[odd] = np.maximum(purchase[odd] + 60,
                                  approved[odd] - rng.integers(3600, 12 * 3600, int(odd.sum())))
        early = rng.random(n) < 0.0006
        delivered[early] = carrier[early] - rng.integers(3600, _DAY, int(early.sum()))
        delivered = np.maximum(delivered, purchase + 3600)
        return approved, carrier, delivered, estimated

    def day(self, day: date, n: int) -> None:
        """Generate and write n orders purchased on `day` (one batch, n <= _BATCH)."""
        if n == 0:
            return
        rng, spec, cat, geo = self.rng, self.spec, self.cat, self.geo
        s = spec.pandemic
        h = supply_shock(day) * s
        demand = _demand_shape(day) * s / PANDEMIC_PEAK if s else 0.0
        lo = self.counts.orders
        day0 = (day - _EPOCH).days * _DAY

        # Purchase time: hour profile + uniform minute/second, sorted within the day.
        purchase = np.sort(day0 + _pick(rng, _HOUR_P, n) * 3600 + rng.integers(0, 3600, n))

        # Status; shortages make `unavailable` likelier early in the pandemic.
        p_status = _STATUS_P.copy()
        p_status[_UNAVAILABLE] *= 1 + 2.5 * h
        status = _pick(rng, p_status, n)
        not_defined = self._quirk("not_defined", lo, n)
        status[not_defined] = _CANCELED
        has_items = rng.random(n) >= _NO_ITEMS_P[status]
        has_items[not_defined] = False

        # Customers: ~3.4% of orders come from a person seen before (bounded pool).
        order_ids = _hex_ids(rng, n)
        customer_ids = _hex_ids(rng, n)
        uid, zip_idx = self._people(n)
        city = geo.zip_city[zip_idx]
        c_lat, c_lng = geo.zip_lat[zip_idx], geo.zip_lng[zip_idx]

        # Items: category mix tilted by the pandemic, then a product of that category.
        n_items = np.where(has_items, 1 + _pick(rng, _N_ITEMS_P, n), 0)
        m = int(n_items.sum())
        item_order = np.repeat(np.arange(n), n_items)
        starts = np.cumsum(n_items) - n_items
        item_no = np.arange(m) - np.repeat(starts, n_items) + 1
        country = geo.country
        w_cat = country.cat_w * np.exp(country.cat_beta * demand)
        first_cat = _pick(rng, w_cat, n)
        first_prod = _grouped_pick(rng, cat.key, first_cat)
        prod = first_prod[item_order]
        later = np.flatnonzero(item_no > 1)
        if later.size:  # extra items: mostly the same product, else same category
            mode = rng.random(later.size)
            same_cat = later[(mode >= 0.70) & (mode < 0.90)]
            other = later[mode >= 0.90]
            prod[same_cat] = _grouped_pick(rng, cat.key, cat.cat[prod[same_cat]])
            prod[other] = _grouped_pick(rng, cat.key, _pick(rng, w_cat, other.size))
        seller = cat.seller[prod]
        price = cat.price[prod]
        dist = _haversine_km(self.seller_lat[seller], self.seller_lng[seller],
                             c_lat[item_order], c_lng[item_order])
        freight = ((11.0 + 0.0055 * dist + 2.0 * cat.weight_kg[prod]) * country.money
                   * rng.lognormal(0, 0.3, m))
        freight_c = np.round(freight * 100).astype(np.int64)
        freight_c[rng.random(m) < 0.003] = 0  # free shipping happens
        # An order's lines of the same product share one freight value.
        same_as_prev = np.r_[False, (prod[1:] == prod[:-1]) & (item_order[1:] == item_order[:-1])]
        for i in np.flatnonzero(same_as_prev).tolist():
            freight_c[i] = freight_c[i - 1]
        total = np.bincount(item_order, weights=price + freight_c, minlength=n)
        total = np.rint(total).astype(np.int64)
        # Orders without items still charged something (real canceled orders were).
        no_items = ~has_items
        total[no_items] = np.round(rng.lognormal(np.log(100 * country.money), 0.8,
                                                 int(no_items.sum())) * 100)
        total[not_defined] = 0

        # Payments: first row type, some orders split over several rows.
        pay_first = _pick(rng, country.pay_first_p, n)
        order_dist = np.zeros(n)
        np.maximum.at(order_dist, item_order, dist)
        order_dist[no_items] = np.median(dist) if m else 500.0

        approved, carrier, delivered, estimated = self._timeline(purchase, pay_first == 1,
                                                                order_dist, h, day0)

        has_approval = np.ones(n, bool)
        has_carrier = np.isin(status, (_DELIVERED, _SHIPPED))
        is_delivered = status == _DELIVERED
        has_approval[status == _CREATED] = False
        canc = status == _CANCELED
        has_approval[canc] = rng.random(int(canc.sum())) < 0.78
        has_carrier[canc] = has_approval[canc] & (rng.random(int(canc.sum())) < 0.12)
        late = is_delivered & (delivered > estimated)  # the usual definition downstream

        self._write_orders(order_ids, customer_ids, status, purchase, approved, has_approval,
                           carrier, has_carrier, delivered, is_delivered, estimated)
        self._write_customers(customer_ids, uid, zip_idx, city)
        self._write_items(order_ids, item_order, item_no, prod, seller, approved, purchase,
                          has_approval, price, freight_c)
        self._write_payments(order_ids, pay_first, total, has_items, lo, n)
        self._write_reviews(order_ids, status, is_delivered, late, delivered, estimated,
                            purchase)
        self.counts.orders += n

    def _write_orders(self, order_ids: list[str], customer_ids: list[str], status: np.ndarray,
                      purchase: np.ndarray, approved: np.ndarray, has_approval: np.ndarray,
                      carrier: np.ndarray, has_carrier: np.ndarray, delivered: np.ndarray,
                      is_delivered: np.ndarray, estimated: np.ndarray) -> None:
        _write_rows(self.files["olist_orders_dataset.csv"], [
            self.q.ids(order_ids),
            self.q.ids(customer_ids),
            [_STATUSES[s] for s in status.tolist()],
            _fmt_ts(purchase),
            _fmt_ts(approved, has_approval),
            _fmt_ts(carrier, has_carrier),
            _fmt_ts(delivered, is_delivered),
            _fmt_ts(estimated),
        ])

    def _write_customers(self, customer_ids: list[str], uid: np.ndarray, zip_idx: np.ndarray,
                         city: np.ndarray) -> None:
        geo = self.geo
        cities = city.tolist()
        _write_rows(self.files["olist_customers_dataset.csv"], [
            self.q.ids(customer_ids),
            self.q.ids(uid.astype("U32").tolist()),
            [geo.zip_text[i] for i in zip_idx.tolist()],
            [geo.name_csv[c] for c in cities],
            geo.state_codes(cities),
        ])
        self.counts.customers += len(customer_ids)

    def _write_items(self, order_ids: list[str], item_order: np.ndarray, item_no: np.ndarray,
                     prod: np.ndarray, seller: np.ndarray, approved: np.ndarray,
                     purchase: np.ndarray, has_approval: np.ndarray, price: np.ndarray,
                     freight_c: np.ndarray) -> None:
        m = item_order.size
        if m == 0:
            return
        base = np.where(has_approval, approved, purchase)[item_order]
        limit = base + 6 * _DAY + self.rng.integers(-6 * 3600, 6 * 3600, m)
        _write_rows(self.files["olist_order_items_dataset.csv"], [
            self.q.ids([order_ids[i] for i in item_order.tolist()]),
            [str(i) for i in item_no.tolist()],
            self.q.ids(self.cat.ids[prod].astype("U32").tolist()),
            self.q.ids(self.cat.seller_ids[seller].astype("U32").tolist()),
            _fmt_ts(limit),
            _fmt_cents2(price),
            _fmt_cents2(freight_c),
        ])
        self.counts.items += m

    def _write_payments(self, order_ids: list[str], pay_first: np.ndarray, total: np.ndarray,
                        has_items: np.ndarray, lo: int, n: int) -> None:
        rng = self.rng
        multi = rng.random(n) < _MULTI_PAY_P
        kind = _pick(rng, np.array([0.76, 0.145, 0.08, 0.015]), n)  # split patterns
        extra = np.where(multi, np.minimum(rng.geometric(0.67, n), 20), 0)
        no_payment = set(self._quirk("no_payment", lo, n).tolist())
        zero_voucher = set(self._quirk("zero_voucher", lo, n).tolist())
        zero_inst = set(self._quirk("zero_installments", lo, n).tolist())
        not_defined = set(self._quirk("not_defined", lo, n).tolist())
        # Instalments correlate with the amount (Gaussian copula, logistic approximation).
        country = self.geo.country
        scale = 10_000 * country.money
        z = 0.5 * (np.log(np.maximum(total, 100) / scale) / 0.8) + 0.87 * rng.normal(0, 1, n)
        u = 1 / (1 + np.exp(-1.702 * z))
        cdf = np.cumsum(country.installments_p / country.installments_p.sum())
        cdf[-1] = 1.0
        inst = 1 + np.searchsorted(cdf, u, side="right")
        fracs = rng.random((n, 3))

        rows_o: list[str] = []
        rows_seq: list[str] = []
        rows_type: list[str] = []
        rows_inst: list[str] = []
        rows_val: list[int] = []
        totals, firsts, extras, kinds = total.tolist(), pay_first.tolist(), extra.tolist(), \
            kind.tolist()
        for i in range(n):
            if i in no_payment:
                continue
            t = totals[i]
            if i in not_defined:
                parts = [(4, 1, 0)]
            elif extras[i]:
                k = kinds[i]
                rows = extras[i] + 1
                if k == 0:  # credit card + voucher(s)
                    vshare = t * (0.05 + 0.55 * fracs[i, 0])
                    vouchers = _split(int(vshare), extras[i], fracs[i, 1])
                    parts = [(0, int(inst[i]), t - sum(vouchers))]
                    parts += [(2, 1, v) for v in vouchers]
                elif k == 1:  # several vouchers
                    parts = [(2, 1, v) for v in _split(t, rows, fracs[i, 1])]
                elif k == 2:  # two cards
                    parts = [(0, int(inst[i]), v) for v in _split(t, rows, fracs[i, 1])]
                else:
                    parts = [(3, 1, v) for v in _split(t, rows, fracs[i, 1])]
            else:
                f = firsts[i]
                parts = [(f, int(inst[i]) if f == 0 else 1, t)]
            if i in zero_inst:
                parts[0] = (0, 0, parts[0][2])
            if i in zero_voucher:
                parts.append((2, 1, 0))
            oid = order_ids[i]
            for seq, (ptype, pinst, value) in enumerate(parts, start=1):
                rows_o.append(oid)
                rows_seq.append(str(seq))
                rows_type.append(country.pay_types[ptype])
                rows_inst.append(str(pinst))
                rows_val.append(value)
        _write_rows(self.files["olist_order_payments_dataset.csv"], [
            rows_o, rows_seq, rows_type, rows_inst,
            _fmt_cents_short(np.array(rows_val, dtype=np.int64)),
        ])
        self.counts.payments += len(rows_o)

    def _write_reviews(self, order_ids: list[str], status: np.ndarray, is_delivered: np.ndarray,
                       late: np.ndarray, delivered: np.ndarray, estimated: np.ndarray,
                       purchase: np.ndarray) -> None:
        rng = self.rng
        n = status.size
        reviewed = np.flatnonzero(rng.random(n) >= 0.008)
        # A few orders get a second review (a new id), a few reviews cover two orders
        # (the same review id and content on the next order) - both real quirks.
        twice = reviewed[rng.random(reviewed.size) < 0.0055]
        r_order = np.sort(np.concatenate([reviewed, twice]))
        second = np.r_[False, r_order[1:] == r_order[:-1]]
        k = r_order.size
        if k == 0:
            return
        st = status[r_order]
        undelivered = ~is_delivered[r_order]
        cls = np.where(undelivered, 2, np.where(late[r_order], 1, 0))
        u = rng.random(k)
        score = np.empty(k, dtype=np.int64)
        for c, p in enumerate((_SCORE_ON_TIME, _SCORE_LATE, _SCORE_NOT_DELIVERED)):
            sel = cls == c
            cdf = np.cumsum(p)
            cdf[-1] = 1.0
            score[sel] = 1 + np.searchsorted(cdf, u[sel], side="right")
        # Survey date: the day after delivery, else after the estimate (canceled: sooner).
        ref = np.where(undelivered, estimated[r_order], delivered[r_order])
        ref = np.where(np.isin(st, (_CANCELED, _UNAVAILABLE)),
                       purchase[r_order] + rng.integers(2, 10, k) * _DAY, ref)
        created = (ref // _DAY + 1 + second * rng.integers(1, 8, k)) * _DAY
        answered = created + np.minimum(rng.lognormal(np.log(1.2 * _DAY), 1.0, k),
                                        60 * _DAY).astype(np.int64)
        has_msg = rng.random(k) < _MESSAGE_P[score - 1]
        has_title = rng.random(k) < _TITLE_P[score - 1]
        pick_m = rng.integers(0, 1 << 30, k)
        pick_t = rng.integers(0, 1 << 30, k)
        scores = score.tolist()
        messages, titles_csv = self.geo.country.messages_csv, self.geo.country.titles_csv
        msgs = [(messages[s - 1][p % len(messages[s - 1])] if h else "")
                for s, p, h in zip(scores, pick_m.tolist(), has_msg.tolist(), strict=True)]
        titles = [(titles_csv[s - 1][p % len(titles_csv[s - 1])] if h else "")
                  for s, p, h in zip(scores, pick_t.tolist(), has_title.tolist(), strict=True)]
        review_ids = _hex_ids(rng, k)
        created_s, answered_s = _fmt_ts(created), _fmt_ts(answered)
        shared = np.flatnonzero(
            (rng.random(k) < 0.0085) & np.r_[False, r_order[1:] != r_order[:-1]]
        )
        for i in shared.tolist():  # same review id and content as the previous row
            review_ids[i] = review_ids[i - 1]
            scores[i], msgs[i], titles[i] = scores[i - 1], msgs[i - 1], titles[i - 1]
            created_s[i], answered_s[i] = created_s[i - 1], answered_s[i - 1]
        _write_rows(self.files["olist_order_reviews_dataset.csv"], [
            self.q.ids(review_ids),
            self.q.ids([order_ids[i] for i in r_order.tolist()]),
            [str(s) for s in scores],
            titles, msgs, created_s, answered_s,
        ])
        self.counts.reviews += k


def _split(total: int, parts: int, frac: float) -> list[int]:
    """Split `total` cents into `parts` non-negative integers that sum to it exactly."""
    if parts <= 1:
        return [total]
    first = int(total * (0.3 + 0.5 * frac))
    rest = total - first
    each = rest // (parts - 1)
    out = [first] + [each] * (parts - 1)
    out[-1] += total - sum(out)
    return out


def _quirk_positions(rng: np.random.Generator, n_orders: int) -> dict[str, np.ndarray]:
    """Global order positions of the rare quirks, fixed up front so counts are exact-ish.

    Per 100k orders: one order without payment, nine zero-value voucher rows, three
    `not_defined` payments (canceled orders without items), two zero-instalment rows.
    """
    wanted = {
        "no_payment": max(1, round(n_orders * 1e-5)),
        "zero_voucher": max(1, round(n_orders * 9e-5)),
        "not_defined": max(1, round(n_orders * 3e-5)),
        "zero_installments": max(1, round(n_orders * 2e-5)),
    }
    total = sum(wanted.values())
    if n_orders < total * 20:  # too small a dataset for rare quirks to stay rare
        return {k: np.zeros(0, np.int64) for k in wanted}
    picked = np.unique(rng.integers(0, n_orders, total * 2))
    picked = rng.permutation(picked)[:total]
    out, at = {}, 0
    for name, k in wanted.items():
        out[name] = np.sort(picked[at:at + k])
        at += k
    return out


# --- the entry point -------------------------------------------------------------------


def generate(spec: DemoSpec, out_dir: Path,
             progress: Callable[[str, int, int], None] | None = None) -> dict[str, int]:
    """Write the 9 Olist files and pulse-dataset.json into out_dir; return data rows per file.

    Files are written under temporary names and renamed at the end, and the marker file
    comes last, so a crash never leaves a complete-looking partial dataset. progress is
    called as (stage, done, total): "geolocation", "catalogue", then "orders" once per
    calendar month.
    """
    spec.validate()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda stage, done, total: None)
    ss = np.random.SeedSequence([spec.seed, 0x70756C7365])  # "pulse"
    r_cal, r_geo, r_cat, r_ord, r_quirk, r_quote = (np.random.default_rng(s)
                                                     for s in ss.spawn(6))
    quoter = _Quoter(r_quote)
    counts: dict[str, int] = {}
    tmp = {name: out_dir / f".{name}.part" for name in FILES}
    handles: dict[str, IO[str]] = {}
    try:
        for name, path in tmp.items():
            fh = open(path, "w", encoding="utf-8", newline="")
            handles[name] = fh
            if name == "product_category_name_translation.csv":
                fh.write("\ufeff")  # the real file starts with a UTF-8 BOM
            fh.write(_header(name))

        n_zips = int(np.clip(spec.orders // 7, min(800, _MAX_ZIPS), _MAX_ZIPS))
        geo = _Geography(r_geo, n_zips, _COUNTRIES[spec.country])
        counts["olist_geolocation_dataset.csv"] = geo.write_geolocation(
            r_geo, handles["olist_geolocation_dataset.csv"])
        report("geolocation", 1, 1)
        n_products = int(np.clip(round(spec.orders * 0.33), min(200, _MAX_PRODUCTS),
                                 _MAX_PRODUCTS))
        n_sellers = int(np.clip(round(spec.orders * 0.031), min(20, _MAX_SELLERS), _MAX_SELLERS))
        catalogue = _Catalogue(r_cat, geo, n_products, n_sellers)
        counts["olist_products_dataset.csv"] = catalogue.write_products(
            r_cat, quoter, handles["olist_products_dataset.csv"])
        counts["olist_sellers_dataset.csv"] = catalogue.write_sellers(
            geo, quoter, handles["olist_sellers_dataset.csv"])
        counts["product_category_name_translation.csv"] = _write_translation(
            handles["product_category_name_translation.csv"], geo.country)
        report("catalogue", 1, 1)

        days = _days(spec)
        expected = np.array(list(expected_daily_orders(spec).values()))
        p = expected / expected.sum() if spec.orders else np.full(len(days), 1 / len(days))
        per_day = r_cal.multinomial(spec.orders, p)
        writer = _OrderWriter(spec, geo, catalogue, r_ord, quoter,
                              _quirk_positions(r_quirk, spec.orders), handles)
        months = sorted({(d.year, d.month) for d in days})
        done = 0
        for i, (d, n) in enumerate(zip(days, per_day.tolist(), strict=True)):
            for part in range(0, n, _BATCH):
                writer.day(d, min(_BATCH, n - part))
            if i + 1 == len(days) or days[i + 1].month != d.month:
                done += 1
                report("orders", done, len(months))
        c = writer.counts
        counts["olist_orders_dataset.csv"] = c.orders
        counts["olist_customers_dataset.csv"] = c.customers
        counts["olist_order_items_dataset.csv"] = c.items
        counts["olist_order_payments_dataset.csv"] = c.payments
        counts["olist_order_reviews_dataset.csv"] = c.reviews
    except BaseException:
        for fh in handles.values():
            fh.close()
        for path in tmp.values():
            path.unlink(missing_ok=True)
        raise
    for fh in handles.values():
        fh.close()
    for name, path in tmp.items():
        os.replace(path, out_dir / name)
    marker = {
        "synthetic": True,
        "generator": "pulse demo",
        "seed": spec.seed,
        "orders": spec.orders,
        "pandemic": spec.pandemic,
        "start": spec.start.isoformat(),
        "end": spec.end.isoformat(),
        "pandemic_start": PANDEMIC_START.isoformat(),
        "country": spec.country,
        "rows": {name: counts[name] for name in FILES},
    }
    (out_dir / MARKER_FILE).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    return {name: counts[name] for name in FILES}
