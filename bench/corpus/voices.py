# SPDX-License-Identifier: MIT
"""Voices, languages and the train / dev / test split of the corpus.

The split is by voice: a voice (an espeak-ng variant, or the one recorded
Asterisk voice) belongs to exactly one split, so a test voice never appears in
training. Two languages (Italian and Dutch) appear only in the test split, and
the one real recorded voice (Asterisk's "Allison", en_US_f_Allison) only in
test, so test figures also measure how synthetic training transfers to a real
recorded human voice and to unseen languages.

Only the allowed sources listed in bench/README.md are used: espeak-ng's own voices and
variants (no mbrola), asterisk-core-sounds-en-wav, and the festival voices of
FESTIVAL_VOICES (``build_corpus.py --voices festival``). Those are split by
voice and by language too: Catalan and Telugu occur only in test.
"""

ASTERISK_DIR = "/usr/share/asterisk/sounds/en_US_f_Allison"
ASTERISK_VOICE = "asterisk:Allison"

# espeak-ng variants (``espeak-ng --voices=variant``), by split. Odd or
# unvoiced variants (whisper, croak, robosoft*, Demonic, ...) are left out: no
# real greeting or caller sounds like them.
SPLIT_VARIANTS = {
    "train": [
        "", "m1", "m2", "m4", "m5", "m7", "m8", "f1", "f3", "f5",
        "klatt", "klatt2", "klatt4", "klatt6",
        "adam", "Alex", "Andrea", "Annie", "antonio", "aunty", "boris",
        "caleb", "david", "Diogo", "ed", "edward", "Gene", "gustave",
        "Hugo", "iven", "Jacky", "john", "Lee", "marcelo", "Marco",
        "Mario", "max", "michel", "miguel", "Mike", "norbert", "paul",
        "pedro", "quincy", "rob", "robert", "sandro", "shelby", "victor",
        "anika", "grandpa",
    ],
    "dev": ["m6", "f4", "klatt5", "Andy", "belinda", "Denis", "Henrique",
            "travis", "zac"],
    "test": ["m3", "f2", "klatt3", "Alicia", "benjamin", "linda", "Michael",
             "pablo", "steph", "grandma"],
}

# Languages: espeak-ng voice name -> phrase-table key (texts.py).
LANGS = {
    "en-us": "en", "en-gb": "en", "en-gb-scotland": "en", "en-029": "en",
    "en-us-nyc": "en", "es": "es", "es-419": "es", "fr-fr": "fr",
    "de": "de", "pt-br": "pt", "it": "it", "nl": "nl",
}
TEST_ONLY_LANGS = ["it", "nl"]

# Relative weights of languages (English dominates, as in the target market).
LANG_WEIGHTS = {
    "en-us": 30, "en-gb": 10, "en-gb-scotland": 4, "en-029": 4,
    "en-us-nyc": 4, "es": 6, "es-419": 6, "fr-fr": 7, "de": 7, "pt-br": 6,
    "it": 8, "nl": 8,
}

# Festival voices (``--voices festival``): voice -> (phrase-table key, split,
# text encoding the voice reads, Debian package). Split by voice and by
# language: train reads Finnish (lj), Hindi and Marathi; dev the other Finnish
# voice (mv); test Catalan and Telugu, languages no other split has. The Indic
# voices are one speaker label (NSK) of one voice builder; the Telugu test
# voice is a new language to the model, not necessarily a new speaker.
FESTIVAL_VOICES = {
    "suo_fi_lj_diphone": ("fi", "train", "latin-1", "festvox-suopuhe-lj"),
    "hindi_NSK_diphone": ("hi", "train", "utf-8", "festvox-hi-nsk"),
    "marathi_NSK_diphone": ("mr", "train", "utf-8", "festvox-mr-nsk"),
    "hy_fi_mv_diphone": ("fi", "dev", "latin-1", "festvox-suopuhe-mv"),
    "upc_ca_ona_hts": ("ca", "test", "latin-1", "festvox-ca-ona-hts"),
    "telugu_NSK_diphone": ("te", "test", "utf-8", "festvox-te-nsk"),
}


def festival_voices(split):
    """Festival voices of @p split, in table order."""
    return [v for v, r in FESTIVAL_VOICES.items() if r[1] == split]


SPLIT_WEIGHTS = {"train": 0.65, "dev": 0.15, "test": 0.20}


def langs_for_split(split):
    """Languages a file of @p split may use."""
    return [l for l in LANG_WEIGHTS if split == "test" or l not in TEST_ONLY_LANGS]


def voice_table():
    """Rows (voice, split, source) documenting where every voice goes."""
    rows = []
    for split, variants in SPLIT_VARIANTS.items():
        for v in variants:
            rows.append(("espeak:+" + (v or "default"), split, "espeak-ng"))
    rows.append((ASTERISK_VOICE, "test", "asterisk-core-sounds-en-wav"))
    for lang in TEST_ONLY_LANGS:
        rows.append(("lang:" + lang, "test", "espeak-ng (language only in test)"))
    for v, (key, split, _, pkg) in FESTIVAL_VOICES.items():
        rows.append(("festival:%s:%s" % (key, v), split, pkg))
    return rows


def check_disjoint():
    seen = {}
    for split, variants in SPLIT_VARIANTS.items():
        for v in variants:
            assert v not in seen, "variant %r in %s and %s" % (v, seen[v], split)
            seen[v] = split
    langs = {}
    for v, (key, split, _, _) in FESTIVAL_VOICES.items():
        langs.setdefault(key, set()).add(split)
    for key, splits in langs.items():
        assert "test" not in splits or splits == {"test"}, "festival test language %r elsewhere" % key
    return True
