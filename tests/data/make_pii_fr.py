"""Generate tests/data/pii_fr.jsonl: French administrative texts with labelled personal data.

    python tests/data/make_pii_fr.py tests/data/pii_fr.jsonl

Identifiers are random but valid (check digits computed with python-stdnum); prose is written by
hand in several variants per document kind. Offsets are computed while composing.
"""
import json
import random
import sys

from stdnum import iban as _iban, luhn
from stdnum.fr import nir as _nir

R = random.Random(20240611)

FIRST_M = ["Jean", "Pierre", "Michel", "Philippe", "Alain", "Nicolas", "Christophe", "Laurent",
           "Thierry", "Julien", "Mathieu", "Karim", "Mohamed", "Yannick", "Sébastien", "Olivier",
           "Jean-Pierre", "Jean-Luc", "Bernard", "Hervé", "Gwenaël", "Ousmane", "Bilal", "Aurèle",
           "Loïc", "Rachid", "Thibault", "Antoine", "Didier", "Pascal"]
FIRST_F = ["Marie", "Sophie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Valérie", "Sandrine",
           "Céline", "Aurélie", "Fatima", "Nadia", "Marie-Claire", "Anne-Sophie", "Christine",
           "Élodie", "Camille", "Laure", "Martine", "Brigitte", "Kenza", "Soizic", "Maïwenn",
           "Khadidiatou", "Yasmina", "Thuy", "Ludivine", "Hélène", "Agnès", "Véronique"]
SURNAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
            "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David",
            "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "Andre", "Mercier",
            "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure",
            "Rousseau", "Blanc", "Guerin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin",
            "Le Goff", "Le Gall", "Nguyen", "Benali", "Haddad", "Diallo", "Kerjean", "Pujol",
            "Castagné", "Vidal", "Fabre", "Marty", "Bourdon", "Delmas", "Ferrand", "Ollivier",
            "de Lattre", "Da Silva", "Ben Saïd", "Coulibaly", "Tran", "Esposito", "Rey", "Barthès"]
STREETS = ["rue de la République", "avenue Jean Jaurès", "boulevard Victor Hugo", "rue des Lilas",
           "impasse des Mimosas", "chemin de la Fontaine", "allée des Pins", "place de la Mairie",
           "rue du Faubourg Saint-Jaumes", "avenue du Général de Gaulle", "rue Pierre et Marie Curie",
           "route de Lodève", "rue de l'Aiguillerie", "quai du Verdanson", "cours Gambetta",
           "rue d'Alsace", "avenue de Toulouse", "rue des Écoles", "chemin des Vignes",
           "boulevard de Strasbourg", "rue Saint-Guilhem", "allée Paul Valéry", "rue du 8 Mai 1945"]
CITIES = [("34000", "Montpellier"), ("34070", "Montpellier"), ("34080", "Montpellier"),
          ("34430", "Saint-Jean-de-Védas"), ("34170", "Castelnau-le-Lez"), ("30000", "Nîmes"),
          ("34500", "Béziers"), ("34200", "Sète"), ("31000", "Toulouse"), ("69003", "Lyon"),
          ("75011", "Paris"), ("34990", "Juvignac"), ("34970", "Lattes")]
DOMAINS = ["gmail.com", "orange.fr", "laposte.net", "free.fr", "yahoo.fr", "hotmail.fr",
           "montpellier.fr", "herault.fr", "sfr.fr"]
COMPANIES = ["Bâtiments du Midi SAS", "Espaces Verts Occitans SARL", "Nettoyage Services 34",
             "Sud Informatique", "Entreprise Rouvière et Fils", "Atelier Graphique Lez",
             "Transports Méditerranée", "Cabinet Conseil Garrigues"]
ASSOCIATIONS = ["l'association Les Petits Débrouillards", "l'association Quartiers Solidaires",
                "l'Union sportive de la Paillade", "le Comité des fêtes de Celleneuve",
                "l'association Lire et Faire Lire", "la Maison pour tous Léo Lagrange"]
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre"]
LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"


def pick(xs):
    return R.choice(xs)


def digits(n):
    return "".join(str(R.randrange(10)) for _ in range(n))


# ------------------------------------------------------------------ identifiers
def nir(female=None):
    sex = "2" if female else "1" if female is False else pick("12")
    yy = f"{R.randrange(40, 100):02d}"
    mm = f"{R.randrange(1, 13):02d}"
    dept = pick(["75", "34", "30", "13", "69", "2A", "2B", "31", "59", "33", "97"])
    commune = digits(3) if dept != "97" else "1" + digits(2)
    order = f"{R.randrange(1, 999):03d}"
    body = sex + yy + mm + dept + commune + order
    key = _nir.calc_check_digits(body)
    style = R.random()
    if style < 0.55:
        return f"{sex} {yy} {mm} {dept} {commune} {order} {key}"
    if style < 0.8:
        return body + key
    if style < 0.9:
        return f"{sex}.{yy}.{mm}.{dept}.{commune}.{order}.{key}"
    return f"{sex} {yy} {mm} {dept} {commune} {order} {key}".replace(" ", "\u00a0", 2)


def iban():
    if R.random() < 0.85:
        bban = digits(10) + digits(11) + digits(2)
        country = "FR"
    else:
        country, bban = pick([("DE", digits(18)), ("BE", digits(12)), ("ES", digits(20))])
    check = _iban.calc_check_digits(country + "00" + bban)
    number = country + check + bban
    if not _iban.is_valid(number):  # national check digits (BE, ES): draw again
        return iban()
    if R.random() < 0.75:
        return " ".join(number[i:i + 4] for i in range(0, len(number), 4))
    return number


def card():
    prefix = pick(["4970", "4973", "5132", "5412", "4539", "2221"])
    body = prefix + digits(11)
    number = body + luhn.calc_check_digit(body)
    sep = pick([" ", " ", "-", ""])
    return sep.join(number[i:i + 4] for i in range(0, 16, 4))


def siren_raw():
    body = pick("3456789") + digits(7)
    return body + luhn.calc_check_digit(body)


def siren():
    s = siren_raw()
    return pick([f"{s[:3]} {s[3:6]} {s[6:]}", s])


def siret():
    s = siren_raw()
    body = s + f"{R.randrange(1, 99):04d}"
    number = body + luhn.calc_check_digit(body)
    return pick([f"{number[:3]} {number[3:6]} {number[6:9]} {number[9:]}", number,
                 f"{number[:9]} {number[9:]}"])


def phone():
    first = pick(["01", "02", "03", "04", "04", "04", "05", "06", "06", "07", "09"])
    rest = [f"{R.randrange(10, 100)}" for _ in range(4)]
    style = R.random()
    if style < 0.45:
        return first + " " + " ".join(rest)
    if style < 0.6:
        return first + "." + ".".join(rest)
    if style < 0.7:
        return first + "".join(rest)
    if style < 0.8:
        return first + "-" + "-".join(rest)
    if style < 0.92:
        return "+33 " + first[1] + " " + " ".join(rest)
    return "+33 (0)" + first[1] + " " + " ".join(rest)


def strip(s):
    import unicodedata
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def email(first=None, last=None):
    first = first or pick(FIRST_M + FIRST_F)
    last = last or pick(SURNAMES)
    local = pick([f"{first}.{last}", f"{first[0]}{last}", f"{first}-{last}", f"{last}.{first[0]}"])
    local = strip(local).lower().replace(" ", "").replace("'", "")
    return f"{local}{pick(['', '', '34', '75'])}@{pick(DOMAINS)}"


def address(with_city=True):
    number = str(R.randrange(1, 180)) + pick(["", "", "", " bis", " ter"])
    street = pick(STREETS)
    if R.random() < 0.1:
        street = street[0].upper() + street[1:]
    base = f"{number} {street}"
    if not with_city:
        return base
    cp, city = pick(CITIES)
    return base + pick([", ", ", ", " - ", "\n"]) + f"{cp} {city}"


def birth():
    day, month, year = R.randrange(1, 29), R.randrange(1, 13), R.randrange(1940, 2010)
    if R.random() < 0.5:
        return f"{day:02d}/{month:02d}/{year}"
    return f"{'1er' if day == 1 else day} {MONTHS[month - 1]} {year}"


def plate():
    a = pick(LETTERS) + pick(LETTERS)
    b = pick(LETTERS) + pick(LETTERS)
    if a == "SS":
        a = "SA"
    return pick([f"{a}-{R.randrange(100, 1000)}-{b}", f"{a} {R.randrange(100, 1000)} {b}",
                 f"{a}-{R.randrange(100, 1000)}-{b}"])


def passport():
    return f"{R.randrange(10, 25)}{pick(LETTERS)}{pick(LETTERS)}{digits(5)}"


def cni():
    if R.random() < 0.6:
        return f"{R.randrange(90, 99)}{R.randrange(1, 13):02d}{pick(['34', '75', '2A', '30'])}{digits(1)}{digits(5)}"
    chars = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
    while True:
        s = "".join(pick(chars) for _ in range(9))
        if any(c.isdigit() for c in s) and any(c.isalpha() for c in s):
            return s


def person(female=None, style=None):
    female = R.random() < 0.5 if female is None else female
    first = pick(FIRST_F if female else FIRST_M)
    last = pick(SURNAMES)
    style = style or pick(["Fn Ln", "Fn LN", "Fn LN", "LN Fn", "Fn Ln"])
    if style == "Fn Ln":
        return first, last, f"{first} {last}"
    if style == "Fn LN":
        return first, last, f"{first} {last.upper()}"
    return first, last, f"{last.upper()} {first}"


def civ(female):
    return pick(["Mme", "Madame"]) if female else pick(["M.", "Monsieur"])


# ------------------------------------------------------------------ composition
class Doc:
    def __init__(self, kind):
        self.kind = kind
        self.parts = []
        self.entities = []

    def t(self, text):
        self.parts.append(text)
        return self

    def e(self, type_, value):
        start = sum(len(p) for p in self.parts)
        self.parts.append(value)
        self.entities.append({"type": type_, "start": start, "end": start + len(value)})
        return self

    def name(self, female=None, with_civility=None, style=None):
        female = R.random() < 0.5 if female is None else female
        first, last, full = person(female, style)
        with_civility = R.random() < 0.5 if with_civility is None else with_civility
        if with_civility:
            self.t(civ(female) + " ")
            if R.random() < 0.3:
                full = last if R.random() < 0.5 else last.upper()
        self.e("PERSONNE", full)
        return first, last

    def text(self):
        return "".join(self.parts)


def deliberation(i):
    d = Doc("deliberation")
    num = f"{R.randrange(2015, 2025)}/{R.randrange(1, 400)}"
    day = R.randrange(1, 28)
    month = pick(MONTHS)
    year = num[:4]
    d.t(f"Extrait du registre des délibérations du Conseil municipal\nDélibération n° {num}\n"
        f"Séance publique du {day} {month} {year}\n\n")
    d.t("Sous la présidence de ")
    d.name(female=R.random() < 0.4, with_civility=True, style="Fn LN")
    d.t(", Maire.\nPrésents : ")
    for k in range(R.randrange(3, 6)):
        if k:
            d.t(pick([", ", ", ", ","]))
        d.name(with_civility=False, style=pick(["Fn LN", "Fn LN", "Fn Ln"]))
    d.t(".\nAbsents ayant donné procuration : ")
    d.name(with_civility=False, style="Fn LN")
    d.t(" à ")
    d.name(with_civility=False, style="Fn LN")
    d.t(".\n\n")
    subject = pick(["Attribution d'une subvention", "Convention d'occupation du domaine public",
                    "Acquisition d'une parcelle", "Marché de travaux de voirie"])
    d.t(f"Objet : {subject}\n\nRapporteur : ")
    d.name(with_civility=True, style="Fn LN")
    d.t(f"\n\nVu le Code général des collectivités territoriales, et notamment son article "
        f"{pick(['L.2121-29', 'L 2122-22', 'L. 2241-1', 'L2131-2'])} ;\n")
    d.t(f"Vu la délibération n° {R.randrange(2010, 2024)}-{R.randrange(10, 500)} du "
        f"{R.randrange(1, 28)} {pick(MONTHS)} {R.randrange(2010, 2024)} ;\n")
    if subject.startswith("Attribution"):
        asso = pick(ASSOCIATIONS)
        d.t(f"Considérant la demande présentée par {asso}, dont le siège est situé ")
        d.e("ADRESSE", address())
        d.t(", représentée par sa présidente, ")
        d.name(female=True, with_civility=True)
        d.t(", et immatriculée sous le numéro SIRET ")
        d.e("SIRET", siret())
        d.t(f" ;\nIl est proposé d'attribuer une subvention de {R.randrange(1, 40)} {R.randrange(100, 999)} € "
            f"au titre de l'exercice {year}, imputée au chapitre 65, article 6574.\n")
        d.t("Les fonds seront versés sur le compte bancaire de l'association (IBAN ")
        d.e("IBAN", iban())
        d.t(").\n")
    elif subject.startswith("Acquisition"):
        d.t("Considérant que ")
        d.name(with_civility=True)
        d.t(", propriétaire de la parcelle cadastrée section " + pick(["AB", "CK", "HW"]) +
            f" n° {R.randrange(1, 900)}, située ")
        d.e("ADRESSE", address())
        d.t(f", accepte de la céder au prix de {R.randrange(50, 900)} 000 € ;\n")
        d.t(f"Vu l'avis du Domaine n° {year}-34172-{R.randrange(10000, 99999)} ;\n")
    elif subject.startswith("Marché"):
        comp = pick(COMPANIES)
        d.t(f"Considérant que l'offre de la société {comp} (SIREN ")
        d.e("SIREN", siren())
        d.t(f") est économiquement la plus avantageuse pour un montant de {R.randrange(100, 999)} {R.randrange(100, 999)},{R.randrange(10, 99)} € HT ;\n")
        d.t("Le représentant de l'entreprise, ")
        d.name(with_civility=True)
        d.t(", joignable au ")
        d.e("TELEPHONE", phone())
        d.t(", a transmis les pièces prévues à l'article R. 2143-3 du code de la commande publique.\n")
    else:
        d.t("Considérant la demande d'occupation présentée par ")
        f, l = d.name(with_civility=True)
        d.t(", gérant du commerce situé ")
        d.e("ADRESSE", address())
        d.t(" (courriel : ")
        d.e("EMAIL", email(f, l))
        d.t(f") pour une terrasse de {R.randrange(8, 40)} m² ;\n")
    d.t(f"\nLe Conseil municipal, après en avoir délibéré, décide à l'unanimité ({R.randrange(40, 65)} voix pour) "
        f"d'approuver la présente délibération.\n\nFait à Montpellier, le {day} {month} {year}.\nPour le Maire,\nL'adjoint délégué, ")
    d.name(with_civility=False, style="Fn LN")
    return d


def hr_letter(i):
    d = Doc("rh")
    female = R.random() < 0.5
    d.t(pick(["Direction des ressources humaines\nService carrière et paie\n",
              "Pôle Ressources humaines — Gestion administrative du personnel\n"]))
    d.t(f"Réf. : DRH/{R.randrange(2019, 2025)}/{R.randrange(100, 999)}\nAffaire suivie par ")
    d.name(female=R.random() < 0.7, with_civility=False, style="Fn Ln")
    d.t(" — tél. ")
    d.e("TELEPHONE", phone())
    d.t(" — ")
    d.e("EMAIL", email())
    d.t("\n\n")
    first, last, full = person(female, pick(["Fn LN", "Fn Ln"]))
    d.t(civ(female) + " ")
    d.e("PERSONNE", full)
    d.t("\n")
    d.e("ADRESSE", address())
    d.t(f"\n\nMontpellier, le {R.randrange(1, 28)} {pick(MONTHS)} {R.randrange(2020, 2025)}\n\n")
    d.t(pick(["Objet : votre recrutement en qualité d'adjoint administratif territorial\n\n",
              "Objet : constitution de votre dossier administratif\n\n",
              "Objet : mise en paiement de votre traitement\n\n"]))
    d.t(f"{'Madame' if female else 'Monsieur'},\n\n")
    d.t(pick(["Suite à votre entretien avec ", "Comme convenu lors de votre rendez-vous avec "]))
    d.name(female=R.random() < 0.5, with_civility=True, style="Fn Ln")
    d.t(pick([", responsable du service, ", ", directrice adjointe, ", ", chef de service, "]))
    d.t("j'ai le plaisir de vous confirmer votre recrutement à compter du "
        f"{R.randrange(1, 28)} {pick(MONTHS)} {R.randrange(2021, 2026)}, en application de l'article L. 332-8 "
        "du code général de la fonction publique.\n\n")
    d.t("Votre dossier, que nous avons bien reçu, comporte les informations suivantes : ")
    d.t(pick(["née" if female else "né", "né(e)"]) + " le ")
    d.e("DATE_NAISSANCE", birth())
    d.t(pick([f" à {pick(CITIES)[1]}", ""]) + ", numéro de sécurité sociale ")
    d.e("NIR", nir(female))
    d.t(pick([". Votre traitement sera versé sur le compte ", ". La rémunération sera virée sur l'IBAN "]))
    d.e("IBAN", iban())
    d.t(".\n\n")
    if R.random() < 0.5:
        d.t("Nous vous remercions de nous faire parvenir la copie de votre carte nationale d'identité n° ")
        d.e("CNI", cni())
        d.t(" recto verso avant le 15 du mois.\n\n")
    d.t(f"Votre indice majoré est fixé à {R.randrange(350, 420)} et votre régime indemnitaire relève de la "
        f"délibération n° {R.randrange(2016, 2024)}/{R.randrange(1, 300)}.\n\n")
    d.t(f"Je vous prie d'agréer, {'Madame' if female else 'Monsieur'}, l'expression de mes salutations distinguées.\n\n"
        "Pour le Maire et par délégation,\nLa directrice des ressources humaines,\n")
    d.name(female=True, with_civility=False, style=pick(["Fn LN", "Fn Ln"]))
    return d


def social_file(i):
    d = Doc("aide_sociale")
    female = R.random() < 0.6
    d.t(f"CENTRE COMMUNAL D'ACTION SOCIALE\nDossier de demande d'aide facultative n° CCAS-{R.randrange(2020, 2025)}-{R.randrange(1000, 9999)}\n\n")
    d.t("1. Identité du demandeur\nNom et prénom : ")
    first, last, full = person(female, "LN Fn")
    d.e("PERSONNE", full)
    d.t("\nDate de naissance : ")
    d.e("DATE_NAISSANCE", birth())
    d.t("\nN° de sécurité sociale : ")
    d.e("NIR", nir(female))
    d.t("\nAdresse : ")
    d.e("ADRESSE", address())
    d.t("\nTéléphone : ")
    d.e("TELEPHONE", phone())
    if R.random() < 0.7:
        d.t("\nCourriel : ")
        d.e("EMAIL", email(first, last))
    d.t(f"\nSituation familiale : {pick(['célibataire', 'mariée' if female else 'marié', 'divorcée' if female else 'divorcé', 'en concubinage'])}, "
        f"{R.randrange(0, 4)} enfant(s) à charge.\n\n2. Ressources mensuelles\n"
        f"Revenu de solidarité active : {R.randrange(500, 700)},{R.randrange(10, 99)} €\n"
        f"Allocation logement (CAF) : {R.randrange(150, 400)} €\nLoyer résiduel : {R.randrange(200, 600)} €\n\n")
    d.t("3. Évaluation sociale\n")
    d.t(pick(["L'assistante sociale, ", "Le travailleur social référent, "]))
    d.name(with_civility=True, style=pick(["Fn Ln", "Fn LN"]))
    d.t(pick([", a rencontré ", ", a reçu "]))
    d.t(civ(female) + " ")
    d.e("PERSONNE", pick([last, last.upper()]))
    d.t(f" le {R.randrange(1, 28)} {pick(MONTHS)} {R.randrange(2022, 2025)} au centre social. ")
    d.t(pick([
        "Le foyer fait face à une dette d'énergie de 842 € suite à une régularisation annuelle. ",
        "La demandeuse a perdu son emploi en début d'année et ses droits sont en cours d'ouverture. ",
        "Le logement présente des signes d'insalubrité signalés au service hygiène. ",
    ]))
    if R.random() < 0.5:
        d.t("Son fils, ")
        d.name(female=False, with_civility=False, style="Fn Ln")
        d.t(", né le ")
        d.e("DATE_NAISSANCE", birth())
        d.t(", est scolarisé au collège Victor Hugo. ")
    d.t(f"\n\n4. Décision de la commission permanente du {R.randrange(1, 28)} {pick(MONTHS)} {R.randrange(2022, 2025)}\n")
    d.t(f"Aide accordée : {R.randrange(100, 500)} € versés directement au fournisseur (article 4 du règlement des aides facultatives).\n")
    if R.random() < 0.6:
        d.t("Versement sur le compte du bénéficiaire : ")
        d.e("IBAN", iban())
        d.t("\n")
    d.t("Visa de la responsable du pôle : ")
    d.name(female=True, with_civility=False, style="Fn LN")
    return d


def market_analysis(i):
    d = Doc("analyse_offres")
    lot = R.randrange(1, 6)
    d.t(f"RAPPORT D'ANALYSE DES OFFRES\nMarché n° {R.randrange(2021, 2025)}-{R.randrange(10, 99)}-AO — Lot {lot} : "
        f"{pick(['entretien des espaces verts', 'nettoyage des bâtiments', 'maintenance informatique', 'transport scolaire'])}\n"
        f"Procédure : appel d'offres ouvert (articles R. 2124-2 et R. 2161-2 du code de la commande publique)\n\n")
    d.t("Pouvoir adjudicateur : Ville de Montpellier, représentée par son Maire.\nSuivi du dossier : ")
    d.name(with_civility=True, style="Fn Ln")
    d.t(", acheteuse publique, ")
    d.e("TELEPHONE", phone())
    d.t(".\n\n1. Offres reçues\n")
    for k in range(R.randrange(2, 4)):
        comp = pick(COMPANIES)
        d.t(f"- {comp}, SIRET ")
        d.e("SIRET", siret())
        d.t(", ")
        d.e("ADRESSE", address())
        d.t(f" ; montant : {R.randrange(20, 900)} {R.randrange(100, 999)},{R.randrange(10, 99)} € HT ; contact : ")
        f, l = d.name(with_civility=R.random() < 0.5, style=pick(["Fn Ln", "Fn LN"]))
        d.t(" (")
        d.e("EMAIL", email(f, l))
        d.t(")\n")
    d.t(f"\n2. Analyse\nCritère prix (40 %) et valeur technique (60 %). Note globale de l'attributaire : {R.randrange(70, 99)},{R.randrange(0, 9)}/100.\n")
    d.t(f"Le montant estimé du marché est de {R.randrange(1, 9)} {R.randrange(100, 999)} {R.randrange(100, 999)} € TTC sur quatre ans. ")
    d.t(f"Code postal du lieu d'exécution : {pick(CITIES)[0]}.\n")
    if R.random() < 0.5:
        d.t("Une candidature a été écartée faute de présenter le numéro SIREN ")
        d.e("SIREN", siren())
        d.t(" au registre du commerce, conformément à l'article L. 2141-1.\n")
    d.t("\nFait à Montpellier, le " + f"{R.randrange(1, 28)}/{R.randrange(1, 12):02d}/{R.randrange(2022, 2025)}\nL'acheteur, ")
    d.name(with_civility=False, style="Fn LN")
    return d


def police_report(i):
    d = Doc("police_municipale")
    d.t(f"POLICE MUNICIPALE — Rapport d'intervention n° PM-{R.randrange(2022, 2025)}-{R.randrange(100, 9999)}\n\n")
    d.t(f"Le {R.randrange(1, 28)} {pick(MONTHS)} {R.randrange(2022, 2025)} à {R.randrange(7, 23)}h{R.randrange(10, 59)}, "
        "l'équipage composé des agents ")
    d.name(with_civility=False, style="Fn LN")
    d.t(" et ")
    d.name(with_civility=False, style="Fn LN")
    d.t(" a constaté le stationnement gênant d'un véhicule ")
    d.t(pick(["immatriculé ", "portant la plaque ", "de marque Renault, immatriculation "]))
    d.e("PLAQUE", plate())
    d.t(" devant le ")
    d.e("ADRESSE", address(with_city=R.random() < 0.5))
    d.t(".\nLe propriétaire, ")
    female = R.random() < 0.4
    d.name(female=female, with_civility=True, style=pick(["Fn Ln", "Fn LN"]))
    d.t(pick([", né le ", ", née le " if female else ", né le "]))
    d.e("DATE_NAISSANCE", birth())
    d.t(", domicilié ")
    d.e("ADRESSE", address())
    d.t(", a présenté son ")
    if R.random() < 0.5:
        d.t("passeport n° ")
        d.e("PASSEPORT", passport())
    else:
        d.t("permis de conduire et sa carte nationale d'identité n° ")
        d.e("CNI", cni())
    d.t(". Il a été joint au ")
    d.e("TELEPHONE", phone())
    d.t(f".\nUne contravention de {pick(['35', '135'])} € a été dressée (article R. 417-10 du code de la route). "
        f"Le véhicule a été mis en fourrière (procès-verbal n° {R.randrange(100000, 999999)}).\n")
    if R.random() < 0.5:
        d.t("Un second véhicule, immatriculé ")
        d.e("PLAQUE", plate())
        d.t(", stationnait sur la place réservée aux personnes handicapées.\n")
    d.t("\nLe chef de poste, brigadier-chef principal ")
    d.name(with_civility=False, style="Fn LN")
    return d


def civil_status(i):
    d = Doc("etat_civil")
    female = R.random() < 0.5
    d.t("Mairie — Service État civil et formalités administratives\n\n"
        f"Récépissé de dépôt de demande de titre d'identité n° {R.randrange(100000, 999999)}\n\nDemandeur : ")
    d.name(female=female, with_civility=True, style=pick(["Fn LN", "LN Fn"]))
    d.t(", " + ("née" if female else "né") + " le ")
    d.e("DATE_NAISSANCE", birth())
    d.t(f" à {pick(CITIES)[1]}\nAdresse : ")
    d.e("ADRESSE", address())
    d.t("\n\nNature de la demande : " + pick(["renouvellement du passeport", "première demande de passeport",
                                             "renouvellement de la carte nationale d'identité"]) + ".\n")
    d.t("Ancien passeport n° ")
    d.e("PASSEPORT", passport())
    d.t(f" délivré le {R.randrange(1, 28)}/{R.randrange(1, 12):02d}/{R.randrange(2010, 2018)} par la préfecture de l'Hérault.\n")
    d.t("Carte nationale d'identité présentée : n° ")
    d.e("CNI", cni())
    d.t(".\nLe titre sera remis en mains propres ; un SMS sera envoyé au ")
    d.e("TELEPHONE", phone())
    d.t(" et un courriel à ")
    d.e("EMAIL", email())
    d.t(".\n\nTimbre fiscal de 86 € acquitté. Agent instructeur : ")
    d.name(with_civility=False, style=pick(["Fn LN", "Fn Ln"]))
    return d


def payment_incident(i):
    d = Doc("regie")
    d.t(f"Régie de recettes de la piscine municipale — Incident de paiement n° R{R.randrange(2022, 2025)}-{R.randrange(10, 999)}\n\n")
    d.t("Le régisseur titulaire, ")
    d.name(with_civility=True, style="Fn Ln")
    d.t(", signale qu'un paiement de 48,50 € par carte bancaire n° ")
    d.e("CARTE_BANCAIRE", card())
    d.t(" a été refusé le " + f"{R.randrange(1, 28)}/{R.randrange(1, 12):02d}/{R.randrange(2022, 2025)}. ")
    d.t("L'usager, ")
    f, l = d.name(with_civility=True, style=pick(["Fn Ln", "Fn LN"]))
    d.t(", a réglé ensuite par une autre carte (")
    d.e("CARTE_BANCAIRE", card())
    d.t("). Pour toute réclamation, il peut écrire à ")
    d.e("EMAIL", email(f, l))
    d.t(" ou appeler le ")
    d.e("TELEPHONE", phone())
    d.t(f".\nMontant encaissé sur la période : {R.randrange(1, 20)} {R.randrange(100, 999)},{R.randrange(10, 99)} € ; "
        f"bordereau n° {R.randrange(2022, 2025)}-{R.randrange(100, 999)} transmis au comptable public "
        "(articles R. 1617-1 et suivants du CGCT).\n")
    return d


def negatives(i):
    d = Doc("negatif")
    d.t(pick([
        f"Par délibération n° {R.randrange(2014, 2024)}/{R.randrange(1, 400)} du {R.randrange(1, 28)} {pick(MONTHS)} {R.randrange(2014, 2024)}, "
        f"le Conseil municipal a approuvé le budget primitif pour un montant total de {R.randrange(100, 999)} {R.randrange(100, 999)} {R.randrange(100, 999)},{R.randrange(10, 99)} €. ",
        "Conformément aux articles L.2121-29, L. 2122-21 et R. 2342-4 du CGCT, le Maire est chargé d'exécuter les décisions du conseil. ",
    ]))
    d.t(f"Le montant des dépenses d'investissement s'élève à {R.randrange(10, 99)} {R.randrange(100, 999)} {R.randrange(100, 999)} euros, "
        f"dont {R.randrange(1, 9)} {R.randrange(100, 999)} {R.randrange(100, 999)} € au titre du programme 2021-2026. ")
    d.t(f"L'acte est transmis en préfecture (accusé de réception 034-213401722-{R.randrange(2015, 2024)}0{R.randrange(1, 9)}{R.randrange(10, 28)}-{R.randrange(1000000, 9999999)}-DE) "
        f"et publié le {R.randrange(1, 28)}/{R.randrange(1, 12):02d}/{R.randrange(2015, 2024)}. ")
    d.t(pick([
        "Les crédits sont inscrits au chapitre 011, fonction 020, nature 6184. ",
        f"Le marché n° {R.randrange(2019, 2024)}-0{R.randrange(10, 99)} est attribué pour une durée de 48 mois. ",
        "La Place de la Comédie et l'avenue de la Liberté seront fermées à la circulation. ",
        f"La séance est levée à {R.randrange(18, 23)}h{R.randrange(10, 59)}. Code postal 34000, Montpellier. ",
        "Le décret n° 85-565 du 30 mai 1985 et la loi n° 84-53 du 26 janvier 1984 restent applicables. ",
    ]))
    d.t(pick([
        "Monsieur le Maire rappelle que le Conseil municipal se réunit au moins une fois par trimestre.",
        "Madame la Présidente du CCAS présente le rapport d'activité 2023.",
        "Le collège Jean Moulin et le groupe scolaire Jules Ferry bénéficieront de travaux d'isolation.",
        f"La population légale au 1er janvier {R.randrange(2018, 2024)} est de 299 096 habitants.",
        "Le stade Yves du Manoir accueillera la manifestation le samedi 14 septembre.",
    ]))
    return d


def minutes(i):
    d = Doc("compte_rendu")
    d.t(f"Compte rendu de la réunion du comité de pilotage « Quartiers d'été » du {R.randrange(1, 28)} {pick(MONTHS)} {R.randrange(2022, 2025)}\n\n")
    d.t("Participants : ")
    for k in range(R.randrange(3, 5)):
        if k:
            d.t(", ")
        d.name(with_civility=False, style="Fn Ln")
        d.t(f" ({pick(['DGS', 'direction de la jeunesse', 'CCAS', 'police municipale', 'service des sports', 'élue au quartier'])})")
    d.t(".\nExcusée : ")
    d.name(female=True, with_civility=False, style="Fn Ln")
    d.t(".\n\n")
    f1, l1 = person(None, "Fn Ln")[:2]
    d.t(pick(["En ouverture, ", "Pour commencer, ", "Après un tour de table, "]))
    d.e("PERSONNE", f"{f1} {l1}")
    d.t(pick([" rappelle que le budget alloué à l'opération est de 45 000 €, en hausse de 12 % par rapport à 2023. ",
              " présente le bilan de l'édition précédente : 1 250 participants sur 18 sites. "]))
    d.t("Selon ")
    d.e("PERSONNE", l1)
    d.t(pick([", les animations du parc Léo Lagrange ont été les plus suivies. ",
              ", la fréquentation du stade Philippe Lamberti a doublé. "]))
    d.t("Les inscriptions se feront auprès de ")
    f2, l2 = d.name(with_civility=True, style="Fn Ln")
    d.t(" (")
    d.e("TELEPHONE", phone())
    d.t(", ")
    d.e("EMAIL", email(f2, l2).upper() if R.random() < 0.2 else email(f2, l2))
    d.t(pick([") à la maison pour tous Albert Camus.\n", ") au centre social Jean Moulin.\n"]))
    d.t("La convention avec la station de tramway Louis Blanc et l'application de la loi Le Pors ont été évoquées. ")
    d.t("Prochaine réunion le 3 juin à 14h30, salle Pasteur.\nRédaction : ")
    d.name(with_civility=False, style="Fn Ln")
    return d


def mail(i):
    d = Doc("courriel")
    f1, l1, full1 = person(None, "Fn Ln")
    f2, l2, full2 = person(None, "Fn Ln")
    d.t("De : ")
    d.e("PERSONNE", full1)
    d.t(" <")
    d.e("EMAIL", email(f1, l1))
    d.t(">\nÀ : ")
    d.e("PERSONNE", full2)
    d.t(" <")
    d.e("EMAIL", email(f2, l2))
    d.t(f">\nObjet : RE: dossier de logement d'urgence\nDate : {R.randrange(1, 28)}/{R.randrange(1, 12):02d}/{R.randrange(2022, 2025)} 09:4{R.randrange(0, 9)}\n\n")
    d.t(f"Bonjour {f2},\n\n")
    d.t("Je te transmets les éléments concernant la famille de ")
    female = R.random() < 0.5
    d.name(female=female, with_civility=True, style=pick(["Fn Ln", "Fn LN"]))
    d.t(pick([", hébergée depuis mars chez un tiers", ", expulsée de son logement le mois dernier"]))
    d.t(". Contact : ")
    d.e("TELEPHONE", phone())
    d.t(". Adresse actuelle : ")
    d.e("ADRESSE", address())
    d.t(".\nSon numéro de sécurité sociale (")
    d.e("NIR", nir(female))
    d.t(") est nécessaire pour l'ouverture des droits à la CSS.\n")
    if R.random() < 0.5:
        d.t("Le référent de la CAF, ")
        d.name(with_civility=False, style="Fn Ln")
        d.t(", nous a confirmé le versement de l'aide au logement.\n")
    d.t(f"\nBien à toi,\n{f1}\n\n-- \n")
    d.e("PERSONNE", full1)
    d.t("\nChargé(e) de mission Logement — Direction des solidarités\nTél. : ")
    d.e("TELEPHONE", phone())
    return d


KINDS = [(minutes, 8), (mail, 8), (deliberation, 14), (hr_letter, 12), (social_file, 12), (market_analysis, 8),
         (police_report, 8), (civil_status, 6), (payment_incident, 7), (negatives, 10)]


def main(out):
    rows = []
    for fn, n in KINDS:
        for i in range(n):
            d = fn(i)
            text = d.text()
            for ent in d.entities:
                assert text[ent["start"]:ent["end"]].strip() == text[ent["start"]:ent["end"]]
            rows.append({"id": f"{d.kind}-{i + 1:02d}", "kind": d.kind, "text": text,
                         "entities": d.entities})
    with open(out, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    from collections import Counter
    c = Counter(e["type"] for r in rows for e in r["entities"])
    print(len(rows), sum(c.values()), dict(c))


if __name__ == "__main__":
    main(sys.argv[1])
