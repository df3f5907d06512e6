/* SPDX-License-Identifier: MIT */
/* Twilio <Say> voices and languages → espeak-ng voices (tts_voices.h).
 *
 * Rules:
 *  - `man` (Twilio's default) → espeak-ng variant m3; `woman` and the legacy `alice` → f3.
 *  - `Polly.<Name>` with an optional `-Neural` / `-Generative` suffix: the Amazon Polly voice's
 *    own gender and language (Amazon Polly "Available voices" list) from POLLY below; an
 *    explicit `language` attribute wins over the voice's language.
 *  - `Google.<ll-CC>-<model>-<letter>` (e.g. Google.en-US-Standard-C): the language in its
 *    name; Google's letters carry no fixed gender, so the variant is Twilio's default, man.
 *  - anything else: warning 13511, `man`.
 *  - `language`: LANGS below (case-insensitive); a tag espeak-ng has no voice for, or one not
 *    in the table: warning 13512 and en-US. Tags without their own espeak-ng accent use the
 *    nearest one (noted in the table).
 * espeak-ng's voice names are those `espeak-ng --voices` lists (Debian espeak-ng-data 1.51). */
#include "media/tts_voices.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *tag, *espeak;
} LANGS[] = {
    {"en-US", "en-us"}, {"en-GB", "en-gb"}, {"en-AU", "en-gb"} /* no en-au */, {"en-CA", "en-us"},
    {"en-IN", "en-gb"} /* no en-in */, {"en-NZ", "en-gb"}, {"en-ZA", "en-gb"}, {"en-IE", "en-gb"},
    {"cy-GB", "cy"}, {"es-ES", "es"}, {"es-MX", "es-419"}, {"es-US", "es-419"}, {"ca-ES", "ca"},
    {"fr-FR", "fr-fr"}, {"fr-CA", "fr-fr"} /* no fr-ca */, {"fr-BE", "fr-be"}, {"fr-CH", "fr-ch"},
    {"de-DE", "de"}, {"de-AT", "de"}, {"de-CH", "de"}, {"it-IT", "it"}, {"pt-BR", "pt-br"},
    {"pt-PT", "pt"}, {"nl-NL", "nl"}, {"nl-BE", "nl"}, {"da-DK", "da"}, {"nb-NO", "nb"},
    {"sv-SE", "sv"}, {"fi-FI", "fi"}, {"is-IS", "is"}, {"pl-PL", "pl"}, {"cs-CZ", "cs"},
    {"sk-SK", "sk"}, {"hu-HU", "hu"}, {"ro-RO", "ro"}, {"bg-BG", "bg"}, {"hr-HR", "hr"},
    {"sl-SI", "sl"}, {"el-GR", "el"}, {"tr-TR", "tr"}, {"ru-RU", "ru"}, {"uk-UA", "uk"},
    {"ar-AE", "ar"}, {"arb", "ar"}, {"he-IL", "he"}, {"hi-IN", "hi"}, {"id-ID", "id"},
    {"ms-MY", "ms"}, {"vi-VN", "vi"}, {"th-TH", "th"}, {"ja-JP", "ja"}, {"ko-KR", "ko"},
    {"zh-CN", "cmn"}, {"cmn-CN", "cmn"}, {"zh-TW", "cmn"}, {"zh-HK", "yue"}, {"yue-CN", "yue"},
    {"yue-HK", "yue"},
};

static const struct {
    const char *name, *tag;
    int female;
} POLLY[] = {
    {"Joanna", "en-US", 1}, {"Salli", "en-US", 1}, {"Kimberly", "en-US", 1}, {"Kendra", "en-US", 1},
    {"Ivy", "en-US", 1}, {"Ruth", "en-US", 1}, {"Danielle", "en-US", 1}, {"Matthew", "en-US", 0},
    {"Joey", "en-US", 0}, {"Justin", "en-US", 0}, {"Kevin", "en-US", 0}, {"Stephen", "en-US", 0},
    {"Gregory", "en-US", 0}, {"Amy", "en-GB", 1}, {"Emma", "en-GB", 1}, {"Brian", "en-GB", 0},
    {"Arthur", "en-GB", 0}, {"Nicole", "en-AU", 1}, {"Olivia", "en-AU", 1}, {"Russell", "en-AU", 0},
    {"Raveena", "en-IN", 1}, {"Aditi", "en-IN", 1}, {"Kajal", "en-IN", 1}, {"Geraint", "cy-GB", 0},
    {"Gwyneth", "cy-GB", 1}, {"Aria", "en-NZ", 1}, {"Ayanda", "en-ZA", 1}, {"Niamh", "en-IE", 1},
    {"Conchita", "es-ES", 1}, {"Lucia", "es-ES", 1}, {"Enrique", "es-ES", 0}, {"Sergio", "es-ES", 0},
    {"Mia", "es-MX", 1}, {"Andres", "es-MX", 0}, {"Lupe", "es-US", 1}, {"Penelope", "es-US", 1},
    {"Miguel", "es-US", 0}, {"Pedro", "es-US", 0}, {"Celine", "fr-FR", 1}, {"Lea", "fr-FR", 1},
    {"Mathieu", "fr-FR", 0}, {"Remi", "fr-FR", 0}, {"Chantal", "fr-CA", 1}, {"Gabrielle", "fr-CA", 1},
    {"Liam", "fr-CA", 0}, {"Marlene", "de-DE", 1}, {"Vicki", "de-DE", 1}, {"Hans", "de-DE", 0},
    {"Daniel", "de-DE", 0}, {"Hannah", "de-AT", 1}, {"Carla", "it-IT", 1}, {"Bianca", "it-IT", 1},
    {"Giorgio", "it-IT", 0}, {"Adriano", "it-IT", 0}, {"Camila", "pt-BR", 1}, {"Vitoria", "pt-BR", 1},
    {"Ricardo", "pt-BR", 0}, {"Thiago", "pt-BR", 0}, {"Ines", "pt-PT", 1}, {"Cristiano", "pt-PT", 0},
    {"Lotte", "nl-NL", 1}, {"Laura", "nl-NL", 1}, {"Ruben", "nl-NL", 0}, {"Naja", "da-DK", 1},
    {"Sofie", "da-DK", 1}, {"Mads", "da-DK", 0}, {"Liv", "nb-NO", 1}, {"Ida", "nb-NO", 1},
    {"Astrid", "sv-SE", 1}, {"Elin", "sv-SE", 1}, {"Suvi", "fi-FI", 1}, {"Dora", "is-IS", 1},
    {"Karl", "is-IS", 0}, {"Ewa", "pl-PL", 1}, {"Maja", "pl-PL", 1}, {"Jacek", "pl-PL", 0},
    {"Jan", "pl-PL", 0}, {"Ola", "pl-PL", 1}, {"Carmen", "ro-RO", 1}, {"Filiz", "tr-TR", 1},
    {"Tatyana", "ru-RU", 1}, {"Maxim", "ru-RU", 0}, {"Zeina", "arb", 1}, {"Hala", "ar-AE", 1},
    {"Mizuki", "ja-JP", 1}, {"Takumi", "ja-JP", 0}, {"Kazuha", "ja-JP", 1}, {"Seoyeon", "ko-KR", 1},
    {"Zhiyu", "cmn-CN", 1}, {"Hiujin", "yue-CN", 1},
};

static const char *espeak_lang(const char *tag, const char **canonical)
{
    for (size_t i = 0; i < sizeof LANGS / sizeof LANGS[0]; i++)
        if (!strcasecmp(tag, LANGS[i].tag)) {
            *canonical = LANGS[i].tag;
            return LANGS[i].espeak;
        }
    return NULL;
}

/* Voice name → gender and (for Polly / Google) the voice's own language; 0 if unknown. */
static int parse_voice(const char *v, int *female, char *lang, size_t langlen)
{
    lang[0] = '\0';
    if (!v || !v[0] || !strcmp(v, "man")) {
        *female = 0;
        return 1;
    }
    if (!strcmp(v, "woman") || !strcmp(v, "alice")) {
        *female = 1;
        return 1;
    }
    if (!strncmp(v, "Polly.", 6)) {
        const char *name = v + 6;
        size_t n = strcspn(name, "-");
        if (name[n] && strcmp(name + n, "-Neural") && strcmp(name + n, "-Generative"))
            return 0;
        for (size_t i = 0; i < sizeof POLLY / sizeof POLLY[0]; i++)
            if (strlen(POLLY[i].name) == n && !strncmp(name, POLLY[i].name, n)) {
                *female = POLLY[i].female;
                snprintf(lang, langlen, "%s", POLLY[i].tag);
                return 1;
            }
        return 0;
    }
    if (!strncmp(v, "Google.", 7)) {
        const char *name = v + 7; /* ll-CC-Model-X */
        const char *d1 = strchr(name, '-');
        const char *d2 = d1 ? strchr(d1 + 1, '-') : NULL;
        if (!d2 || !strchr(d2 + 1, '-') || (size_t)(d2 - name) >= langlen)
            return 0;
        snprintf(lang, langlen, "%.*s", (int)(d2 - name), name);
        const char *canon;
        if (!espeak_lang(lang, &canon))
            return 0;
        *female = 0;
        return 1;
    }
    return 0;
}

int amdi_tts_voice_resolve(const char *voice, const char *language, amdi_tts_voice *out)
{
    memset(out, 0, sizeof *out);
    char vlang[16];
    int female = 0;
    if (!parse_voice(voice, &female, vlang, sizeof vlang)) {
        out->voice_warning = AMDI_TWILIO_SAY_BAD_VOICE;
        female = 0;
        vlang[0] = '\0';
    }
    const char *tag = language && language[0] ? language : vlang[0] ? vlang : "en-US";
    const char *canon = "en-US";
    const char *es = espeak_lang(tag, &canon);
    if (!es) {
        out->language_warning = AMDI_TWILIO_SAY_BAD_LANGUAGE;
        es = espeak_lang("en-US", &canon);
    }
    out->female = female;
    snprintf(out->language, sizeof out->language, "%s", canon);
    snprintf(out->espeak, sizeof out->espeak, "%s+%s", es, female ? "f3" : "m3");
    return out->voice_warning ? out->voice_warning : out->language_warning;
}
