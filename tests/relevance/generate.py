#!/usr/bin/env python3
"""Generate the TextiSur graded relevance set (catalogue, queries, qrels).

Deterministic: a fixed seed, the Python 3 standard library only. Running

    python3 tests/relevance/generate.py

rewrites catalogue.json, queries.json and qrels.json next to this file byte for
byte, then prints a summary. `--check` compares instead of writing and exits 1
when a committed file differs.

Every product is built from its ground truth: the generator first picks the
truth (type, shade, material, pattern, sizes, measures, uses) and then writes a
seller-style name and description in the store country's own words. The
grades in qrels.json are computed mechanically from each query's `want` and
each product's `truth` (rules in README.md and in `grade` below).
"""

import json
import os
import random
import statistics
import sys
import unicodedata

SEED = 20250611
HERE = os.path.dirname(os.path.abspath(__file__))
COUNTRIES = ["AR", "CL", "UY", "PY", "PE"]

# ---------------------------------------------------------------------------
# Colours: canonical shade id -> (family, seller words).
# A seller word is (text, inflection, countries or None for everywhere).
# inflection: "o" rojo/roja/rojos/rojas; "e" verde/verdes; "c" gris/grises,
# azul/azules, marrón/marrones; "i" invariable; "n" invariable noun-like word
# that sellers often write after "color" ("color hueso").
# ---------------------------------------------------------------------------
SHADES = {
    "rojo": ("rojo", [("Rojo", "o", None), ("Colorado", "o", ["AR", "UY"])]),
    "bordo": ("rojo", [("Bordó", "i", ["AR", "UY", "PY"]), ("Bordo", "i", ["AR", "UY", "PY"]),
                       ("Vino", "n", None), ("Granate", "n", None), ("Burdeo", "n", ["CL"]),
                       ("Guinda", "n", ["PE"]), ("Borravino", "n", ["AR"]),
                       ("Concho de vino", "n", ["CL"])]),
    "rosa": ("rosa", [("Rosa", "i", ["AR", "UY", "PY"]), ("Rosado", "o", ["CL", "PE", "PY"])]),
    "rosa_pastel": ("rosa", [("Rosa pastel", "i", None), ("Rosa bebé", "i", None),
                             ("Rosado claro", "i", ["CL", "PE"]), ("Rosa claro", "i", ["AR", "UY", "PY"])]),
    "rosa_viejo": ("rosa", [("Rosa viejo", "i", ["AR", "UY", "PY"]), ("Rosa palo", "i", None),
                            ("Rosa empolvado", "i", None)]),
    "fucsia": ("rosa", [("Fucsia", "i", None), ("Magenta", "n", None)]),
    "azul": ("azul", [("Azul", "c", None), ("Azul francia", "i", ["AR", "UY"]),
                      ("Azul rey", "i", ["PE", "CL", "PY"]), ("Azulino", "o", ["CL"])]),
    "azul_marino": ("azul", [("Azul marino", "i", None), ("Marino", "n", None), ("Navy", "n", None),
                             ("Azul oscuro", "i", None)]),
    "celeste": ("azul", [("Celeste", "e", None), ("Celeste bebé", "i", None), ("Azul cielo", "i", None),
                         ("Azul claro", "i", None)]),
    "turquesa": ("azul", [("Turquesa", "i", None), ("Aqua", "n", None), ("Aguamarina", "n", None),
                          ("Calipso", "n", ["CL"])]),
    "verde": ("verde", [("Verde", "e", None), ("Verde benetton", "i", ["AR", "UY"]),
                        ("Verde bandera", "i", None), ("Verde esmeralda", "i", None)]),
    "verde_oliva": ("verde", [("Verde oliva", "i", None), ("Oliva", "n", None), ("Verde militar", "i", None),
                              ("Verde musgo", "i", None)]),
    "verde_agua": ("verde", [("Verde agua", "i", None), ("Verde menta", "i", None), ("Menta", "n", None)]),
    "blanco": ("blanco", [("Blanco", "o", None), ("Blanco óptico", "i", None)]),
    "crudo": ("blanco", [("Crudo", "o", None), ("Hueso", "n", None), ("Blanco hueso", "i", None),
                         ("Marfil", "n", None), ("Natural", "n", None), ("Off white", "n", None)]),
    "negro": ("negro", [("Negro", "o", None)]),
    "gris": ("gris", [("Gris", "c", None), ("Gris melange", "i", None), ("Gris perla", "i", None),
                      ("Gris claro", "i", None), ("Plomo", "n", ["CL", "PE"])]),
    "gris_oscuro": ("gris", [("Gris oscuro", "i", None), ("Grafito", "n", None), ("Antracita", "n", None),
                             ("Gris plomo", "i", None)]),
    "beige": ("marron", [("Beige", "i", None), ("Arena", "n", None), ("Khaki", "n", None),
                         ("Caqui", "n", ["PE", "CL"]), ("Avena", "n", None)]),
    "camel": ("marron", [("Camel", "i", None), ("Caramelo", "n", None), ("Suela", "n", ["AR", "UY"])]),
    "marron": ("marron", [("Marrón", "c", ["AR", "UY", "PY"]), ("Café", "n", ["CL", "PE"]),
                          ("Chocolate", "n", None), ("Tabaco", "n", None)]),
    "amarillo": ("amarillo", [("Amarillo", "o", None), ("Amarillo limón", "i", None)]),
    "mostaza": ("amarillo", [("Mostaza", "n", None), ("Ocre", "n", None)]),
    "naranja": ("naranja", [("Naranja", "i", None), ("Anaranjado", "o", ["PE", "CL"])]),
    "terracota": ("naranja", [("Terracota", "n", None), ("Ladrillo", "n", None), ("Óxido", "n", None),
                              ("Teja", "n", None)]),
    "violeta": ("violeta", [("Violeta", "i", None), ("Morado", "o", ["CL", "PE", "PY"]),
                            ("Púrpura", "i", None), ("Berenjena", "n", None)]),
    "lila": ("violeta", [("Lila", "i", None), ("Lavanda", "n", None), ("Malva", "n", None)]),
    "multicolor": ("multicolor", [("Multicolor", "i", None), ("Varios colores", "i", None)]),
}
FAMILY = {s: f for s, (f, _) in SHADES.items()}

PALETTES = {
    "ropa": {"negro": 10, "blanco": 8, "gris": 6, "azul_marino": 6, "azul": 3, "celeste": 3, "bordo": 4,
             "rojo": 3, "beige": 3, "crudo": 3, "verde_oliva": 3, "camel": 1, "marron": 2, "rosa": 2,
             "rosa_pastel": 2, "rosa_viejo": 2, "fucsia": 1, "verde": 2, "verde_agua": 1, "turquesa": 1,
             "gris_oscuro": 2, "amarillo": 1, "mostaza": 2, "naranja": 1, "terracota": 1, "violeta": 1,
             "lila": 2},
    "abrigo": {"negro": 10, "gris": 6, "gris_oscuro": 3, "azul_marino": 6, "camel": 4, "beige": 3,
               "marron": 3, "bordo": 4, "verde_oliva": 4, "crudo": 3, "blanco": 1, "rojo": 2, "mostaza": 2,
               "rosa_viejo": 1, "azul": 1, "terracota": 1, "lila": 1, "celeste": 1,
               "violeta": 1},
    "hogar": {"blanco": 8, "crudo": 6, "gris": 5, "beige": 4, "gris_oscuro": 2, "azul_marino": 2, "celeste": 2,
              "verde_agua": 2, "terracota": 2, "mostaza": 2, "rosa_viejo": 2, "bordo": 2, "negro": 2,
              "verde_oliva": 2, "turquesa": 2, "lila": 1, "marron": 2, "camel": 1, "rojo": 1, "rosa_pastel": 1,
              "verde": 1, "amarillo": 1, "naranja": 1},
    "jean": {"azul": 5, "celeste": 4, "azul_marino": 3, "negro": 4, "gris": 2, "blanco": 1},
    "bebe": {"blanco": 5, "crudo": 4, "celeste": 4, "rosa_pastel": 4, "gris": 3, "verde_agua": 2,
             "amarillo": 2, "lila": 1, "beige": 2, "azul_marino": 1},
    "noche": {"negro": 3, "rosa_pastel": 3, "celeste": 3, "lila": 2, "gris": 3, "azul_marino": 3, "bordo": 2,
              "blanco": 2, "crudo": 2, "rosa_viejo": 2, "verde_agua": 1, "rojo": 1, "fucsia": 1},
    "fiesta": {"negro": 6, "bordo": 4, "rojo": 3, "azul_marino": 3, "azul": 2, "verde": 2, "fucsia": 2,
               "rosa_viejo": 2, "crudo": 2, "blanco": 2, "lila": 1, "violeta": 1,
               "celeste": 1, "verde_oliva": 1},
    "playa": {"negro": 5, "blanco": 2, "rojo": 2, "fucsia": 2, "turquesa": 3, "azul": 2, "verde": 1,
              "naranja": 2, "amarillo": 2, "celeste": 2, "verde_agua": 2, "bordo": 1, "azul_marino": 2,
              "terracota": 1, "rosa": 1},
    "hilo": {"negro": 6, "blanco": 6, "crudo": 3, "gris": 3, "azul_marino": 3, "azul": 2, "rojo": 2,
             "bordo": 2, "beige": 2, "celeste": 1, "verde": 1, "verde_oliva": 1, "amarillo": 1, "rosa": 1,
             "marron": 1, "mostaza": 1, "fucsia": 1, "lila": 1, "naranja": 1, "turquesa": 1, "camel": 1},
}

# ---------------------------------------------------------------------------
# Materials: canonical id -> (gender of the noun, seller words, per-country
# seller words overriding/adding).
# ---------------------------------------------------------------------------
MATERIALS = {
    "algodon": ("m", ["algodón", "100% algodón", "algodón peinado"], {"PE": ["algodón pima", "algodón"]}),
    "lino": ("m", ["lino", "lino puro", "lino 100%"], {}),
    "linon": ("m", ["linón"], {}),
    "seda": ("f", ["seda", "seda pura", "seda 100%"], {}),
    "nylon": ("m", ["nylon"], {}),
    "metal": ("m", ["metal"], {}),
    "lana": ("f", ["lana", "lana merino", "100% lana", "lana de oveja"], {}),
    "alpaca": ("f", ["alpaca", "baby alpaca", "lana de alpaca"], {}),
    "polar": ("m", ["polar", "micropolar", "polar soft", "polar antipilling"], {}),
    "poliester": ("m", ["poliéster", "poliester"], {}),
    "denim": ("m", ["jean", "denim"], {"CL": ["mezclilla", "denim"], "PE": ["denim", "jean"]}),
    "gabardina": ("f", ["gabardina", "gabardina elastizada"], {}),
    "pana": ("f", ["pana", "pana gruesa", "pana fina"], {"AR": ["corderoy", "pana"], "UY": ["pana", "corderoy"],
                                                          "CL": ["cotelé", "pana"], "PE": ["corduroy", "pana"]}),
    "pano": ("m", ["paño", "paño de lana"], {}),
    "friselina": ("f", ["friselina"], {"CL": ["tela no tejida", "friselina"], "PE": ["friselina", "TNT"]}),
    "lienzo": ("m", ["lienzo", "lienzo crudo", "lienzo de algodón"], {"CL": ["tocuyo", "lienzo"],
                                                                         "PE": ["tocuyo", "lienzo"]}),
    "tul": ("m", ["tul", "tul ilusión", "tull"], {}),
    "jersey": ("m", ["jersey", "jersey de algodón", "punto jersey"], {}),
    "frisa": ("f", ["frisa", "algodón frizado", "frisa invisible"], {"CL": ["algodón perchado", "frisa"],
                                                                     "PE": ["algodón perchado", "french terry"]}),
    "raso": ("m", ["raso", "satén"], {"PE": ["satín", "raso"], "CL": ["satén", "raso"]}),
    "voile": ("m", ["voile", "voal"], {}),
    "blackout": ("m", ["blackout", "black out", "blackout textil"], {}),
    "corderito": ("m", ["corderito", "sherpa"], {"CL": ["chiporro", "sherpa"], "PE": ["sherpa", "corderito"]}),
    "lycra": ("f", ["lycra", "suplex"], {"CL": ["licra", "lycra"], "PE": ["licra", "lycra"]}),
    "gasa": ("f", ["gasa", "muselina", "gasa de algodón"], {}),
    "terciopelo": ("m", ["terciopelo", "velvet"], {}),
    "franela": ("f", ["franela", "franela de algodón"], {}),
    "lona": ("f", ["lona", "lona cruda", "canvas"], {}),
    "viscosa": ("f", ["viscosa", "rayón"], {"AR": ["fibrana", "viscosa", "rayón"]}),
    "microfibra": ("f", ["microfibra"], {}),
}
WARM_MATERIALS = {"lana", "alpaca", "polar", "pano", "corderito", "frisa", "franela", "pana"}

PATTERNS = {
    "liso": ["lis@"],
    "rayas": ["rayad@", "a rayas", "con rayas", "de rayas"],
    "cuadros": ["a cuadros", "de cuadros", ("escocés", "escocesa", "escoceses", "escocesas"), "cuadrillé", "vichy"],
    "flores": ["floread@", "de flores", "con flores", ("floral", "floral", "florales", "florales")],
    "lunares": ["de lunares", "con lunares", "a lunares", "con puntitos"],
    "estampado": ["estampad@", "con estampa", "print", "con diseño estampado"],
    "plisado": ["plisad@", "plisé"],
    "trenzas": ["trenzad@", "con trenzas", "tejido trenzado"],
    "animal_print": ["animal print", "de leopardo", "leopardo"],
}

# ---------------------------------------------------------------------------
# Sizes: scheme -> list of (display, canonical).
# ---------------------------------------------------------------------------
LETTERS = [("XS", "XS"), ("S", "S"), ("M", "M"), ("L", "L"), ("XL", "XL"), ("XXL", "XXL")]
PANTS_AR = [(str(n), str(n)) for n in range(36, 50, 2)]
PANTS_CL = [(str(n), str(n)) for n in range(28, 42, 2)]
BRA = [(str(n), str(n)) for n in (85, 90, 95, 100, 105)]
SHOES = [("35/36", "35-36"), ("37/38", "37-38"), ("39/40", "39-40"), ("41/42", "41-42"), ("43/44", "43-44")]
BABY = [("0-3 meses", "0-3m"), ("3-6 meses", "3-6m"), ("6-9 meses", "6-9m"), ("9-12 meses", "9-12m"),
        ("12-18 meses", "12-18m")]
BEDS = {
    "1p": {"ALL": ["1 plaza", "1 Plaza", "1 pl."], "CL": ["1 plaza", "Individual"], "PE": ["1 plaza", "Individual"]},
    "1.5p": {"ALL": ["1 ½ plaza", "1 1/2 plaza", "1,5 plazas", "Plaza y media"], "CL": ["1,5 plazas", "1 ½ plaza"],
             "PE": ["1.5 plazas", "1 ½ plaza"]},
    "2p": {"ALL": ["2 plazas", "2 Plazas", "Dos plazas"], "PE": ["2 plazas", "Matrimonial"],
           "CL": ["2 plazas", "2 Plazas"]},
    "queen": {"ALL": ["Queen", "Queen size", "2 ½ plazas"]},
    "king": {"ALL": ["King", "King size"]},
}

# ---------------------------------------------------------------------------
# Product types.
# nouns: country -> list of (singular, plural, gender, number); "ALL" applies
# to every country not listed. Variant fields: w weight, mat {material: w},
# pat {pattern: w} (None: no pattern), warm (None: from the material), uses
# (always true), opt (may be written in the description, then true), mods
# (modifiers, "@" agrees with the noun), nouns (override), sizes, price,
# palette, dims [(width, length)], lengths, decoys (other types named in the
# text as what the item is for).
# ---------------------------------------------------------------------------


def N(s, p, g, n="s"):
    return (s, p, g, n)


CLOTH_PATTERNS = {"liso": 6}
TYPES = {}


def T(name, **kw):
    TYPES[name] = kw


T("remera", cat="Remeras y camisas", sizes="letters", price=(6000, 18000), palette="ropa",
  nouns={"AR": [N("remera", "remeras", "f")], "UY": [N("remera", "remeras", "f")],
         "PY": [N("remera", "remeras", "f")], "CL": [N("polera", "poleras", "f")], "PE": [N("polo", "polos", "m")]},
  feats=["Cuello redondo reforzado.", "Costuras dobles en ruedo y mangas.", "No se deforma con los lavados.",
         "Calce regular, talles reales.", "Tela suave al tacto."],
  variants=[
      dict(w=5, mat={"algodon": 8, "viscosa": 1, "lino": 1}, pat={"liso": 6, "rayas": 2, "estampado": 2},
           warm=False, opt=["verano", "regalo"],
           mods=["manga corta", "básic@", "cuello redondo", "escote en V", "manga larga", "unisex", "entallad@"]),
      dict(w=1, mat={"poliester": 1}, pat={"liso": 3, "estampado": 1}, warm=False, uses=["deporte"],
           must=["deportiv@", "dry fit", "para running"]),
      dict(w=1, mat={"algodon": 1}, pat={"liso": 3, "estampado": 2}, warm=False, sizes="oversize",
           opt=["verano"], mods=["oversize", "oversize", "unisex"]),
      dict(w=1, mat={"algodon": 2, "lana": 1}, pat={"liso": 1}, warm=True, opt=["invierno"],
           nouns={"ALL": [N("camiseta", "camisetas", "f")]}, must=["térmic@"], mods=["manga larga", "primera piel"]),
  ])
T("chomba", cat="Remeras y camisas", sizes="letters", price=(12000, 26000), palette="ropa",
  nouns={"AR": [N("chomba", "chombas", "f")], "UY": [N("chomba", "chombas", "f")], "PY": [N("chomba", "chombas", "f")],
         "CL": [N("polera piqué", "poleras piqué", "f"), N("polera polo", "poleras polo", "f")],
         "PE": [N("polo camisero", "polos camiseros", "m"), N("polo piqué", "polos piqué", "m")]},
  feats=["Cuello y puños tejidos.", "Tres botones al frente.", "Tela piqué de gran durabilidad.",
         "Ideal para uniformes."],
  variants=[dict(w=4, mat={"algodon": 5, "poliester": 1}, pat={"liso": 5, "rayas": 1}, warm=False,
                 opt=["verano", "trabajo"], mods=["manga corta", "clásic@", "con bordado", "piqué"])])
T("musculosa", cat="Remeras y camisas", sizes="letters", price=(5000, 12000), palette="ropa",
  nouns={"AR": [N("musculosa", "musculosas", "f")], "UY": [N("musculosa", "musculosas", "f")],
         "PY": [N("musculosa", "musculosas", "f")],
         "CL": [N("polera sin mangas", "poleras sin mangas", "f"), N("musculosa", "musculosas", "f")],
         "PE": [N("bividí", "bividís", "m"), N("polo sin mangas", "polos sin mangas", "m")]},
  feats=["Sisa amplia.", "Tela liviana.", "Breteles anchos.", "Corte recto."],
  variants=[dict(w=3, mat={"algodon": 5, "viscosa": 2}, pat={"liso": 5, "rayas": 1, "estampado": 1}, warm=False,
                 opt=["verano"], mods=["básic@", "escote redondo", "de morley"]),
            dict(w=1, mat={"poliester": 1}, pat={"liso": 1}, warm=False, uses=["deporte"],
                 must=["deportiv@", "dry fit", "para entrenar"])])
T("camisa", cat="Remeras y camisas", sizes="letters", price=(15000, 42000), palette="ropa",
  nouns={"ALL": [N("camisa", "camisas", "f"), N("camisa", "camisas", "f"), N("blusa", "blusas", "f")]},
  feats=["Botones nacarados.", "Cuello clásico.", "Puños con botón.", "Corte entallado.", "Bolsillo en el pecho."],
  variants=[
      dict(w=3, mat={"algodon": 4, "lino": 4, "viscosa": 2}, pat={"liso": 6, "rayas": 2, "lunares": 1, "flores": 1},
           warm=False, opt=["verano", "trabajo"], mods=["manga larga", "manga corta", "clásic@", "oversize",
                                                        "de vestir", "entallad@"]),
      dict(w=1, mat={"franela": 1}, pat={"cuadros": 4, "liso": 1}, warm=True, opt=["invierno"],
           mods=["leñador@", "manga larga", "abrigad@"]),
      dict(w=1, mat={"seda": 2, "raso": 1}, pat={"liso": 3, "estampado": 1}, warm=False, opt=["fiesta", "regalo"],
           mods=["elegante", "manga larga", "cuello camisero"]),
      dict(w=1, mat={"denim": 1}, pat={"liso": 1}, warm=False, mods=["manga larga", "con bolsillos", "clásic@"]),
  ])
T("buzo", cat="Buzos y abrigos", sizes="letters", price=(18000, 46000), palette="abrigo",
  nouns={"AR": [N("buzo", "buzos", "m"), N("buzo canguro", "buzos canguro", "m"), N("hoodie", "hoodies", "m")],
         "UY": [N("buzo", "buzos", "m"), N("canguro", "canguros", "m")],
         "PY": [N("buzo", "buzos", "m"), N("buzo", "buzos", "m"), N("hoodie", "hoodies", "m")],
         "CL": [N("polerón", "polerones", "m"), N("polerón canguro", "polerones canguro", "m")],
         "PE": [N("polera", "poleras", "f"), N("polera con capucha", "poleras con capucha", "f")]},
  feats=["Bolsillo canguro.", "Capucha con cordón.", "Puños y cintura con rib.", "Interior suave y abrigado.",
         "Costuras reforzadas."],
  variants=[
      dict(w=4, mat={"frisa": 4, "algodon": 2}, pat={"liso": 5, "estampado": 2, "rayas": 1}, warm=True,
           opt=["invierno", "deporte", "regalo"], mods=["con capucha", "básic@", "unisex", "con cierre",
                                                       "cuello redondo"]),
      dict(w=1, mat={"frisa": 1, "algodon": 1}, pat={"liso": 2, "estampado": 1}, warm=True, sizes="oversize",
           opt=["invierno"], mods=["oversize", "oversize", "con capucha"]),
      dict(w=2, mat={"polar": 1}, pat={"liso": 1}, warm=True, opt=["invierno", "deporte"],
           nouns={"CL": [N("polar", "polares", "m"), N("polerón", "polerones", "m")]},
           mods=["medio cierre", "cuello alto", "abrigad@"]),
  ])
T("sweater", cat="Buzos y abrigos", sizes="letters", price=(20000, 62000), palette="abrigo",
  nouns={"AR": [N("sweater", "sweaters", "m"), N("pulóver", "pulóveres", "m"), N("suéter", "suéteres", "m")],
         "UY": [N("pulóver", "pulóveres", "m"), N("sweater", "sweaters", "m")],
         "PY": [N("pulóver", "pulóveres", "m"), N("suéter", "suéteres", "m")],
         "CL": [N("chaleco", "chalecos", "m"), N("sweater", "sweaters", "m")],
         "PE": [N("chompa", "chompas", "f")]},
  feats=["Tejido a mano.", "Tejido en máquina rectilínea.", "Puños y cuello acanalados.", "No pica.",
         "Hilado de primera calidad."],
  variants=[
      dict(w=4, mat={"lana": 4, "alpaca": 3, "algodon": 1}, pat={"liso": 4, "trenzas": 3, "rayas": 1}, warm=True,
           opt=["invierno", "regalo"], mods=["tejid@", "cuello alto", "cuello redondo", "escote en V", "de punto"]),
      dict(w=1, mat={"lana": 1, "algodon": 1}, pat={"liso": 1}, warm=True, sizes="oversize", opt=["invierno"],
           mods=["oversize", "oversize", "tejid@"]),
  ])
T("campera", cat="Buzos y abrigos", sizes="letters", price=(35000, 125000), palette="abrigo",
  nouns={"AR": [N("campera", "camperas", "f")], "UY": [N("campera", "camperas", "f")],
         "PY": [N("campera", "camperas", "f")],
         "CL": [N("chaqueta", "chaquetas", "f")], "PE": [N("casaca", "casacas", "f")]},
  feats=["Bolsillos con cierre.", "Cierre frontal reforzado.", "Forrada por dentro.", "Puños elastizados.",
         "Capucha desmontable."],
  variants=[
      dict(w=3, mat={"poliester": 1}, pat={"liso": 1}, warm=True, opt=["invierno"],
           nouns={"CL": [N("parka", "parkas", "f"), N("chaqueta", "chaquetas", "f")],
                  "PE": [N("casaca", "casacas", "f")]},
           mods=["inflable", "acolchad@", "puffer", "con capucha", "impermeable"]),
      dict(w=1, mat={"poliester": 1}, pat={"liso": 1}, warm=False, uses=["deporte"],
           nouns={"CL": [N("cortaviento", "cortavientos", "m")], "PE": [N("casaca cortavientos", "casacas cortavientos", "f")]},
           must=["rompeviento"], mods=["livian@", "impermeable"]),
      dict(w=2, mat={"denim": 1}, pat={"liso": 1}, warm=False, palette="jean", mods=["clásic@", "oversize", "con botones"]),
      dict(w=2, mat={"corderito": 2, "polar": 1, "pana": 1}, pat={"liso": 1}, warm=True, opt=["invierno"],
           mods=["abrigad@", "con cierre", "cuello alto"]),
  ])
T("tapado", cat="Buzos y abrigos", sizes="letters", price=(60000, 185000), palette="abrigo",
  nouns={"AR": [N("tapado", "tapados", "m")], "UY": [N("tapado", "tapados", "m"), N("saco largo", "sacos largos", "m")],
         "PY": [N("abrigo", "abrigos", "m"), N("tapado", "tapados", "m")], "CL": [N("abrigo", "abrigos", "m")],
         "PE": [N("abrigo", "abrigos", "m"), N("sobretodo", "sobretodos", "m")]},
  feats=["Forrado en satén.", "Botones forrados.", "Cuello solapa.", "Bolsillos laterales.", "Largo a la rodilla."],
  variants=[dict(w=1, mat={"pano": 5, "lana": 2, "alpaca": 1}, pat={"liso": 5, "cuadros": 1}, warm=True,
                 opt=["invierno"], mods=["larg@", "cruzad@", "entallad@", "clásic@", "oversize"])])
T("pantalon", cat="Pantalones y polleras", sizes="pants", price=(18000, 46000), palette="ropa",
  nouns={"ALL": [N("pantalón", "pantalones", "m")]},
  feats=["Tiro medio.", "Bolsillos delanteros y traseros.", "Cintura con pasacinto.", "Calce recto.",
         "Botón y cierre metálico."],
  variants=[
      dict(w=3, mat={"gabardina": 1}, pat={"liso": 1}, warm=False, opt=["trabajo"],
           mods=["chino", "recto", "elastizad@", "cargo", "de vestir"]),
      dict(w=1, mat={"viscosa": 2, "poliester": 1}, pat={"liso": 4, "cuadros": 1}, warm=False, opt=["trabajo"],
           mods=["sastrer@", "palazzo", "de vestir", "tiro alto"]),
      dict(w=1, mat={"lino": 1}, pat={"liso": 1}, warm=False, opt=["verano"], mods=["recto", "palazzo", "livian@"]),
      dict(w=1, mat={"pana": 1}, pat={"liso": 1}, warm=True, opt=["invierno"], mods=["recto", "clásic@", "tiro alto"]),
  ])
T("jean", cat="Pantalones y polleras", sizes="pants", price=(20000, 56000), palette="jean",
  nouns={"AR": [N("jean", "jeans", "m")], "UY": [N("jean", "jeans", "m")], "PY": [N("jean", "jeans", "m")],
         "CL": [N("jeans", "jeans", "m", "p")], "PE": [N("jean", "jeans", "m"), N("pantalón jean", "pantalones jean", "m")]},
  feats=["Tiro alto.", "Cinco bolsillos.", "Con elastano, se adapta al cuerpo.", "Lavado a la piedra.",
         "Rígido, no da de sí."],
  variants=[dict(w=1, mat={"denim": 1}, pat={"liso": 1}, warm=False,
                 mods=["chupín", "skinny", "mom", "rect@", "tiro alto", "elastizad@", "wide leg", "clásic@",
                       "oxford"])])
T("jogger", cat="Pantalones y polleras", sizes="letters", price=(12000, 30000), palette="abrigo",
  nouns={"AR": [N("jogging", "joggings", "m"), N("pantalón de jogging", "pantalones de jogging", "m"),
                N("jogger", "joggers", "m")],
         "UY": [N("pantalón deportivo", "pantalones deportivos", "m"), N("jogging", "joggings", "m")],
         "PY": [N("pantalón deportivo", "pantalones deportivos", "m"), N("jogger", "joggers", "m")],
         "CL": [N("buzo", "buzos", "m"), N("pantalón de buzo", "pantalones de buzo", "m"), N("jogger", "joggers", "m")],
         "PE": [N("buzo", "buzos", "m"), N("pantalón de buzo", "pantalones de buzo", "m"), N("jogger", "joggers", "m")]},
  feats=["Cintura elástica con cordón.", "Puño en el tobillo.", "Bolsillos laterales.", "Muy cómodo."],
  variants=[
      dict(w=3, mat={"frisa": 3, "polar": 1}, pat={"liso": 1}, warm=True, opt=["deporte", "invierno"],
           mods=["con puño", "unisex", "básic@"]),
      dict(w=2, mat={"algodon": 1}, pat={"liso": 1}, warm=False, opt=["deporte"], mods=["con puño", "cargo", "unisex"]),
      dict(w=1, mat={"poliester": 1}, pat={"liso": 1}, warm=False, uses=["deporte"], must=["deportiv@", "de entrenamiento"]),
  ])
T("short", cat="Pantalones y polleras", sizes="letters", price=(8000, 21000), palette="ropa",
  nouns={"AR": [N("short", "shorts", "m"), N("bermuda", "bermudas", "f")], "UY": [N("short", "shorts", "m"),
                                                                            N("bermuda", "bermudas", "f")],
         "PY": [N("short", "shorts", "m")], "CL": [N("short", "shorts", "m"), N("shorts", "shorts", "m", "p")],
         "PE": [N("short", "shorts", "m")]},
  feats=["Cintura elástica.", "Con bolsillos.", "Ruedo deshilachado.", "Largo medio muslo."],
  variants=[
      dict(w=2, mat={"denim": 1}, pat={"liso": 1}, warm=False, palette="jean", opt=["verano"], mods=["tiro alto", "mom"]),
      dict(w=2, mat={"algodon": 2, "lino": 1}, pat={"liso": 3, "rayas": 1, "cuadros": 1}, warm=False, opt=["verano"],
           mods=["livian@", "con cordón"]),
      dict(w=1, mat={"poliester": 1}, pat={"liso": 2, "estampado": 1}, warm=False, uses=["playa"], opt=["verano"],
           nouns={"ALL": [N("short de baño", "shorts de baño", "m")]},
           mods=["secado rápido", "con red interna"]),
      dict(w=1, mat={"poliester": 1}, pat={"liso": 1}, warm=False, uses=["deporte"], must=["deportiv@", "para running"]),
  ])
T("pollera", cat="Pantalones y polleras", sizes="letters", price=(12000, 36000), palette="ropa",
  nouns={"AR": [N("pollera", "polleras", "f")], "UY": [N("pollera", "polleras", "f")], "PY": [N("pollera", "polleras", "f")],
         "CL": [N("falda", "faldas", "f")], "PE": [N("falda", "faldas", "f")]},
  feats=["Cintura con elástico atrás.", "Con forro.", "Cierre invisible lateral.", "Tiro alto."],
  variants=[
      dict(w=2, mat={"poliester": 2, "viscosa": 1}, pat={"plisado": 1}, warm=False, mods=["midi", "larg@", "corta"]),
      dict(w=2, mat={"denim": 1}, pat={"liso": 1}, warm=False, palette="jean", mods=["mini", "con botones", "tiro alto"]),
      dict(w=2, mat={"viscosa": 2, "lino": 1}, pat={"flores": 3, "lunares": 1, "liso": 1, "animal_print": 1},
           warm=False, opt=["verano"], mods=["midi", "larg@", "cruzad@", "con volados"]),
      dict(w=1, mat={"pana": 1, "pano": 1}, pat={"liso": 2, "cuadros": 2}, warm=True, opt=["invierno"],
           mods=["recta", "con botones", "corta"]),
  ])
T("vestido", cat="Vestidos", sizes="letters", price=(18000, 72000), palette="ropa",
  nouns={"ALL": [N("vestido", "vestidos", "m")]},
  feats=["Con breteles regulables.", "Escote en V.", "Cierre invisible en la espalda.",
         "Cintura marcada.", "Con forro."],
  variants=[
      dict(w=2, mat={"raso": 2, "seda": 1, "tul": 1, "gasa": 1}, pat={"liso": 1}, warm=False, palette="fiesta",
           opt=["fiesta", "fiesta", "fiesta"], mods=["de fiesta", "larg@", "de noche", "con tajo", "elegante"]),
      dict(w=3, mat={"viscosa": 3, "algodon": 1, "lino": 2}, pat={"flores": 3, "lunares": 1, "liso": 2, "rayas": 1,
                                                              "animal_print": 1},
           warm=False, opt=["verano"], mods=["corto", "midi", "larg@", "camisero", "con volados"]),
      dict(w=1, mat={"lana": 1}, pat={"liso": 2, "trenzas": 1}, warm=True, palette="abrigo", opt=["invierno"],
           mods=["tejid@", "cuello alto", "midi"]),
  ])
T("calza", cat="Pantalones y polleras", sizes="letters", price=(8000, 21000), palette="ropa",
  nouns={"AR": [N("calza", "calzas", "f")], "UY": [N("calza", "calzas", "f")], "PY": [N("calza", "calzas", "f")],
         "CL": [N("calza", "calzas", "f"), N("leggings", "leggings", "f", "p")],
         "PE": [N("leggings", "leggings", "f", "p"), N("licra", "licras", "f")]},
  feats=["Tiro alto.", "No transparenta.", "Cintura ancha que modela.", "Largo tobillero."],
  variants=[
      dict(w=3, mat={"lycra": 1}, pat={"liso": 4, "estampado": 1, "animal_print": 1}, warm=False, uses=["deporte"],
           must=["deportiv@", "de entrenamiento", "para gimnasio"], mods=["larg@"]),
      dict(w=1, mat={"lycra": 1, "frisa": 1}, pat={"liso": 1}, warm=True, opt=["invierno"],
           must=["térmic@", "frizad@"], mods=["abrigad@"]),
      dict(w=1, mat={"algodon": 1}, pat={"liso": 1}, warm=False, mods=["de algodón y lycra", "básic@", "cort@"]),
  ])
T("medias", cat="Ropa interior y medias", sizes="unico", price=(1500, 7000), palette="ropa",
  nouns={"AR": [N("medias", "medias", "f", "p"), N("soquetes", "soquetes", "m", "p")],
         "UY": [N("medias", "medias", "f", "p")], "PY": [N("medias", "medias", "f", "p")],
         "CL": [N("calcetines", "calcetines", "m", "p")], "PE": [N("medias", "medias", "f", "p")]},
  feats=["Pack x3 pares.", "Puño que no aprieta.", "Talón y puntera reforzados.", "Pack x 6 pares."],
  variants=[
      dict(w=2, mat={"lana": 2, "alpaca": 1}, pat={"liso": 3, "rayas": 1}, warm=True, opt=["invierno", "regalo"],
           mods=["térmic@", "grues@", "de toalla"]),
      dict(w=3, mat={"algodon": 1}, pat={"liso": 4, "rayas": 1, "estampado": 1, "lunares": 1}, warm=False,
           opt=["deporte", "regalo"], mods=["cort@", "larg@", "deportiv@", ("invisible", "invisible", "invisibles", "invisibles")]),
      dict(w=1, mat={"algodon": 1}, pat={"liso": 2, "estampado": 1}, warm=False, uses=["bebe"], palette="bebe",
           must=["de bebé", "para bebé"], mods=["antideslizantes"]),
  ])
T("bombacha", cat="Ropa interior y medias", sizes="letters", price=(2500, 9500), palette="noche",
  nouns={"AR": [N("bombacha", "bombachas", "f")], "UY": [N("bombacha", "bombachas", "f")],
         "PY": [N("bombacha", "bombachas", "f")], "CL": [N("calzón", "calzones", "m")],
         "PE": [N("calzón", "calzones", "m"), N("trusa", "trusas", "f")]},
  feats=["Pack x3.", "Tiro alto.", "Sin costuras.", "Cintura de puntilla.", "Tiro medio."],
  variants=[dict(w=1, mat={"algodon": 4, "lycra": 1, "microfibra": 1}, pat={"liso": 4, "lunares": 1, "estampado": 1},
                 warm=False, mods=["culotte", "vedetina", "clásic@", "colaless"])])
T("corpino", cat="Ropa interior y medias", sizes="bra", price=(8000, 26000), palette="noche",
  nouns={"AR": [N("corpiño", "corpiños", "m")], "UY": [N("corpiño", "corpiños", "m")], "PY": [N("corpiño", "corpiños", "m")],
         "CL": [N("sostén", "sostenes", "m")], "PE": [N("brasier", "brasieres", "m"), N("sostén", "sostenes", "m")]},
  feats=["Con aro.", "Sin aro.", "Taza soft.", "Breteles regulables.", "Con puntilla."],
  variants=[dict(w=3, mat={"algodon": 2, "lycra": 1, "microfibra": 1}, pat={"liso": 1}, warm=False,
                 must=["push up", "triangular", "de lactancia", "clásic@"]),
            dict(w=1, mat={"lycra": 1}, pat={"liso": 1}, warm=False, uses=["deporte"], must=["deportiv@"], mods=["top"])])
T("malla", cat="Trajes de baño", sizes="letters", price=(15000, 46000), palette="playa",
  nouns={"AR": [N("malla", "mallas", "f"), N("bikini", "bikinis", "f"), N("malla enteriza", "mallas enterizas", "f")],
         "UY": [N("malla", "mallas", "f"), N("bikini", "bikinis", "f")],
         "PY": [N("malla", "mallas", "f"), N("traje de baño", "trajes de baño", "m")],
         "CL": [N("traje de baño", "trajes de baño", "m"), N("bikini", "bikinis", "m")],
         "PE": [N("ropa de baño", "ropa de baño", "f"), N("bikini", "bikinis", "m")]},
  feats=["Con protección UV.", "Taza removible.", "Secado rápido.", "Tiro alto.", "Tela que no se estira con el cloro."],
  variants=[dict(w=1, mat={"lycra": 1}, pat={"liso": 3, "estampado": 1, "flores": 1, "animal_print": 1, "rayas": 1},
                 warm=False, uses=["playa"], opt=["verano"], mods=["tiro alto", "con volados", "strapless", "con taza soft"])])
T("pijama", cat="Ropa de dormir", sizes="letters", price=(15000, 42000), palette="noche",
  nouns={"AR": [N("pijama", "pijamas", "m"), N("piyama", "piyamas", "m")], "UY": [N("pijama", "pijamas", "m"),
                                                                              N("piyama", "piyamas", "m")],
         "ALL": [N("pijama", "pijamas", "m")]},
  feats=["Pantalón con cintura elástica.", "Dos piezas.", "Puños en mangas y tobillos.", "Muy suave."],
  variants=[
      dict(w=3, mat={"polar": 3, "franela": 2, "corderito": 1}, pat={"liso": 3, "cuadros": 2, "estampado": 1,
                                                                 "lunares": 1},
           warm=True, uses=["dormir"], opt=["invierno", "regalo"], mods=["manga larga", "abrigad@", "de invierno"]),
      dict(w=2, mat={"algodon": 2, "viscosa": 1}, pat={"liso": 2, "rayas": 1, "estampado": 1, "lunares": 1},
           warm=False, uses=["dormir"], opt=["verano"], mods=["cort@", "manga corta", "de verano"]),
      dict(w=1, mat={"raso": 2, "seda": 1}, pat={"liso": 1}, warm=False, uses=["dormir"], opt=["regalo"],
           mods=["con ribetes", "camisero", "manga larga"]),
  ])
T("camison", cat="Ropa de dormir", sizes="letters", price=(12000, 32000), palette="noche",
  nouns={"ALL": [N("camisón", "camisones", "m")],
         "CL": [N("camisa de dormir", "camisas de dormir", "f"), N("camisón", "camisones", "m")]},
  feats=["Breteles finos.", "Con puntilla en el escote.", "Muy suave."],
  variants=[
      dict(w=3, mat={"algodon": 3, "viscosa": 2}, pat={"liso": 3, "flores": 2, "lunares": 1, "estampado": 1},
           warm=False, uses=["dormir"], opt=["verano"], mods=["cort@", "larg@", "manga corta", "sin mangas"]),
      dict(w=1, mat={"raso": 2, "seda": 1}, pat={"liso": 1}, warm=False, uses=["dormir"], opt=["regalo"],
           mods=["con encaje", "larg@"]),
      dict(w=1, mat={"franela": 1}, pat={"liso": 1, "cuadros": 1}, warm=True, uses=["dormir"], opt=["invierno"],
           mods=["manga larga", "abrigad@"]),
  ])
T("enterito", cat="Bebés", sizes="baby", price=(6000, 19000), palette="bebe",
  nouns={"AR": [N("enterito", "enteritos", "m"), N("body", "bodies", "m")], "UY": [N("enterito", "enteritos", "m"),
                                                                              N("body", "bodies", "m")],
         "PY": [N("enterito", "enteritos", "m"), N("body", "bodies", "m")],
         "CL": [N("osito", "ositos", "m"), N("pilucho", "piluchos", "m")],
         "PE": [N("enterizo", "enterizos", "m"), N("body", "bodies", "m")]},
  feats=["Broches en la entrepierna.", "Con pie.", "Costuras planas que no irritan.", "Apertura cruzada."],
  variants=[
      dict(w=3, mat={"algodon": 1}, pat={"liso": 3, "estampado": 1, "rayas": 1}, warm=False, uses=["bebe"],
           opt=["regalo", "verano"], mods=["para bebé", "de bebé", "manga larga", "manga corta"]),
      dict(w=1, mat={"polar": 2, "corderito": 1}, pat={"liso": 1}, warm=True, uses=["bebe"], opt=["invierno", "regalo"],
           mods=["para bebé", "abrigad@", "con capucha"]),
  ])
T("delantal", cat="Mesa y cocina", sizes="none", price=(6000, 16000), palette="hogar",
  nouns={"AR": [N("delantal", "delantales", "m")], "UY": [N("delantal", "delantales", "m")],
         "PY": [N("delantal", "delantales", "m")], "CL": [N("delantal", "delantales", "m"), N("pechera", "pecheras", "f")],
         "PE": [N("mandil", "mandiles", "m")]},
  feats=["Con bolsillo frontal.", "Tiras largas para atar.", "Cuello regulable.", "Talle único."],
  variants=[dict(w=1, mat={"algodon": 2, "denim": 2, "gabardina": 2, "lona": 1}, pat={"liso": 4, "cuadros": 1, "rayas": 1},
                 warm=False, uses=["cocina"], opt=["trabajo", "trabajo", "regalo"],
                 mods=["de cocina", "con bolsillos", "de chef", "unisex"])])
T("pantuflas", cat="Ropa de dormir", sizes="shoes", price=(8000, 21000), palette="noche",
  nouns={"ALL": [N("pantuflas", "pantuflas", "f", "p")]},
  feats=["Suela antideslizante.", "Plantilla acolchada.", "Cerradas.", "Muy livianas."],
  variants=[dict(w=3, mat={"corderito": 3, "polar": 2, "lana": 1}, pat={"liso": 4, "estampado": 1}, warm=True,
                 opt=["invierno", "regalo"], mods=["cerradas", "tipo bota", "abrigadas"]),
            dict(w=1, mat={"algodon": 1}, pat={"liso": 1}, warm=False, opt=["verano"], mods=["de toalla", "abiertas"])])
T("bufanda", cat="Accesorios", sizes="unico", price=(6000, 36000), palette="abrigo",
  nouns={"ALL": [N("bufanda", "bufandas", "f")], "PE": [N("chalina", "chalinas", "f"), N("bufanda", "bufandas", "f")]},
  feats=["Con flecos.", "Medida 180 x 30 cm.", "Muy suave.", "Tejida a mano."],
  variants=[dict(w=4, mat={"lana": 3, "alpaca": 3, "polar": 1}, pat={"liso": 3, "rayas": 1, "cuadros": 1, "trenzas": 1},
                 warm=True, opt=["invierno", "regalo"], mods=["tejid@", "larg@", "unisex"]),
            dict(w=1, mat={"viscosa": 1, "algodon": 1}, pat={"liso": 1, "estampado": 1}, warm=False, opt=["regalo"],
                 mods=["livian@", "tipo pashmina"])])
T("gorro", cat="Accesorios", sizes="unico", price=(5000, 16000), palette="abrigo",
  nouns={"ALL": [N("gorro", "gorros", "m"), N("gorro tejido", "gorros tejidos", "m")],
         "PE": [N("chullo", "chullos", "m"), N("gorro", "gorros", "m")]},
  feats=["Con pompón.", "Doble tejido.", "Elastizado, se adapta a todas las cabezas.", "Con doblez."],
  variants=[dict(w=3, mat={"lana": 3, "alpaca": 2}, pat={"liso": 3, "trenzas": 2, "rayas": 1}, warm=True,
                 opt=["invierno", "regalo"], mods=["con pompón", "unisex", "de invierno"]),
            dict(w=1, mat={"polar": 1}, pat={"liso": 1}, warm=True, opt=["invierno"],
                 nouns={"ALL": [N("gorro", "gorros", "m")]}, mods=["abrigad@", "unisex"])])
T("gorra", cat="Accesorios", sizes="unico", price=(6000, 16000), palette="ropa",
  nouns={"ALL": [N("gorra", "gorras", "f")], "CL": [N("jockey", "jockeys", "m")]},
  feats=["Visera curva.", "Regulable con hebilla.", "Con logo bordado.", "Ajustable atrás."],
  variants=[dict(w=1, mat={"algodon": 2, "gabardina": 2, "poliester": 1}, pat={"liso": 3, "estampado": 1}, warm=False,
                 opt=["verano", "deporte", "playa"], mods=["trucker", "con visera", "regulable", "bordad@"])])
T("frazada", cat="Blanquería", sizes="beds", price=(20000, 72000), palette="hogar",
  nouns={"ALL": [N("frazada", "frazadas", "f")]},
  feats=["No suelta pelusa.", "Terminación con ribete.", "Muy pesada y abrigada.", "Antialérgica."],
  variants=[dict(w=4, mat={"polar": 3, "lana": 2, "alpaca": 1, "corderito": 1}, pat={"liso": 3, "cuadros": 1,
                                                                                   "estampado": 1, "rayas": 1},
                 warm=True, uses=["dormir"], opt=["invierno", "regalo"], mods=["abrigad@", "doble faz", "pesad@"]),
            dict(w=1, mat={"polar": 2, "algodon": 1}, pat={"liso": 2, "estampado": 1}, warm=True, uses=["dormir", "bebe"],
                 sizes="none", palette="bebe", nouns={"ALL": [N("frazada para cuna", "frazadas para cuna", "f")],
                                                      "AR": [N("frazadita para bebé", "frazaditas para bebé", "f")]},
                 mods=["suave", "de cuna"])])
T("manta", cat="Blanquería", sizes="none", price=(15000, 46000), palette="hogar",
  nouns={"ALL": [N("manta", "mantas", "f"), N("manta tejida", "mantas tejidas", "f")],
         "AR": [N("manta", "mantas", "f"), N("pie de cama", "pies de cama", "m")],
         "UY": [N("manta", "mantas", "f"), N("pie de cama", "pies de cama", "m")]},
  feats=["Con flecos.", "Tejido artesanal.", "Terminación con flecos anudados.", "Ideal para el sillón."],
  variants=[
      dict(w=3, mat={"lana": 2, "polar": 2, "alpaca": 1}, pat={"liso": 2, "trenzas": 2, "cuadros": 1, "rayas": 1},
           warm=True, opt=["decoracion", "decoracion", "invierno", "regalo"],
           dims=[(130, 170), (150, 200), (120, 150), (140, 180)], mods=["para sillón", "tejid@", "abrigad@"]),
      dict(w=2, mat={"algodon": 1}, pat={"liso": 2, "rayas": 1, "estampado": 1}, warm=False,
           opt=["verano", "decoracion", "decoracion"], dims=[(130, 170), (150, 200), (140, 180)],
           mods=["livian@", "de algodón", "para sillón"]),
      dict(w=1, mat={"algodon": 1, "polar": 1}, pat={"liso": 1}, warm=None, uses=["bebe"], palette="bebe",
           dims=[(80, 100), (90, 110), (100, 120)], opt=["regalo"],
           nouns={"ALL": [N("manta para bebé", "mantas para bebé", "f")], "AR": [N("mantita de bebé", "mantitas de bebé", "f")]},
           mods=["suave", "para cochecito"]),
  ])
T("acolchado", cat="Blanquería", sizes="beds", price=(40000, 155000), palette="hogar",
  nouns={"AR": [N("acolchado", "acolchados", "m")], "UY": [N("acolchado", "acolchados", "m")],
         "PY": [N("acolchado", "acolchados", "m")], "CL": [N("plumón", "plumones", "m")],
         "PE": [N("edredón", "edredones", "m")]},
  feats=["Relleno de vellón siliconado.", "Costuras en cuadros que no dejan correr el relleno.", "Lavable en lavarropas.",
         "Reversible."],
  variants=[dict(w=3, mat={"microfibra": 2, "algodon": 2, "poliester": 1}, pat={"liso": 3, "estampado": 1, "flores": 1},
                 warm=True, uses=["dormir"], opt=["invierno"], mods=["reversible", "abrigad@", "de pluma sintética"]),
            dict(w=1, mat={"algodon": 1, "microfibra": 1}, pat={"liso": 2, "flores": 1}, warm=False, uses=["dormir"],
                 opt=["verano", "verano"], nouns={"ALL": [N("cubrecama", "cubrecamas", "m")]},
                 mods=["livian@", "de verano", "matelasead@"])])
T("sabana", cat="Blanquería", sizes="beds", price=(15000, 62000), palette="hogar",
  nouns={"ALL": [N("juego de sábanas", "juegos de sábanas", "f", "p"), N("sábanas", "sábanas", "f", "p")]},
  feats=["Incluye sábana ajustable, sábana plana y fundas.", "Elástico en todo el contorno.",
         "No se arrugan.", "Para colchones de hasta 30 cm de alto."],
  variants=[dict(w=3, mat={"algodon": 1}, pat={"liso": 5, "rayas": 1, "estampado": 1, "flores": 1},
                 warm=False, uses=["dormir"], opt=["verano"], mods=["200 hilos", "percal", "144 hilos", "180 hilos"]),
            dict(w=1, mat={"microfibra": 1}, pat={"liso": 3, "estampado": 1},
                 warm=False, uses=["dormir"], opt=["verano"], mods=["antialérgicas", "suaves"]),
            dict(w=1, mat={"franela": 2, "polar": 1}, pat={"liso": 2, "cuadros": 1}, warm=True, uses=["dormir"],
                 opt=["invierno"], mods=["abrigadas", "de invierno"])])
T("almohadon", cat="Blanquería", sizes="none", price=(5000, 16000), palette="hogar",
  nouns={"AR": [N("almohadón", "almohadones", "m")], "UY": [N("almohadón", "almohadones", "m")],
         "PY": [N("almohadón", "almohadones", "m")], "CL": [N("cojín", "cojines", "m")], "PE": [N("cojín", "cojines", "m")]},
  feats=["Con relleno incluido.", "Funda con cierre.", "Funda lavable.", "Relleno de vellón."],
  variants=[dict(w=1, mat={"algodon": 2, "terciopelo": 2, "pana": 1, "lino": 1, "poliester": 1},
                 pat={"liso": 3, "estampado": 1, "rayas": 1, "flores": 1}, warm=False, uses=["decoracion"], opt=["regalo"],
                 dims=[(40, 40), (45, 45), (50, 50), (30, 50), (60, 60)], mods=["decorativ@", "premium"])])
T("toalla", cat="Blanquería", sizes="none", price=(5000, 21000), palette="hogar",
  nouns={"AR": [N("toallón", "toallones", "m"), N("toalla", "toallas", "f")],
         "UY": [N("toallón", "toallones", "m"), N("toalla", "toallas", "f")],
         "PY": [N("toallón", "toallones", "m"), N("toalla", "toallas", "f")],
         "CL": [N("toalla de baño", "toallas de baño", "f"), N("toalla", "toallas", "f")],
         "PE": [N("toalla de baño", "toallas de baño", "f"), N("toalla", "toallas", "f")]},
  feats=["500 gramos por metro cuadrado.", "Muy absorbente.", "Terminación con guarda.", "No suelta pelusa."],
  variants=[
      dict(w=4, mat={"algodon": 1}, pat={"liso": 5, "rayas": 1}, warm=False, uses=["bano"],
           dims=[(70, 140), (70, 130), (80, 150), (70, 140)], mods=["de algodón", "absorbente", "premium"]),
      dict(w=1, mat={"algodon": 1}, pat={"liso": 1}, warm=False, uses=["bano"], dims=[(50, 90), (40, 70)],
           nouns={"ALL": [N("toalla de mano", "toallas de mano", "f")]}, mods=["absorbente", "de algodón"]),
      dict(w=2, mat={"algodon": 2, "microfibra": 1}, pat={"liso": 1, "rayas": 2, "estampado": 1}, warm=False,
           uses=["playa"], opt=["verano"], palette="playa", dims=[(90, 170), (80, 160), (100, 180)],
           nouns={"ALL": [N("toalla de playa", "toallas de playa", "f")], "AR": [N("toallón de playa", "toallones de playa", "m")]},
           mods=["grande", "de secado rápido"]),
      dict(w=1, mat={"algodon": 1}, pat={"liso": 1}, warm=False, uses=["bebe", "bano"], palette="bebe",
           dims=[(80, 80), (90, 90)], nouns={"ALL": [N("toalla con capucha", "toallas con capucha", "f")]},
           opt=["regalo"], must=["para bebé", "de bebé"]),
      dict(w=1, mat={"microfibra": 1}, pat={"liso": 1}, warm=False, uses=["deporte"], dims=[(50, 100), (70, 140)],
           must=["para gimnasio", "deportiv@"], mods=["compact@", "de viaje"]),
  ])
T("mantel", cat="Mesa y cocina", sizes="none", price=(10000, 42000), palette="hogar",
  nouns={"ALL": [N("mantel", "manteles", "m")]},
  feats=["Dobladillo cosido a máquina.", "Lavable en lavarropas.", "No se destiñe.", "Apto secarropas."],
  variants=[dict(w=1, mat={"algodon": 3, "lino": 2, "linon": 1, "poliester": 2}, pat={"liso": 3, "cuadros": 2, "flores": 1,
                                                                                   "estampado": 1, "rayas": 1},
                 warm=False, opt=["fiesta", "regalo"], dims=[(150, 200), (150, 250), (150, 300), (140, 180), (140, 140),
                                                           (180, 180)],
                 mods=["rectangular", "antimanchas", "de mesa", "de algodón"])])
T("cortina", cat="Cortinas", sizes="none", price=(15000, 62000), palette="hogar",
  nouns={"ALL": [N("cortina", "cortinas", "f"), N("cortinas", "cortinas", "f", "p")]},
  feats=["Con presillas ocultas.", "Con ojales metálicos.", "Confección con cinta fruncidora.", "Dobladillo terminado."],
  variants=[
      dict(w=3, mat={"blackout": 1}, pat={"liso": 1}, warm=False, opt=["decoracion"],
           dims=[(140, 220), (150, 220), (140, 200), (280, 220), (150, 250), (140, 180)], mods=["opac@", "térmic@"]),
      dict(w=2, mat={"voile": 1}, pat={"liso": 1}, warm=False, opt=["decoracion"],
           nouns={"CL": [N("visillo", "visillos", "m"), N("cortina", "cortinas", "f")]},
           dims=[(300, 220), (280, 230), (150, 220), (200, 220), (300, 250)], mods=["livian@", "translúcid@"]),
      dict(w=2, mat={"lino": 2, "linon": 2, "gasa": 1, "tul": 1}, pat={"liso": 4, "estampado": 1}, warm=False, opt=["decoracion"],
           dims=[(140, 220), (150, 230), (140, 200), (200, 220), (150, 180)], mods=["para living", "con presillas"]),
  ])
T("repasador", cat="Mesa y cocina", sizes="none", price=(1500, 6000), palette="hogar",
  nouns={"AR": [N("repasador", "repasadores", "m")], "UY": [N("repasador", "repasadores", "m")],
         "PY": [N("repasador", "repasadores", "m")], "CL": [N("paño de cocina", "paños de cocina", "m")],
         "PE": [N("secador de cocina", "secadores de cocina", "m"), N("secador", "secadores", "m")]},
  feats=["Pack x3.", "Pack x 6 unidades.", "Medida 50 x 70 cm.", "Con colgador."],
  variants=[dict(w=1, mat={"algodon": 4, "lino": 1, "microfibra": 1}, pat={"liso": 2, "cuadros": 2, "rayas": 1},
                 warm=False, uses=["cocina"], mods=["absorbente", "de algodón", "de cocina"])])
T("tela", cat="Telas", sizes="none", price=(3000, 26000), nouns={"ALL": [N("tela", "telas", "f")]}, variants=[])
T("hilo", cat="Mercería", sizes="none", price=(500, 3600), palette="hilo", nopattern=True,
  nouns={"ALL": [N("hilo", "hilos", "m")], "CL": [N("hilo", "hilos", "m"), N("carrete de hilo", "carretes de hilo", "m")],
         "AR": [N("hilo", "hilos", "m"), N("carretel de hilo", "carreteles de hilo", "m")]},
  feats=["Carretel de 1000 yardas.", "Cono de 5000 yardas.", "No se corta en la máquina.", "Alta resistencia."],
  variants=[
      dict(w=3, mat={"poliester": 3, "algodon": 1}, warm=False, uses=["confeccion"], must=["de coser", "para costura"]),
      dict(w=2, mat={"algodon": 2, "seda": 1}, warm=False, uses=["bordar"], must=["para bordar", "mouliné"]),
      dict(w=1, mat={"seda": 1}, warm=False, uses=["bordar", "confeccion"], must=["para bordado fino", "para bordar"]),
      dict(w=2, mat={"poliester": 1}, warm=False, uses=["confeccion", "denim"], must=["reforzado", "grueso"]),
  ])
T("ovillo", cat="Mercería", sizes="none", price=(1500, 9500), palette="abrigo", nopattern=True,
  nouns={"ALL": [N("ovillo", "ovillos", "m")]},
  feats=["Ovillo de 100 gramos.", "Madeja de 50 g.", "Rinde aprox. 200 metros.", "No pica."],
  variants=[
      dict(w=3, mat={"lana": 1}, warm=None, uses=["tejer"], mods=["de 100 g", "gruesa"],
           nouns={"AR": [N("lana para tejer", "lanas para tejer", "f"), N("ovillo de lana", "ovillos de lana", "m")],
                  "UY": [N("lana", "lanas", "f"), N("ovillo de lana", "ovillos de lana", "m")],
                  "PY": [N("lana para tejer", "lanas para tejer", "f")],
                  "CL": [N("lana", "lanas", "f"), N("ovillo de lana", "ovillos de lana", "m")],
                  "PE": [N("ovillo de lana", "ovillos de lana", "m"), N("lana", "lanas", "f")]}),
      dict(w=2, mat={"alpaca": 1}, warm=None, uses=["tejer"], mods=["de 100 g", "suave"],
           nouns={"ALL": [N("ovillo de alpaca", "ovillos de alpaca", "m")],
                  "PE": [N("hilo de alpaca", "hilos de alpaca", "m"), N("ovillo de alpaca", "ovillos de alpaca", "m")]}),
      dict(w=1, mat={"algodon": 1}, warm=None, uses=["tejer"], mods=["de 100 g", "para crochet"],
           nouns={"ALL": [N("hilo de algodón para tejer", "hilos de algodón para tejer", "m"),
                          N("ovillo de algodón", "ovillos de algodón", "m")]}),
  ])
T("sedal", cat="Mercería", sizes="none", price=(1500, 6500), palette="hilo", nopattern=True,
  nouns={"AR": [N("tanza", "tanzas", "f"), N("hilo de nylon", "hilos de nylon", "m")],
         "UY": [N("tanza", "tanzas", "f")], "PY": [N("hilo de nylon", "hilos de nylon", "m")],
         "CL": [N("sedal", "sedales", "m"), N("hilo nylon", "hilos nylon", "m")],
         "PE": [N("hilo nylon", "hilos nylon", "m"), N("sedal", "sedales", "m")]},
  feats=["Carrete de 100 metros.", "Grosor 0,30 mm.", "Grosor 0,50 mm.", "Muy resistente a la tracción."],
  variants=[dict(w=1, mat={"nylon": 1}, warm=False, uses=["manualidades"], opt=["pesca"], mods=["transparente", "monofilamento"])])
T("cierre", cat="Mercería", sizes="none", price=(300, 3200), palette="hilo", nopattern=True,
  nouns={"ALL": [N("cierre", "cierres", "m")]},
  feats=["Deslizador automático.", "Dientes reforzados.", "Pack x10.", "Marca YKK."],
  variants=[dict(w=1, mat={"nylon": 3, "metal": 2}, warm=False, uses=["confeccion"],
                 lengths=[15, 18, 20, 25, 30, 50, 60, 70], must=["invisible", "desmontable", "reforzado", "común"])])

# Fabrics sold by the metre: material -> widths (cm), palette, optional uses,
# other types named as what to make with it (decoys), name extras, weight.
TELAS = {
    "algodon": dict(w=3, widths=[150, 160], palette="ropa", opt=["verano", "confeccion"],
                    decoys=["camisa", "vestido", "pijama"], extra=["poplín", "estampado digital", "liviano"]),
    "lino": dict(w=4, widths=[140, 150, 280], palette=["crudo", "blanco", "beige", "negro", "verde_oliva", "terracota",
                                                       "celeste", "gris", "azul_marino"],
                 opt=["cortinas", "verano"], decoys=["camisa", "pantalon", "mantel"], extra=["puro", "premium"]),
    "linon": dict(w=4, widths=[150, 280], palette=["blanco", "crudo", "beige", "gris", "negro", "celeste", "rosa_pastel"],
                  opt=["cortinas", "cortinas", "manualidades"], decoys=["mantel", "camison"], extra=["liviano"]),
    "seda": dict(w=3, widths=[90, 140], palette="fiesta", opt=["fiesta"], decoys=["camisa", "vestido", "pijama"],
                 extra=["pura", "natural"]),
    "gabardina": dict(w=4, widths=[150, 160], palette="ropa", opt=["trabajo"], decoys=["pantalon", "delantal", "pollera"],
                      extra=["elastizada", "pesada", "de algodón"]),
    "denim": dict(w=4, widths=[150, 160], palette="jean", opt=[], decoys=["jean", "campera", "pollera", "short"],
                  extra=["rígido", "elastizado", "12 onzas"]),
    "pana": dict(w=4, widths=[140, 150], palette="abrigo", opt=["tapiceria", "invierno"],
                 decoys=["pantalon", "campera", "almohadon"], extra=["gruesa", "fina", "lisa"]),
    "pano": dict(w=3, widths=[150], palette="abrigo", opt=["invierno"], decoys=["tapado", "pollera"],
                 extra=["de lana", "gamuzado"]),
    "friselina": dict(w=5, widths=[80, 150, 160], palette="hogar", opt=["manualidades", "manualidades", "confeccion"],
                      decoys=[], extra=["40 grs", "60 gramos", "entretela"]),
    "lienzo": dict(w=5, widths=[280, 240, 150], palette=["crudo", "blanco", "crudo", "beige"],
                   opt=["manualidades"], decoys=["sabana", "mantel", "repasador"], extra=["crudo", "grueso"]),
    "tul": dict(w=4, widths=[300, 150], palette=["blanco", "crudo", "negro", "rosa_pastel", "celeste", "bordo", "lila",
                                                 "rojo", "verde_agua"],
                opt=["fiesta", "cortinas"], decoys=["vestido"], extra=["ilusión", "rígido", "suave"]),
    "jersey": dict(w=4, widths=[160, 180], palette="ropa", opt=["bebe"], decoys=["remera", "vestido", "enterito"],
                   extra=["peinado", "24/1", "tubular"]),
    "frisa": dict(w=4, widths=[180, 160], palette="abrigo", opt=["invierno", "deporte"], decoys=["buzo", "jogger"],
                  extra=["invisible", "pesada"]),
    "raso": dict(w=3, widths=[150], palette="fiesta", opt=["fiesta", "fiesta"], decoys=["vestido", "camison", "pijama"],
                 extra=["brillante", "elastizado"]),
    "voile": dict(w=4, widths=[280, 300], palette=["blanco", "crudo", "beige", "gris", "blanco"], opt=["cortinas", "cortinas"],
                  decoys=[], extra=["liso", "lavable"]),
    "blackout": dict(w=5, widths=[280, 150, 140], palette=["blanco", "crudo", "gris", "beige", "negro", "gris_oscuro",
                                                           "azul_marino"],
                     opt=["cortinas", "cortinas", "cortinas"], decoys=[], extra=["100% opaco", "térmico", "textil"]),
    "corderito": dict(w=3, widths=[150, 160], palette=["crudo", "blanco", "beige", "camel", "gris", "marron", "negro"],
                      opt=["invierno"], decoys=["campera", "pantuflas", "manta"], extra=["rizado", "premium"]),
    "polar": dict(w=5, widths=[150, 160], palette="abrigo", opt=["invierno", "bebe"],
                  decoys=["buzo", "manta", "campera", "pijama", "gorro"], extra=["antipilling", "soft", "liviano"]),
    "lycra": dict(w=3, widths=[150], palette="playa", opt=["deporte"], decoys=["calza", "malla"], extra=["brillante", "mate"]),
    "gasa": dict(w=3, widths=[140, 150], palette="bebe", opt=["bebe", "verano"], decoys=["vestido", "camisa"],
                 extra=["doble", "arrugada"]),
    "terciopelo": dict(w=3, widths=[140, 150], palette="fiesta", opt=["tapiceria", "fiesta"],
                       decoys=["almohadon", "vestido"], extra=["liso", "antimanchas"]),
    "franela": dict(w=3, widths=[150, 160], palette="noche", opt=["bebe", "invierno"], decoys=["pijama", "camisa", "sabana"],
                    extra=["perchada", "suave"]),
    "lona": dict(w=3, widths=[150, 160], palette=["crudo", "beige", "negro", "verde_oliva", "azul_marino", "gris", "mostaza"],
                 opt=["tapiceria", "manualidades"], decoys=["delantal"], extra=["gruesa", "cruda", "10 onzas"]),
}
TELA_PATTERNS = {"algodon": {"liso": 3, "estampado": 2, "flores": 1, "cuadros": 1, "lunares": 1, "rayas": 1},
                 "gabardina": {"liso": 5, "estampado": 1}, "polar": {"liso": 3, "estampado": 2, "cuadros": 1},
                 "lycra": {"liso": 3, "estampado": 1, "animal_print": 1}, "franela": {"liso": 2, "cuadros": 2, "estampado": 1},
                 "lona": {"liso": 3, "rayas": 1}, "jersey": {"liso": 4, "rayas": 1, "estampado": 1},
                 "gasa": {"liso": 3, "estampado": 1}}

USE_PHRASES = {
    "dormir": ["ideal para dormir", "perfect@ para descansar", "para dormir cómod@"],
    "invierno": ["ideal para el invierno", "para los días de frío", "abriga muchísimo", "perfect@ para el invierno"],
    "verano": ["ideal para el verano", "fresc@ y livian@, ideal para el calor", "perfect@ para los días de calor"],
    "cortinas": ["ideal para cortinas", "apt@ para cortinados", "especial para cortinas"],
    "tapiceria": ["ideal para tapizar sillones y sillas", "apt@ para tapicería", "para retapizar sillones y respaldos"],
    "bebe": ["suave para la piel del bebé", "ideal para bebés", "pensad@ para el bebé"],
    "regalo": ["ideal para regalar", "viene en caja de regalo", "un regalo perfecto"],
    "playa": ["para la playa y la {pool}", "ideal para la playa"],
    "deporte": ["ideal para entrenar", "para running y gimnasio", "ideal para hacer deporte"],
    "fiesta": ["ideal para fiestas", "para casamientos y eventos", "ideal para eventos y fiestas"],
    "trabajo": ["ideal para gastronomía", "para uniformes de trabajo", "ideal para uniformes"],
    "bordar": ["para bordar a mano", "ideal para bordado"],
    "confeccion": ["para costura a máquina y a mano", "ideal para confección"],
    "manualidades": ["ideal para manualidades", "para manualidades y souvenirs", "para artesanías y manualidades"],
    "decoracion": ["ideal para decorar el living", "le da calidez a cualquier ambiente", "{decora} tu casa"],
    "denim": ["ideal para coser jeans", "especial para costuras de jean", "para coser jeans y lonas"],
    "tejer": ["para tejer a dos agujas o crochet", "para tejer a mano"],
    "cocina": ["para la cocina", "ideal para secar vajilla"],
    "bano": ["para el baño", "ideal para después de la ducha"],
    "pesca": ["también apto para pesca"],
}
# Phrases for the fiesta use on fabrics only (the vestido phrase fits fabrics).
POOL = {"AR": "pileta", "UY": "piscina", "PY": "piscina", "CL": "piscina", "PE": "piscina"}

BRANDS = ["Pampa", "Lúa", "Kuyay", "Ñandé", "Nómade", "Killa", "Rayuela", "Wara", "Tayta", "Maitén",
          "Calafate", "Ceibo", "Yaguareté", "Malú", "Quillay", "Mara", "Alma Textil", "Tiza", "Kalú", "Puna",
          "Sol de Mayo", "Inti", "Lihué", "Tacurú"]
CITIES = {"AR": ["Buenos Aires", "Córdoba", "Rosario", "Mendoza", "La Plata", "Mar del Plata", "Tucumán", "Salta"],
          "CL": ["Santiago", "Valparaíso", "Concepción", "Temuco", "La Serena", "Antofagasta"],
          "UY": ["Montevideo", "Salto", "Paysandú", "Maldonado"],
          "PY": ["Asunción", "Ciudad del Este", "Encarnación", "Luque"],
          "PE": ["Lima", "Arequipa", "Cusco", "Trujillo", "Piura"]}
CLOSINGS = {
    "AR": ["Envíos a todo el país.", "Hacemos envíos por Correo Argentino y Andreani.", "Consultá por ventas mayoristas.",
           "Retiro sin cargo en {city}.", "Stock permanente.", "Aceptamos todos los medios de pago.",
           "Industria argentina."],
    "UY": ["Envíos a todo el Uruguay.", "Retiro en {city} o envío por agencia.", "Consultá por stock.",
           "Hacemos envíos por DAC.", "Fabricación uruguaya."],
    "PY": ["Envíos a todo el país.", "Delivery en {city} y alrededores.", "Consultá disponibilidad.",
           "Aceptamos transferencias y tarjetas.", "Industria paraguaya."],
    "CL": ["Despachos a todo Chile.", "Envío por Starken o Chilexpress.", "Retiro en {city}.",
           "Consulta por stock antes de comprar.", "Precios por mayor.", "Hecho en Chile."],
    "PE": ["Envíos a todo el Perú.", "Delivery en {city}.", "Envíos por Olva Courier y Shalom.",
           "Consulte por precios al por mayor.", "Pago con Yape o Plin.", "Hecho en Perú."],
}
VOS = {"AR", "UY", "PY"}

# How many products of each type the base catalogue draws (before the
# coverage pass adds products for queries with too few exact matches).
COUNTS = {
    "remera": 26, "chomba": 12, "musculosa": 12, "camisa": 20, "buzo": 22, "sweater": 17, "campera": 20, "tapado": 12,
    "pantalon": 20, "jean": 20, "jogger": 16, "short": 14, "pollera": 18, "vestido": 20, "calza": 13, "medias": 14,
    "bombacha": 10, "corpino": 10, "malla": 12, "pijama": 16, "camison": 11, "enterito": 12, "delantal": 10,
    "pantuflas": 12, "bufanda": 12, "gorro": 12, "gorra": 10, "frazada": 14, "manta": 14, "acolchado": 13,
    "sabana": 16, "almohadon": 13, "toalla": 16, "mantel": 14, "cortina": 16, "repasador": 10, "tela": 110,
    "hilo": 14, "ovillo": 13, "sedal": 10, "cierre": 11,
}

# ---------------------------------------------------------------------------
# Small text helpers.
# ---------------------------------------------------------------------------


def agree(word, g, n):
    if isinstance(word, tuple):
        return word[(0 if g == "m" else 1) + (2 if n == "p" else 0)]
    end = {("m", "s"): "o", ("f", "s"): "a", ("m", "p"): "os", ("f", "p"): "as"}[(g, n)]
    return word.replace("@", end)


def strip_accents(s):
    out = []
    for ch in unicodedata.normalize("NFD", s):
        if ch in ("\u0301", "\u0308"):
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def cap(s):
    return s[:1].upper() + s[1:] if s else s


def colour_adj(word, kind, g, n):
    """The seller's shade word agreeing with a noun of gender g, number n."""
    w = word.lower() if word not in ("Off white",) else "off white"
    if kind == "o":
        parts = w.split(" ")
        base = parts[0][:-1]
        parts[0] = base + {("m", "s"): "o", ("f", "s"): "a", ("m", "p"): "os", ("f", "p"): "as"}[(g, n)]
        return " ".join(parts)
    if n == "p" and kind == "e":
        return w + "s"
    if n == "p" and kind == "c":
        return strip_accents(w) + "es" if w.endswith("ón") else w + "es"
    return w


def dec(cm, comma=True, short=False):
    m = cm / 100
    if short and cm % 100 == 0:
        s = str(cm // 100)
    elif short and cm % 10 == 0:
        s = f"{m:.1f}"
    else:
        s = f"{m:.2f}"
    return s.replace(".", ",") if comma else s


def width_text(cm, rng):
    forms = [lambda: f"ancho {dec(cm)} m", lambda: f"{dec(cm, False)} mts de ancho", lambda: f"{cm} cm de ancho",
             lambda: f"Ancho: {dec(cm)}m", lambda: f"ancho {cm} cm", lambda: f"{dec(cm, True, True)} m de ancho",
             lambda: f"ancho {dec(cm, False)}", lambda: f"{dec(cm)} de ancho"]
    return rng.choice(forms)()


def length_text(cm, rng):
    forms = [lambda: f"largo {dec(cm)} m", lambda: f"{dec(cm, False)} m de largo", lambda: f"{cm} cm de largo",
             lambda: f"caída {dec(cm)} m", lambda: f"alto {dec(cm, False)} m"]
    return rng.choice(forms)()


def dims_text(w, l, rng):
    forms = [lambda: f"{w} x {l} cm", lambda: f"{w}x{l} cm", lambda: f"{dec(w)} x {dec(l)} m",
             lambda: f"{dec(w, False)} x {dec(l, False)} mts", lambda: f"{w}x{l}"]
    if w < 100:
        forms = forms[:2] + [forms[4]]
    return rng.choice(forms)()


def nice_price(rng, lo, hi):
    p = rng.uniform(lo, hi)
    if p < 2000:
        return int(round(p / 50.0) * 50)
    p = int(round(p / 100.0) * 100)
    if rng.random() < 0.4:
        p -= 10
    return p


def weighted(rng, d):
    keys = [k for k in d if d[k] > 0]
    return rng.choices(keys, weights=[d[k] for k in keys])[0]


def palette_of(spec):
    pal = spec if isinstance(spec, (dict, list)) else PALETTES[spec]
    if isinstance(pal, list):
        d = {}
        for s in pal:
            d[s] = d.get(s, 0) + 1
        return d
    return {k: v for k, v in pal.items() if k in SHADES and v > 0}


def shade_word(rng, shade, country):
    words = [w for w in SHADES[shade][1] if w[2] is None or country in w[2]]
    return rng.choice(words)


def nouns_for(spec_nouns, country, fallback=None):
    if country in spec_nouns:
        return spec_nouns[country]
    if "ALL" in spec_nouns:
        return spec_nouns["ALL"]
    return nouns_for(fallback, country)


def size_list(rng, scheme, country, force_size=None):
    """Returns (display sizes, canonical sizes) or None when force_size is impossible."""
    if scheme == "none":
        return ([], []) if force_size is None else None
    if scheme in ("unico",):
        if force_size not in (None, "unico"):
            return None
        word = "Talle único" if country in VOS else "Talla única"
        return ([rng.choice(["Único", word])], ["unico"])
    if scheme == "oversize":
        if force_size not in (None, "oversize", "unico"):
            return None
        word = "Talle único oversize" if country in VOS else "Talla única oversize"
        return ([rng.choice(["Oversize", word])], ["oversize", "unico"])
    if scheme == "beds":
        keys = list(BEDS)
        key = force_size if force_size is not None else rng.choices(keys, weights=[3, 2, 5, 2, 1])[0]
        if key not in BEDS:
            return None
        words = BEDS[key].get(country, BEDS[key]["ALL"])
        return ([rng.choice(words)], [key])
    table = {"letters": LETTERS, "pants": PANTS_AR if country in VOS else PANTS_CL, "bra": BRA, "shoes": SHOES,
             "baby": BABY}[scheme]
    canon = [c for _, c in table]
    if force_size is not None and force_size not in canon:
        return None
    for _ in range(100):
        k = rng.randint(3, min(6, len(table))) if scheme != "shoes" else rng.randint(2, 5)
        start = rng.randint(0, len(table) - k)
        if scheme == "letters" and start > 2:
            continue
        chosen = table[start:start + k]
        if force_size is None or force_size in [c for _, c in chosen]:
            disp = [d for d, _ in chosen]
            if scheme == "shoes" and rng.random() < 0.5:
                disp = [d.replace("/", "-") for d in disp]
            return (disp, [c for _, c in chosen])
    return None


def size_phrase(rng, scheme, disp, country):
    talle = "Talle" if country in VOS else "Talla"
    talles = "Talles" if country in VOS else "Tallas"
    if not disp:
        return ""
    if scheme == "beds":
        return rng.choice([f"Medida: {disp[0]}.", f"Para cama de {disp[0].lower()}.", f"Tamaño {disp[0]}."])
    if scheme in ("unico", "oversize"):
        return f"{talle} único." if country in VOS else f"{talle} única."
    if len(disp) == 1:
        return f"{talle} {disp[0]}."
    if scheme == "letters" or scheme == "bra":
        return rng.choice([f"{talles}: {disp[0]} al {disp[-1]}.", f"{talles} disponibles: {', '.join(disp)}.",
                           f"{talles} del {disp[0]} al {disp[-1]}."])
    return rng.choice([f"{talles}: {', '.join(disp)}.", f"{talles} del {disp[0]} al {disp[-1]}."])


# ---------------------------------------------------------------------------
# Product builder.
# ---------------------------------------------------------------------------


def variant_ok(tname, v, country, force):
    spec = TYPES[tname]
    mat = force.get("material")
    if mat is not None and mat not in v["mat"]:
        return False
    pat = force.get("pattern")
    if pat is not None:
        if spec.get("nopattern") or pat not in (v.get("pat") or {}):
            return False
    if force.get("warm"):
        if v.get("warm") is False:
            return False
        if v.get("warm") is None and not any(m in WARM_MATERIALS for m in v["mat"] if mat in (None, m)):
            return False
    for u in force.get("uses", []):
        if u not in v.get("uses", []) and u not in v.get("opt", []):
            return False
    scheme = v.get("sizes", spec["sizes"])
    if force.get("size") is not None:
        if size_list(random.Random(0), scheme, country, force["size"]) is None:
            return False
    dims = v.get("dims")
    if force.get("width_cm") is not None:
        if not dims or not any(abs(w - force["width_cm"]) <= 5 for w, _ in dims):
            return False
    if force.get("length_cm") is not None:
        lens = [l for _, l in dims] if dims else v.get("lengths")
        if not lens or not any(abs(l - force["length_cm"]) <= 5 for l in lens):
            return False
        if dims and force.get("width_cm") is not None and not any(
                abs(w - force["width_cm"]) <= 5 and abs(l - force["length_cm"]) <= 5 for w, l in dims):
            return False
    pal = palette_of(v.get("palette", spec.get("palette", "ropa")))
    if force.get("shade") is not None and force["shade"] not in pal:
        return False
    if force.get("family") is not None and not any(FAMILY[s] == force["family"] for s in pal):
        return False
    return True


def tela_ok(country, force):
    mat = force.get("material")
    if mat is not None and mat not in TELAS:
        return False
    cands = [mat] if mat else list(TELAS)
    good = []
    for m in cands:
        t = TELAS[m]
        if force.get("pattern") is not None and force["pattern"] not in TELA_PATTERNS.get(m, {"liso": 1}):
            continue
        if force.get("warm") and m not in WARM_MATERIALS:
            continue
        if any(u not in t["opt"] for u in force.get("uses", [])):
            continue
        if force.get("width_cm") is not None and not any(abs(w - force["width_cm"]) <= 5 for w in t["widths"]):
            continue
        if force.get("size") is not None or force.get("length_cm") is not None:
            continue
        pal = palette_of(t["palette"])
        if force.get("shade") is not None and force["shade"] not in pal:
            continue
        if force.get("family") is not None and not any(FAMILY[s] == force["family"] for s in pal):
            continue
        good.append(m)
    return good


def pick_shade(rng, pal, force, pattern):
    if force.get("shade") is not None:
        return force["shade"]
    if force.get("family") is not None:
        opts = {s: w for s, w in pal.items() if FAMILY[s] == force["family"]}
        return weighted(rng, opts)
    if pattern in ("estampado", "flores") and rng.random() < 0.35:
        return "multicolor"
    return weighted(rng, pal)


DECOY_TEMPLATES = ["Ideal para confeccionar {x}.", "Ideal para {x}.", "Se usa mucho para {x}.",
                   "Perfecta para hacer {x}."]


def decoy_phrase(rng, types, country, templates=None):
    words = []
    for t in types:
        n = rng.choice(nouns_for(TYPES[t]["nouns"], country))
        words.append("sábanas" if t == "sabana" else n[1])
    if not words:
        return ""
    if len(words) == 1:
        lst = words[0]
    else:
        lst = ", ".join(words[:-1]) + " y " + words[-1]
    return rng.choice(templates or DECOY_TEMPLATES).replace("{x}", lst)


def build(rng, tname, country, force):
    """Builds one product of type tname in country honouring force, or None."""
    spec = TYPES[tname]
    if tname == "tela":
        return build_tela(rng, country, force)
    vs = [v for v in spec["variants"] if variant_ok(tname, v, country, force)]
    if not vs:
        return None
    v = rng.choices(vs, weights=[x["w"] for x in vs])[0]
    mats = {m: w for m, w in v["mat"].items() if force.get("material") in (None, m)}
    if force.get("warm") and v.get("warm") is None:
        mats = {m: w for m, w in mats.items() if m in WARM_MATERIALS}
    material = weighted(rng, mats)
    if spec.get("nopattern"):
        pattern = None
    else:
        pattern = force.get("pattern") or weighted(rng, v["pat"])
    warm = v["warm"] if v.get("warm") is not None else (material in WARM_MATERIALS)
    pal = palette_of(v.get("palette", spec.get("palette", "ropa")))
    shade = pick_shade(rng, pal, force, pattern)
    if tname == "sedal" and force.get("shade") is None and force.get("family") is None and rng.random() < 0.7:
        shade = None  # transparent
    scheme = v.get("sizes", spec["sizes"])
    sizes = size_list(rng, scheme, country, force.get("size"))
    if sizes is None:
        return None
    disp_sizes, canon_sizes = sizes
    width = length = None
    if v.get("dims"):
        dims = v["dims"]
        if force.get("width_cm") is not None:
            dims = [d for d in dims if abs(d[0] - force["width_cm"]) <= 5]
        if force.get("length_cm") is not None:
            dims = [d for d in dims if abs(d[1] - force["length_cm"]) <= 5]
        width, length = rng.choice(dims)
    elif v.get("lengths"):
        lens = v["lengths"]
        if force.get("length_cm") is not None:
            lens = [l for l in lens if abs(l - force["length_cm"]) <= 5]
        length = rng.choice(lens)
    uses = list(v.get("uses", []))
    mentioned = []
    for u in v.get("opt", []):
        if u in force.get("uses", []) or (u not in uses and u not in mentioned and rng.random() < 0.3):
            if u not in mentioned:
                mentioned.append(u)
    for u in mentioned:
        if u not in uses:
            uses.append(u)
    noun = rng.choice(nouns_for(v.get("nouns", spec["nouns"]), country, spec["nouns"]))
    truth = {"type": tname, "shade": shade, "family": FAMILY[shade] if shade else None, "material": material,
             "pattern": pattern, "sizes": canon_sizes, "width_cm": width, "length_cm": length, "warm": warm,
             "uses": sorted(uses)}
    text = write_item(rng, tname, spec, v, country, noun, truth, disp_sizes, scheme, mentioned)
    return text, truth


def material_word(rng, material, country, shade=None):
    g, words, per = MATERIALS[material]
    words = per.get(country, words)
    if shade != "crudo":
        words = [w for w in words if "crud" not in w] or [material]
    return rng.choice(words)


def mod_group(m):
    """Modifiers of one group contradict each other (manga corta / manga larga, corto / largo)."""
    m = strip_accents(m.lower())
    if "manga" in m:
        return "manga"
    if "cuello" in m or "escote" in m or "capucha" in m:
        return "neck"
    if "hilos" in m or m == "percal":
        return "hilos"
    if m in ("chupin", "skinny", "mom", "recto", "wide leg", "oxford", "palazzo", "chino", "cargo"):
        return "corte"
    for k in ("cort", "larg", "midi", "mini"):
        if m.startswith(k):
            return "largo"
    return m


def write_item(rng, tname, spec, v, country, noun, truth, disp_sizes, scheme, mentioned):
    sing, plur, g, n = noun
    head = sing
    mat_w = material_word(rng, truth["material"], country, truth["shade"])
    shade = truth["shade"]
    sw, kind, _ = shade_word(rng, shade, country) if shade else ("Transparente", "e", None)
    # Colour phrase agreeing with the noun.
    if kind == "n" and rng.random() < 0.5 or rng.random() < 0.12:
        col = f"color {sw.lower() if sw != 'Off white' else 'off white'}"
    else:
        col = colour_adj(sw, kind, g, n)
    pat_w = ""
    if truth["pattern"] and truth["pattern"] != "liso":
        pat_w = agree(rng.choice(PATTERNS[truth["pattern"]]), g, n)
    elif truth["pattern"] == "liso" and rng.random() < 0.15:
        pat_w = agree("lis@", g, n)
    mods = [agree(m, g, n) for m in v.get("mods", [])]
    mods = [m for m in mods if m.lower() not in head.lower()]
    rng.shuffle(mods)
    chosen = []
    head_group = mod_group(head)
    mods = [m for m in mods if mod_group(m) != head_group]
    if v.get("must"):
        chosen.append(agree(rng.choice(v["must"]), g, n))
    for m in mods:
        if len(chosen) >= (2 if not v.get("must") else 1 + (rng.random() < 0.4)):
            break
        if mod_group(m) not in [mod_group(c) for c in chosen]:
            chosen.append(m)
    mods = chosen[:rng.choice([0, 1, 1, 2])] if not v.get("must") else chosen
    # Avoid naming the material twice ("ovillo de alpaca de baby alpaca").
    base_w = strip_accents(MATERIALS[truth["material"]][1][0].split()[-1].lower())
    named = strip_accents(" ".join([head] + mods).lower())
    mat_in_mods = base_w in named or strip_accents(mat_w.lower()) in named
    mat_phrase = ""
    if not mat_in_mods and rng.random() < 0.65:
        if mat_w[0].isdigit():
            mat_phrase = mat_w
        else:
            mat_phrase = rng.choice([f"de {mat_w}", f"de {mat_w}", mat_w, f"en {mat_w}"])
    brand = rng.choice(BRANDS) if rng.random() < 0.3 else ""
    size_bit = ""
    if scheme == "beds":
        size_bit = disp_sizes[0] if rng.random() < 0.85 else ""
    elif scheme == "oversize":
        if not any("oversize" in m for m in mods):
            size_bit = "oversize"
    elif disp_sizes and scheme in ("letters", "pants") and rng.random() < 0.12:
        talle = "talle" if country in VOS else "talla"
        size_bit = f"{talle} {disp_sizes[0]} al {disp_sizes[-1]}"
    dims_bit = ""
    if truth["width_cm"] and truth["length_cm"] and rng.random() < 0.6:
        dims_bit = dims_text(truth["width_cm"], truth["length_cm"], rng)
    elif truth["length_cm"] and not truth["width_cm"] and rng.random() < 0.8:
        dims_bit = f"{truth['length_cm']} cm"
    show_col = rng.random() < 0.8 and not (shade is None and any("transparent" in m for m in mods))
    colpart = col if show_col else ""
    t = rng.randrange(6)
    bits_main = [head] + mods + [pat_w, mat_phrase]
    if t == 0:
        parts = bits_main + [colpart, size_bit, dims_bit]
    elif t == 1:
        parts = [head, colpart] + mods + [pat_w, mat_phrase, size_bit, dims_bit]
    elif t == 2 and brand:
        parts = [head] + mods + [mat_phrase, pat_w, colpart, size_bit, dims_bit, "-", brand]
    elif t == 3:
        parts = [head, mat_phrase, pat_w, colpart, dims_bit, size_bit]
        if mods:
            parts += ["|", cap(mods[0])]
    elif t == 4 and brand:
        parts = [brand, "-"] + bits_main + [colpart, size_bit, dims_bit]
    else:
        parts = [head] + mods + [mat_phrase, pat_w, colpart, size_bit, dims_bit]
    name = " ".join(p for p in parts if p)
    name = name.replace(" - -", " -").strip(" -|")
    name = cap(name)
    r = rng.random()
    if r < 0.12:
        name = strip_accents(name)
    elif r < 0.16:
        name = name.upper()
    desc = write_desc(rng, tname, spec, v, country, noun, truth, disp_sizes, scheme, mentioned, mat_w, sw, pat_w)
    colors = [sw]
    mats = [cap(mat_w)]
    if truth["material"] in ("denim",) and rng.random() < 0.5:
        mats.append("Elastano")
    elif truth["material"] == "algodon" and tname in ("calza", "bombacha", "corpino") and rng.random() < 0.6:
        mats.append("Elastano")
    elif truth["material"] == "lycra" and rng.random() < 0.5:
        mats.append("Poliamida")
    lo, hi = v.get("price", spec["price"])
    return {"name": name, "description": desc, "category": spec["cat"], "materials": mats, "colors": colors,
            "sizes": disp_sizes, "price": nice_price(rng, lo, hi)}


TELA_USE_EXTRA = {"fiesta": ["para vestidos de fiesta y novias"], "bebe": ["ideal para ropa de bebé"],
                  "invierno": ["ideal para prendas de invierno"]}


def use_sentence(rng, u, g, n, country, tela=False):
    phrases = USE_PHRASES[u] + (TELA_USE_EXTRA.get(u, []) if tela else [])
    p = agree(rng.choice(phrases), g, n).replace("{pool}", POOL[country])
    p = p.replace("{decora}", "decorá" if country in VOS else "decora")
    return cap(p) + "."


def write_desc(rng, tname, spec, v, country, noun, truth, disp_sizes, scheme, mentioned, mat_w, sw, pat_w):
    sing, plur, g, n = noun
    out = []
    made = agree("confeccionad@", g, n)
    de = "" if mat_w[0].isdigit() else "de "
    openings = [f"Composición: {mat_w}.", f"{cap(mat_w)} de primera calidad."]
    base_w = strip_accents(MATERIALS[truth["material"]][1][0].split()[-1].lower())
    if base_w not in strip_accents(sing.lower()):
        openings += [f"{cap(sing)} de {mat_w} de excelente calidad.", f"{agree('Hermos@', g, n)} {sing} {de}{mat_w}."]
        if spec["cat"] != "Mercería":
            openings.append(f"{cap(sing)} {made} en {mat_w}.")
    out.append(rng.choice(openings))
    if truth["pattern"] and truth["pattern"] != "liso":
        raw = rng.choice(PATTERNS[truth["pattern"]])
        if rng.random() < 0.7:
            out.append(rng.choice([f"Diseño {agree(raw, 'm', 's')}.", f"Modelo {agree(raw, 'm', 's')}."]))
    elif truth["pattern"] == "liso" and rng.random() < 0.1:
        out.append("Modelo liso.")
    feats = list(spec.get("feats", []))
    rng.shuffle(feats)
    out += feats[:rng.choice([1, 1, 2])]
    if truth["width_cm"] and truth["length_cm"]:
        out.append(rng.choice([f"Medidas: {dims_text(truth['width_cm'], truth['length_cm'], rng)}.",
                               f"Mide {dims_text(truth['width_cm'], truth['length_cm'], rng)}.",
                               f"{cap(width_text(truth['width_cm'], rng))}, {length_text(truth['length_cm'], rng)}."]))
    elif truth["length_cm"]:
        out.append(f"Largo: {truth['length_cm']} cm.")
    for u in mentioned:
        out.append(use_sentence(rng, u, g, n, country))
    for u in v.get("uses", []):
        if u in ("bebe", "playa", "deporte", "cocina", "bano", "bordar", "denim", "tejer") and rng.random() < 0.6:
            out.append(use_sentence(rng, u, g, n, country))
    if tname == "hilo" and "denim" in truth["uses"]:
        out.append(rng.choice(["Ideal para dobladillos de pantalones.", "Para costuras de jeans y camperas de jean.",
                               "El hilo que usan los talleres de jeans."]))
    if tname == "cierre":
        dec_types = rng.choice([["campera"], ["jean", "pantalon"], ["vestido", "pollera"], ["buzo", "campera"]])
        out.append(decoy_phrase(rng, dec_types, country, ["Ideal para {x}.", "Para {x}.", "Muy usado en {x}."]))
    if tname == "ovillo":
        out.append(decoy_phrase(rng, rng.sample(["bufanda", "gorro", "sweater", "manta"], 3), country,
                                ["Ideal para tejer {x}.", "Para tejer {x}.", "Rinde muchísimo para {x}."]))
    if rng.random() < 0.75:
        out.append(rng.choice([f"Color: {sw}.", f"Color {sw.lower()}.", f"Disponible en color {sw.lower()}."]))
    sp = size_phrase(rng, scheme, disp_sizes, country)
    if sp and rng.random() < 0.6:
        out.append(sp)
    out.append(rng.choice(CLOSINGS[country]).replace("{city}", rng.choice(CITIES[country])))
    desc = " ".join(out)
    if rng.random() < 0.08:
        desc = strip_accents(desc)
    return desc


def build_tela(rng, country, force):
    mats = tela_ok(country, force)
    if not mats:
        return None
    material = force.get("material") or weighted(rng, {m: TELAS[m]["w"] for m in mats})
    t = TELAS[material]
    pattern = force.get("pattern") or weighted(rng, TELA_PATTERNS.get(material, {"liso": 1}))
    pal = palette_of(t["palette"])
    shade = pick_shade(rng, pal, force, pattern)
    widths = t["widths"]
    if force.get("width_cm") is not None:
        widths = [w for w in widths if abs(w - force["width_cm"]) <= 5]
    width = rng.choice(widths)
    mentioned = []
    for u in t["opt"]:
        if u in force.get("uses", []) or rng.random() < 0.45:
            if u not in mentioned:
                mentioned.append(u)
    warm = material in WARM_MATERIALS
    truth = {"type": "tela", "shade": shade, "family": FAMILY[shade], "material": material, "pattern": pattern,
             "sizes": [], "width_cm": width, "length_cm": None, "warm": warm, "uses": sorted(mentioned)}
    mg = MATERIALS[material][0]
    mat_w = material_word(rng, material, country, shade)
    sw, kind, _ = shade_word(rng, shade, country)
    extra = rng.choice(t["extra"]) if rng.random() < 0.4 else ""
    if extra and (strip_accents(extra) in strip_accents(mat_w) or (kind == "n" and extra in ("crudo", "natural"))):
        extra = ""
    if shade != "crudo" and extra in ("crudo", "cruda", "natural"):
        extra = ""
    pat_w = ""
    if pattern != "liso":
        pat_w = agree(rng.choice(PATTERNS[pattern]), "f", "s")
    wt = width_text(width, rng)
    per = rng.choice(["por metro", "x metro", "x mt", "por metro lineal"] if country in ("AR", "UY", "PY")
                     else ["por metro", "x metro", "por metro lineal"])
    tpl = rng.randrange(6)
    if tpl == 0:
        col = colour_adj(sw, kind, "f", "s") if kind != "n" or rng.random() < 0.5 else f"color {sw.lower()}"
        name = f"Tela {mat_w} {extra} {pat_w} {col} {per}"
    elif tpl == 1:
        col = colour_adj(sw, kind, mg, "s")
        pw = agree(rng.choice(PATTERNS[pattern]), mg, "s") if pattern != "liso" else ""
        name = f"{cap(mat_w)} {extra} {pw} {col} - {wt}"
    elif tpl == 2:
        col = colour_adj(sw, kind, "f", "s")
        name = f"Tela {mat_w} {pat_w} {wt} {col}"
    elif tpl == 3:
        col = colour_adj(sw, kind, mg, "s")
        pw = agree(rng.choice(PATTERNS[pattern]), mg, "s") if pattern != "liso" else ""
        name = f"{cap(mat_w)} {pw} {col} {per}"
    elif tpl == 4:
        name = f"{cap(mat_w)} {extra} {per} | {cap(wt)} | {sw}"
    else:
        col = colour_adj(sw, kind, "f", "s")
        name = f"Tela de {mat_w} {extra} {col} {pat_w}".strip() + f" {per}"
    name = " ".join(name.split())
    r = rng.random()
    if r < 0.12:
        name = strip_accents(name)
    elif r < 0.16:
        name = name.upper()
    out = []
    out.append(rng.choice([f"Tela {mat_w} de excelente calidad.", f"{cap(mat_w)} importado.",
                           f"{cap(mat_w)} de primera calidad.", f"Composición: {mat_w}.",
                           "Se vende por metro lineal.", "Precio por metro."]))
    out.append(rng.choice([f"{cap(wt)}.", f"Medida: {wt}.", f"Viene en {wt}.", f"{cap(wt)}."]))
    if pattern != "liso" and rng.random() < 0.6:
        out.append(f"Diseño {agree(rng.choice(PATTERNS[pattern]), 'm', 's')}.")
    for u in mentioned:
        out.append(use_sentence(rng, u, "f", "s", country, tela=True))
    if t["decoys"] and rng.random() < 0.75:
        k = rng.randint(1, min(3, len(t["decoys"])))
        out.append(decoy_phrase(rng, rng.sample(t["decoys"], k), country))
    if warm and "invierno" not in mentioned and rng.random() < 0.4:
        out.append(rng.choice(["Muy abrigada.", "Abrigada y suave."]))
    if rng.random() < 0.7:
        out.append(rng.choice([f"Color: {sw}.", f"Color {sw.lower()}.", f"Tono {sw.lower()}."]))
    out.append(rng.choice(["Venta mínima 1 metro.", "Se corta por metro; pedidos de más de 10 m consultar precio.",
                           "Consultá por rollo completo." if country in VOS else "Consulta por rollo completo.",
                           "Cortes continuos."]))
    out.append(rng.choice(CLOSINGS[country]).replace("{city}", rng.choice(CITIES[country])))
    desc = " ".join(out)
    if rng.random() < 0.08:
        desc = strip_accents(desc)
    mats = [cap(mat_w)]
    if material in ("gabardina", "denim", "jersey") and rng.random() < 0.4:
        mats.append("Elastano")
    text = {"name": name, "description": desc, "category": "Telas", "materials": mats, "colors": [sw],
            "sizes": [], "price": nice_price(rng, *TYPES["tela"]["price"])}
    return text, truth


# ---------------------------------------------------------------------------
# Queries, written by hand. Q(form, text, types, **want).
# ---------------------------------------------------------------------------
QUERIES = []


def Q(form, q, types, shade=None, family=None, material=None, pattern=None, size=None, width=None, length=None,
      warm=None, uses=()):
    if shade is not None and family is None:
        family = FAMILY[shade]
    QUERIES.append({"form": form, "q": q, "want": {
        "types": list(types), "shade": shade, "family": family, "material": material, "pattern": pattern,
        "size": size, "width_cm": width, "length_cm": length, "warm": warm, "uses": list(uses)}})


PANTS = ["pantalon", "jean", "jogger"]

# attributes: several attributes in one query.
A = "attributes"
Q(A, "remera roja algodon talle M", ["remera"], shade="rojo", material="algodon", size="M")
Q(A, "pollera plisada negra", ["pollera"], shade="negro", pattern="plisado")
Q(A, "camisa de lino blanca", ["camisa"], shade="blanco", material="lino")
Q(A, "jean negro talle 42", ["jean"], shade="negro", size="42")
Q(A, "vestido floreado de viscosa", ["vestido"], pattern="flores", material="viscosa")
Q(A, "medias de lana negras", ["medias"], shade="negro", material="lana")
Q(A, "campera de jean celeste", ["campera"], shade="celeste", material="denim")
Q(A, "pijama polar talle L", ["pijama"], material="polar", size="L")
Q(A, "mantel a cuadros rojo", ["mantel"], shade="rojo", pattern="cuadros")
Q(A, "gorro de lana con rayas", ["gorro"], material="lana", pattern="rayas")
Q(A, "tela polar estampada", ["tela"], material="polar", pattern="estampado")
Q(A, "chomba azul marino XL", ["chomba"], shade="azul_marino", size="XL")
Q(A, "almohadón de terciopelo verde", ["almohadon"], family="verde", material="terciopelo")
Q(A, "frazada de lana 2 plazas", ["frazada"], material="lana", size="2p")
Q(A, "calza negra deportiva talle S", ["calza"], shade="negro", size="S", uses=["deporte"])
Q(A, "bufanda alpaca gris", ["bufanda"], family="gris", material="alpaca")
Q(A, "short de jean blanco", ["short"], shade="blanco", material="denim")
Q(A, "camisa leñadora a cuadros", ["camisa"], material="franela", pattern="cuadros")
Q(A, "vestido negro de seda", ["vestido"], shade="negro", material="seda")
Q(A, "bikini floreada talle S", ["malla"], pattern="flores", size="S")
Q(A, "buzo canguro gris talle L", ["buzo"], family="gris", size="L")
Q(A, "sábanas de algodón blancas 2 plazas", ["sabana"], shade="blanco", material="algodon", size="2p")
Q(A, "pantalón de gabardina beige 44", ["pantalon"], shade="beige", material="gabardina", size="44")
Q(A, "cortina de voile blanca", ["cortina"], shade="blanco", material="voile")
Q(A, "toalla de algodon turquesa", ["toalla"], shade="turquesa", material="algodon")
Q(A, "pantuflas de corderito 37/38", ["pantuflas"], material="corderito", size="37-38")
Q(A, "sweater de lana trenzado crudo", ["sweater"], shade="crudo", material="lana", pattern="trenzas")
Q(A, "pollera de jean azul talle M", ["pollera"], family="azul", material="denim", size="M")
Q(A, "remera rayada de algodón", ["remera"], pattern="rayas", material="algodon")
Q(A, "camisón de algodón floreado", ["camison"], material="algodon", pattern="flores")
Q(A, "enterito de algodón 3 a 6 meses", ["enterito"], material="algodon", size="3-6m")
Q(A, "corpiño negro talle 90", ["corpino"], shade="negro", size="90")
Q(A, "acolchado queen gris estampado", ["acolchado"], family="gris", size="queen", pattern="estampado")
Q(A, "tela jersey negra", ["tela"], shade="negro", material="jersey")
Q(A, "chaqueta de corderito beige", ["campera"], shade="beige", material="corderito")

# regional: other countries' words for the same thing.
R = "regional"
Q(R, "playera", ["remera"])
Q(R, "sudadera con capucha", ["buzo"])
Q(R, "chamarra", ["campera"])
Q(R, "falda", ["pollera"])
Q(R, "polerón", ["buzo"])
Q(R, "chompa de alpaca", ["sweater"], material="alpaca")
Q(R, "calcetines", ["medias"])
Q(R, "bragas", ["bombacha"])
Q(R, "cazadora", ["campera"])
Q(R, "camiseta blanca", ["remera"], shade="blanco")
Q(R, "polo manga corta", ["remera", "chomba"])
Q(R, "casaca negra", ["campera"], shade="negro")
Q(R, "sujetador", ["corpino"])
Q(R, "bañador", ["malla"])
Q(R, "pantalón de mezclilla", ["jean"])
Q(R, "vaqueros", ["jean"])
Q(R, "edredón", ["acolchado"])
Q(R, "cojines", ["almohadon"])
Q(R, "cobija", ["frazada", "manta"])
Q(R, "mameluco bebé", ["enterito"])
Q(R, "mandil de cocina", ["delantal"])
Q(R, "zapatillas de casa", ["pantuflas"])
Q(R, "chalina", ["bufanda"])
Q(R, "chullo", ["gorro"])
Q(R, "jockey", ["gorra"])
Q(R, "cremallera", ["cierre"])
Q(R, "estambre", ["ovillo"])
Q(R, "pants deportivos", ["jogger"])
Q(R, "chándal", ["jogger", "buzo"])
Q(R, "trapo de cocina", ["repasador"])
Q(R, "bividí", ["musculosa"])
Q(R, "calzones", ["bombacha"])
Q(R, "pulóver", ["sweater"])
Q(R, "abrigo de paño", ["tapado"], material="pano")
Q(R, "suéter", ["sweater"])
Q(R, "polera con capucha", ["buzo"])
Q(R, "brasier", ["corpino"])
Q(R, "tejanos", ["jean"])
Q(R, "plumón 2 plazas", ["acolchado"], size="2p")
Q(R, "remera", ["remera"])
Q(R, "pollera", ["pollera"])
Q(R, "campera", ["campera"])
Q(R, "parka", ["campera"])
Q(R, "jersey de lana", ["sweater"], material="lana")
Q(R, "toalla de baño", ["toalla"], uses=["bano"])

# colours: shades and names, with gender and number.
C = "colours"
Q(C, "camisa bordó", ["camisa"], shade="bordo")
Q(C, "sábanas color hueso", ["sabana"], shade="crudo")
Q(C, "vestido vino", ["vestido"], shade="bordo")
Q(C, "remeras rosa pastel", ["remera"], shade="rosa_pastel")
Q(C, "tela granate", ["tela"], shade="bordo")
Q(C, "mantel crudo", ["mantel"], shade="crudo")
Q(C, "campera verde militar", ["campera"], shade="verde_oliva")
Q(C, "toallas turquesa", ["toalla"], shade="turquesa")
Q(C, "pollera mostaza", ["pollera"], shade="mostaza")
Q(C, "almohadones terracota", ["almohadon"], shade="terracota")
Q(C, "medias fucsia", ["medias"], shade="fucsia")
Q(C, "bufanda morada", ["bufanda"], shade="violeta")
Q(C, "gorro lila", ["gorro"], shade="lila")
Q(C, "vestido azul francia", ["vestido"], shade="azul")
Q(C, "camisas celestes", ["camisa"], shade="celeste")
Q(C, "pantalón azul marino", PANTS, shade="azul_marino")
Q(C, "tapado camel", ["tapado"], shade="camel")
Q(C, "remera negra", ["remera"], shade="negro")
Q(C, "tela off white", ["tela"], shade="crudo")
Q(C, "lana color natural", ["ovillo"], shade="crudo")
Q(C, "chomba navy", ["chomba"], shade="azul_marino")
Q(C, "short color arena", ["short"], shade="beige")
Q(C, "vestido rosa palo", ["vestido"], shade="rosa_viejo")
Q(C, "polera verde agua", ["remera", "buzo"], shade="verde_agua")
Q(C, "cortinas marfil", ["cortina"], shade="crudo")
Q(C, "frazada gris oscuro", ["frazada"], shade="gris_oscuro")
Q(C, "jean gris", ["jean"], family="gris")
Q(C, "acolchado blanco", ["acolchado"], shade="blanco")
Q(C, "buzo plomo", ["buzo", "jogger"], shade="gris")
Q(C, "pantalones café", PANTS, shade="marron")
Q(C, "hilo rojo", ["hilo"], shade="rojo")
Q(C, "sweater beige", ["sweater"], shade="beige")
Q(C, "musculosas blancas", ["musculosa"], shade="blanco")
Q(C, "vestido amarillo", ["vestido"], shade="amarillo")
Q(C, "casaca guinda", ["campera"], shade="bordo")
Q(C, "sábanas calipso", ["sabana"], shade="turquesa")
Q(C, "tela lavanda", ["tela"], shade="lila")
Q(C, "pijama celeste", ["pijama"], shade="celeste")
Q(C, "cortinas grises", ["cortina"], family="gris")
Q(C, "toallones blancos", ["toalla"], shade="blanco")

# typos: two typos in a long word, or one in a short word next to a correct word.
TY = "typos"
Q(TY, "pantalnoes negros", PANTS, shade="negro")
Q(TY, "tela lnio", ["tela"], material="lino")
Q(TY, "buzo girs", ["buzo", "jogger"], family="gris")
Q(TY, "camisteas blancas", ["remera"], shade="blanco")
Q(TY, "sabnaas algodon", ["sabana"], material="algodon")
Q(TY, "almohdaones terciopelo", ["almohadon"], material="terciopelo")
Q(TY, "acolhcado 2 plazas", ["acolchado"], size="2p")
Q(TY, "pantulfas polar", ["pantuflas"], material="polar")
Q(TY, "bombahcas algodon", ["bombacha"], material="algodon")
Q(TY, "calcetiens de lana", ["medias"], material="lana")
Q(TY, "gavardin beige", [], shade="beige", material="gabardina")
Q(TY, "terciopleo verde", [], family="verde", material="terciopelo")
Q(TY, "friselnia blanca", ["tela"], shade="blanco", material="friselina")
Q(TY, "toalla microfirba", ["toalla"], material="microfibra")
Q(TY, "chaqeutas negras", ["campera"], shade="negro")
Q(TY, "mesclila azul", [], family="azul", material="denim")
Q(TY, "polerones grsi", ["buzo"], family="gris")
Q(TY, "repasdaores algodon", ["repasador"], material="algodon")
Q(TY, "toayones blancos", ["toalla"], shade="blanco")
Q(TY, "camsiones de algodon", ["camison"], material="algodon")
Q(TY, "cortina de tlu", ["cortina"], material="tul")
Q(TY, "jaen celeste", ["jean"], shade="celeste")
Q(TY, "remera rjoa", ["remera"], shade="rojo")
Q(TY, "vestido aazul", ["vestido"], shade="azul")
Q(TY, "tela pnaa", ["tela"], material="pana")
Q(TY, "pollera lial", ["pollera"], shade="lila")
Q(TY, "camisa de sdea", ["camisa"], material="seda")
Q(TY, "hlio negro", ["hilo"], shade="negro")
Q(TY, "lnaa para tejer", ["ovillo"], material="lana")
Q(TY, "gorro de lnaa", ["gorro"], material="lana")
Q(TY, "vestidos floriaos", ["vestido"], pattern="flores")
Q(TY, "remeras amariyas", ["remera"], shade="amarillo")
Q(TY, "sudaedras negras", ["buzo"], shade="negro")
Q(TY, "almohadon teracotta", ["almohadon"], shade="terracota")
Q(TY, "campera corderiot", ["campera"], material="corderito")
Q(TY, "enterito bbee", ["enterito"], uses=["bebe"])

# intent: natural language.
I = "intent"
Q(I, "algo abrigado para dormir en invierno", ["pijama", "camison", "frazada", "acolchado", "sabana", "manta",
                                                "pantuflas"], warm=True, uses=["dormir"])
Q(I, "tela para hacer cortinas", ["tela"], uses=["cortinas"])
Q(I, "regalo para un bebé", ["enterito", "manta", "frazada", "toalla", "almohadon", "acolchado", "sabana", "medias",
                             "gorro"], uses=["bebe"])
Q(I, "quiero una remera para el verano", ["remera"], uses=["verano"])
Q(I, "algo fresco para usar en verano", [], uses=["verano"])
Q(I, "ropa para ir al gimnasio", ["calza", "jogger", "short", "musculosa", "remera", "buzo", "corpino"], uses=["deporte"])
Q(I, "tela para tapizar un sillón", ["tela"], uses=["tapiceria"])
Q(I, "hilo para coser jeans", ["hilo"], uses=["denim"])
Q(I, "algo para secar los platos", ["repasador"])
Q(I, "cosas para llevar a la playa", [], uses=["playa"])
Q(I, "algo calentito para los pies", ["medias", "pantuflas"], warm=True)
Q(I, "tela para hacer un vestido de fiesta", ["tela"], uses=["fiesta"])
Q(I, "vestido para ir a un casamiento", ["vestido"], uses=["fiesta"])
Q(I, "algo que no deje pasar la luz en el dormitorio", ["cortina", "tela"], material="blackout")
Q(I, "ropa de abrigo para viajar al sur", ["campera", "tapado", "sweater", "buzo", "gorro", "bufanda"], warm=True)
Q(I, "algo para envolver al recién nacido", ["manta", "frazada", "toalla"], uses=["bebe"])
Q(I, "algo para no mancharme cuando cocino", ["delantal"])
Q(I, "lana para tejerle un gorro a mi hijo", ["ovillo"], material="lana")
Q(I, "algo lindo para vestir la mesa en las fiestas", ["mantel"], uses=["fiesta"])
Q(I, "ropa para dormir cuando hace calor", ["pijama", "camison"], uses=["dormir", "verano"])
Q(I, "algo abrigado para el bebé", ["enterito", "manta", "frazada", "gorro", "medias", "acolchado"], warm=True,
  uses=["bebe"])
Q(I, "tela suave para hacer ropa de bebé", ["tela"], uses=["bebe"])
Q(I, "hilo para bordar a mano", ["hilo"], uses=["bordar"])
Q(I, "algo para decorar el sillón del living", ["almohadon", "manta"], uses=["decoracion"])
Q(I, "ropa para salir a correr", ["calza", "short", "jogger", "musculosa", "remera", "campera"], uses=["deporte"])
Q(I, "algo lindo para regalar", [], uses=["regalo"])
Q(I, "cortinas que oscurezcan el cuarto", ["cortina"], material="blackout")
Q(I, "algo liviano para la cama en verano", ["acolchado", "manta", "sabana"], uses=["verano"])
Q(I, "tela barata para manualidades", ["tela"], uses=["manualidades"])
Q(I, "algo para secarme después de la ducha", ["toalla"], uses=["bano"])
Q(I, "pantalón que abrigue para el frío", ["pantalon", "jean", "jogger", "calza"], warm=True)
Q(I, "uniforme para trabajar en un restaurante", ["delantal", "chomba", "camisa"], uses=["trabajo"])
Q(I, "lana para tejer algo abrigado", ["ovillo"], warm=True)
Q(I, "necesito un abrigo largo para ir a la oficina", ["tapado"])

# measures: loanwords and measures.
M = "measures"
Q(M, "hoodie negro", ["buzo"], shade="negro")
Q(M, "joggers grises", ["jogger"], family="gris")
Q(M, "cortina blackout", ["cortina"], material="blackout")
Q(M, "tela ancho 280", ["tela"], width=280)
Q(M, "friselina 1,5 m", ["tela"], material="friselina", width=150)
Q(M, "lienzo 2,80 m", ["tela"], material="lienzo", width=280)
Q(M, "sábanas 2 plazas", ["sabana"], size="2p")
Q(M, "oversize", [], size="oversize")
Q(M, "sweater oversize", ["sweater"], size="oversize")
Q(M, "cortina 2,20 de largo", ["cortina"], length=220)
Q(M, "mantel 1,50 x 2,50", ["mantel"], width=150, length=250)
Q(M, "toallón 70x140", ["toalla"], width=70, length=140)
Q(M, "blackout 2,80", ["tela", "cortina"], material="blackout", width=280)
Q(M, "tul 3 metros de ancho", ["tela"], material="tul", width=300)
Q(M, "jersey 1,80 de ancho", ["tela"], material="jersey", width=180)
Q(M, "sábanas king size", ["sabana"], size="king")
Q(M, "acolchado queen", ["acolchado"], size="queen")
Q(M, "leggings negras", ["calza"], shade="negro")
Q(M, "tank top blanco", ["musculosa"], shade="blanco")
Q(M, "jogger frisado talle M", ["jogger"], material="frisa", size="M")
Q(M, "pantuflas 39", ["pantuflas"], size="39-40")
Q(M, "remera XXL", ["remera"], size="XXL")
Q(M, "voile 3 m", ["tela", "cortina"], material="voile", width=300)
Q(M, "gabardina 1,50", ["tela"], material="gabardina", width=150)
Q(M, "frazada 1 1/2 plaza", ["frazada"], size="1.5p")
Q(M, "cortinas 140 x 220", ["cortina"], width=140, length=220)
Q(M, "almohadón 50x50", ["almohadon"], width=50, length=50)
Q(M, "cierre 20 cm", ["cierre"], length=20)
Q(M, "cierre desmontable 60 cm", ["cierre"], length=60)
Q(M, "sweater negro", ["sweater"], shade="negro")
Q(M, "bikini", ["malla"])
Q(M, "jeans talle 38", ["jean"], size="38")
Q(M, "body bebé 0-3 meses", ["enterito"], size="0-3m")
Q(M, "sábanas 1 plaza", ["sabana"], size="1p")
Q(M, "toalla de playa 90x170", ["toalla"], width=90, length=170, uses=["playa"])
Q(M, "buzo oversize", ["buzo"], size="oversize")
Q(M, "tela 1,50 de ancho algodon", ["tela"], material="algodon", width=150)

# lookalikes: the look-alike must rank low.
L = "lookalikes"
Q(L, "manta", ["manta", "frazada"])
Q(L, "mantel", ["mantel"])
Q(L, "lino", [], material="lino")
Q(L, "linon", [], material="linon")
Q(L, "seda", [], material="seda")
Q(L, "sedal", ["sedal"])
Q(L, "polar", [], material="polar")
Q(L, "pana", [], material="pana")
Q(L, "tapado de paño", ["tapado"], material="pano")
Q(L, "toallón", ["toalla"])
Q(L, "frisa", [], material="frisa")
Q(L, "friselina", [], material="friselina")
Q(L, "polera", ["remera", "buzo"])
Q(L, "gorra", ["gorra"])
Q(L, "gorro", ["gorro"])
Q(L, "camisón", ["camison"])
Q(L, "camisa", ["camisa"])
Q(L, "tela jersey", ["tela"], material="jersey")
Q(L, "lienzo", [], material="lienzo")
Q(L, "manta polar", ["manta", "frazada"], material="polar")
Q(L, "mantel de lino", ["mantel"], material="lino")
Q(L, "camisa de seda", ["camisa"], material="seda")
Q(L, "tela polar", ["tela"], material="polar")
Q(L, "pantalón de pana", ["pantalon"], material="pana")
Q(L, "cortina de linón", ["cortina"], material="linon")
Q(L, "hilo de seda", ["hilo"], material="seda")
Q(L, "calza", ["calza"])
Q(L, "calzón", ["bombacha"])
Q(L, "paño de cocina", ["repasador"])
Q(L, "jean", ["jean"])
Q(L, "cortinas", ["cortina"])
Q(L, "sábanas", ["sabana"])
Q(L, "pijama", ["pijama"])
Q(L, "vestido", ["vestido"])
Q(L, "tela pana", ["tela"], material="pana")
Q(L, "malla", ["malla"])
Q(L, "tela de paño", ["tela"], material="pano")

FORMS = ["attributes", "regional", "colours", "typos", "intent", "measures", "lookalikes"]


# ---------------------------------------------------------------------------
# Grading.
# ---------------------------------------------------------------------------


def grade(want, truth):
    types = want["types"]
    if types and truth["type"] not in types:
        return 0
    sat = 0.0
    miss = 0.0

    def check(ok):
        nonlocal sat, miss
        if ok:
            sat += 1
        else:
            miss += 1

    if want["shade"] is not None:
        if truth["shade"] == want["shade"]:
            sat += 1
        elif truth["family"] is not None and truth["family"] == FAMILY[want["shade"]]:
            sat += 0.5
            miss += 0.5
        else:
            miss += 1
    elif want["family"] is not None:
        check(truth["family"] == want["family"])
    if want["material"] is not None:
        check(truth["material"] == want["material"])
    if want["pattern"] is not None:
        check(truth["pattern"] == want["pattern"])
    if want["size"] is not None:
        check(want["size"] in truth["sizes"])
    if want["width_cm"] is not None:
        check(truth["width_cm"] is not None and abs(truth["width_cm"] - want["width_cm"]) <= 5)
    if want["length_cm"] is not None:
        check(truth["length_cm"] is not None and abs(truth["length_cm"] - want["length_cm"]) <= 5)
    if want["warm"]:
        check(truth["warm"])
    for u in want["uses"]:
        check(u in truth["uses"])
    if types:
        if miss == 0:
            return 3
        return 2 if miss <= 1 else 1
    if sat + miss == 0:
        raise ValueError("a query without types needs a constraint")
    if miss == 0:
        return 3
    if sat == 0:
        return 0
    return 2 if miss <= 1 else 1


def force_of(want):
    return {"shade": want["shade"], "family": want["family"] if want["shade"] is None else None,
            "material": want["material"], "pattern": want["pattern"], "size": want["size"],
            "width_cm": want["width_cm"], "length_cm": want["length_cm"], "warm": want["warm"],
            "uses": want["uses"]}


# ---------------------------------------------------------------------------
# Main.
# ---------------------------------------------------------------------------

MIN_EXACT = 3  # the coverage pass makes sure each query has this many grade-3 products
MIN_GOOD = 5  # ... and this many graded 2 or 3


def validate_queries():
    families = set(FAMILY.values())
    known_uses = set(USE_PHRASES)
    seen = set()
    for q in QUERIES:
        w = q["want"]
        assert q["form"] in FORMS, q
        assert q["q"] not in seen, f"duplicate query {q['q']!r}"
        seen.add(q["q"])
        assert all(t in TYPES for t in w["types"]), q
        assert w["shade"] is None or w["shade"] in SHADES, q
        assert w["family"] is None or w["family"] in families, q
        assert w["material"] is None or w["material"] in MATERIALS, q
        assert w["pattern"] is None or w["pattern"] in PATTERNS, q
        assert all(u in known_uses for u in w["uses"]), q
        assert w["warm"] in (None, True), q


def make():
    validate_queries()
    rng = random.Random(SEED)
    items = []
    for tname in TYPES:
        n = COUNTS[tname]
        countries = []
        while len(countries) < n:
            c = COUNTRIES[:]
            rng.shuffle(c)
            countries += c
        for country in countries[:n]:
            for _ in range(50):
                built = build(rng, tname, country, {})
                if built:
                    break
            else:
                raise SystemExit(f"cannot build {tname}")
            items.append((country, built))
    base = len(items)
    # Coverage pass: queries with fewer than MIN_EXACT exact (grade 3) products
    # get products built to match them, in a random store country.
    planted = 0
    for i, q in enumerate(QUERIES):
        want = q["want"]
        have = sum(1 for _, (_, truth) in items if grade(want, truth) == 3)
        good = sum(1 for _, (_, truth) in items if grade(want, truth) >= 2)
        tries = 0
        while have < MIN_EXACT or good < MIN_GOOD:
            tries += 1
            if tries > 400:
                raise SystemExit(f"cannot plant a product for query {q['q']!r}")
            types = want["types"] or list(TYPES)
            tname = rng.choice(types)
            country = rng.choice(COUNTRIES)
            built = build(rng, tname, country, force_of(want))
            if not built:
                continue
            assert grade(want, built[1]) == 3, (q, built)
            items.append((country, built))
            have += 1
            good += 1
            planted += 1
    rng.shuffle(items)
    catalogue = []
    for k, (country, (text, truth)) in enumerate(items, 1):
        p = {"ref": f"p{k:04d}", "country": country}
        p.update(text)
        p["truth"] = truth
        catalogue.append(p)
    queries = []
    for k, q in enumerate(QUERIES, 1):
        queries.append({"id": f"q{k:03d}", "form": q["form"], "q": q["q"], "want": q["want"]})
    qrels = {}
    for q in queries:
        g = {}
        for p in catalogue:
            x = grade(q["want"], p["truth"])
            if x > 0:
                g[p["ref"]] = x
        if not any(x >= 2 for x in g.values()):
            raise SystemExit(f"query {q['id']} {q['q']!r} has no product graded 2 or 3")
        qrels[q["id"]] = g
    return catalogue, queries, qrels, base, planted


def dump(obj):
    return json.dumps(obj, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def summary(catalogue, queries, qrels, base, planted):
    out = []
    out.append(f"products: {len(catalogue)} ({base} drawn, {planted} added by the coverage pass)")
    per_type = {}
    per_tc = {}
    for p in catalogue:
        t = p["truth"]["type"]
        per_type[t] = per_type.get(t, 0) + 1
        per_tc.setdefault(t, {}).setdefault(p["country"], 0)
        per_tc[t][p["country"]] += 1
    out.append(f"types: {len(per_type)}")
    for t in sorted(per_type):
        cs = " ".join(f"{c}:{per_tc[t].get(c, 0)}" for c in COUNTRIES)
        out.append(f"  {t:<10} {per_type[t]:>4}   {cs}")
    per_country = {}
    for p in catalogue:
        per_country[p["country"]] = per_country.get(p["country"], 0) + 1
    out.append("countries: " + " ".join(f"{c}:{per_country.get(c, 0)}" for c in COUNTRIES))
    out.append(f"queries: {len(queries)}")
    for f in FORMS:
        out.append(f"  {f:<11} {sum(1 for q in queries if q['form'] == f)}")
    judged = [len(qrels[q["id"]]) for q in queries]
    ge2 = [sum(1 for x in qrels[q["id"]].values() if x >= 2) for q in queries]
    ex3 = [sum(1 for x in qrels[q["id"]].values() if x == 3) for q in queries]
    out.append(f"judged products per query: min {min(judged)} median {statistics.median(judged)} max {max(judged)}")
    out.append(f"graded >=2 per query: min {min(ge2)} median {statistics.median(ge2)} max {max(ge2)}; "
               f"queries with fewer than 5: {sum(1 for x in ge2 if x < 5)}")
    out.append(f"graded 3 per query: min {min(ex3)} median {statistics.median(ex3)} max {max(ex3)}")
    for f in FORMS:
        qs = [q for q in queries if q["form"] == f]
        j = [len(qrels[q["id"]]) for q in qs]
        e = [sum(1 for x in qrels[q["id"]].values() if x >= 2) for q in qs]
        t = [sum(1 for x in qrels[q["id"]].values() if x == 3) for q in qs]
        out.append(f"  {f:<11} judged median {statistics.median(j):>6}  >=2 min {min(e):>3} median {statistics.median(e):>6}"
                   f"  3 min {min(t):>3} median {statistics.median(t):>5}")
    return "\n".join(out)


def main():
    check = "--check" in sys.argv[1:]
    catalogue, queries, qrels, base, planted = make()
    if not 700 <= len(catalogue) <= 900:
        raise SystemExit(f"catalogue has {len(catalogue)} products, outside 700..900")
    for f in FORMS:
        n = sum(1 for q in queries if q["form"] == f)
        if n < 30:
            raise SystemExit(f"form {f} has only {n} queries")
    files = {"catalogue.json": dump(catalogue), "queries.json": dump(queries), "qrels.json": dump(qrels)}
    bad = []
    for name, text in files.items():
        path = os.path.join(HERE, name)
        if check:
            try:
                with open(path, encoding="utf-8") as fh:
                    if fh.read() != text:
                        bad.append(name)
            except FileNotFoundError:
                bad.append(name)
        else:
            with open(path, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
    print(summary(catalogue, queries, qrels, base, planted))
    if bad:
        print("differs from the generator: " + ", ".join(bad))
        sys.exit(1)


if __name__ == "__main__":
    main()
