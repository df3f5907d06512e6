/* SPDX-License-Identifier: MIT */
/* libamdcall: the Twilio error codes this server reports, by name, with Twilio's title for each
 * and the address of its public page (https://www.twilio.com/docs/api/errors). The message of
 * an individual error is written where it is raised; the code and its title live only here. */
#ifndef AMDI_TWILIO_ERRORS_H
#define AMDI_TWILIO_ERRORS_H

#include <stddef.h>

typedef enum amdi_twerr {
    /* fetching TwiML and media (warnings on the call's Events / notifications) */
    AMDI_TWERR_HTTP_URL_INVALID = 11100,       /* "Invalid URL format" */
    AMDI_TWERR_HTTP_RETRIEVAL = 11200,         /* "HTTP retrieval failure" */
    AMDI_TWERR_HTTP_CONNECTION = 11205,        /* "HTTP connection failure" */
    AMDI_TWERR_HTTP_TOO_MANY_REDIRECTS = 11215, /* "HTTP too many redirects" */
    /* TwiML documents */
    AMDI_TWERR_DOCUMENT_PARSE = 12100, /* "Document parse failure" */
    AMDI_TWERR_SCHEMA = 12200,         /* "Schema validation warning" */
    AMDI_TWERR_CONTENT_TYPE = 12300,   /* "Invalid Content-Type" */
    /* <Gather> */
    AMDI_TWERR_GATHER_FINISH_KEY = 13310,  /* "Gather: Invalid finishOnKey value" */
    AMDI_TWERR_GATHER_TIMEOUT = 13313,     /* "Gather: Invalid timeout value" */
    AMDI_TWERR_GATHER_NUM_DIGITS = 13314,  /* "Gather: Invalid numDigits value" */
    AMDI_TWERR_GATHER_EMPTY_RESULT = 13338, /* "Gather: Invalid actionOnEmptyResult value" */
    /* <Play> and <Say> */
    AMDI_TWERR_DIAL_IN_WHISPER = 13201,   /* "Dial: Cannot Dial out from a Dial Call Segment" */
    AMDI_TWERR_DIAL_NUMBER_INVALID = 13224, /* "Dial: Invalid phone number" */
    AMDI_TWERR_PLAY_BAD_AUDIO = 13420,    /* "Play: Invalid Content-Type" */
    AMDI_TWERR_PLAY_BAD_DIGITS = 13430,   /* "Play: Invalid digits" */
    AMDI_TWERR_SAY_BAD_VOICE = 13511,     /* "Say: Invalid voice" */
    AMDI_TWERR_SAY_BAD_LANGUAGE = 13512,  /* "Say: Invalid language" */
    AMDI_TWERR_SAY_EMPTY = 13520,         /* "Say: Invalid text" */
    AMDI_TWERR_SAY_TOO_LONG = 13521,      /* "Say: Invalid text length" */
    /* <Record> */
    AMDI_TWERR_RECORD_TIMEOUT = 13611,    /* "Record: Invalid timeout value" */
    AMDI_TWERR_RECORD_MAX_LENGTH = 13612, /* "Record: Invalid maxLength value" */
    AMDI_TWERR_RECORD_FINISH_KEY = 13613, /* "Record: Invalid finishOnKey value" */
    AMDI_TWERR_RECORD_CB_EVENT = 13621,   /* "Invalid 'recordingStatusCallbackEvent'" */
    /* recordings */
    AMDI_TWERR_RECORDING_NOT_STORED = 16104, /* used for every "recording could not be made" */
    /* REST API */
    AMDI_TWERR_INVALID_PARAMETER = 20001, /* "Unknown parameter" (also out-of-range paging) */
    AMDI_TWERR_AUTHENTICATE = 20003,      /* "Permission Denied" / "Authenticate" */
    AMDI_TWERR_METHOD_NOT_ALLOWED = 20004,
    AMDI_TWERR_NOT_FOUND = 20404,
    AMDI_TWERR_TOO_MANY_REQUESTS = 20429,
    AMDI_TWERR_INTERNAL = 20500,
    AMDI_TWERR_UNAVAILABLE = 20503,
    /* the Calls resource */
    AMDI_TWERR_CALLS = 21200, /* "Calls Resource": any other invalid parameter */
    AMDI_TWERR_TO_MISSING = 21201,
    AMDI_TWERR_URL_INVALID = 21205,
    AMDI_TWERR_SEND_DIGITS_INVALID = 21206,
    AMDI_TWERR_IF_MACHINE_INVALID = 21207,
    AMDI_TWERR_TIMEOUT_INVALID = 21208,
    AMDI_TWERR_METHOD_INVALID = 21209,
    AMDI_TWERR_TO_INVALID = 21211,
    AMDI_TWERR_FROM_INVALID = 21212,
    AMDI_TWERR_FROM_MISSING = 21213,
    AMDI_TWERR_TO_UNREACHABLE = 21214,
    AMDI_TWERR_GEO_PERMISSION = 21215,
    AMDI_TWERR_BLOCKED = 21216,
    AMDI_TWERR_NUMBER_NOT_VALID = 21217,
    AMDI_TWERR_APPLICATION_SID_INVALID = 21218,
    AMDI_TWERR_CALL_STATE_INVALID = 21220,
    AMDI_TWERR_AMD_NO_CALLBACK = 21262,
    AMDI_TWERR_AMD_PARAMS_INVALID = 21263,
    AMDI_TWERR_PAGE_TOKEN_INVALID = 21481,
} amdi_twerr;

/* Twilio's title of @p code ("Invalid URL"), NULL for a code not in the table. */
const char *amdi_twerr_title(int code);
/* 1 when Twilio's dictionary logs @p code as a WARNING (Notifications `log` "1"), 0 for an
 * ERROR ("0"). */
int amdi_twerr_is_warning(int code);
/* The code's public page, https://www.twilio.com/docs/errors/<code>, into @p out. */
void amdi_twerr_more_info(int code, char *out, size_t outlen);
/* The table's codes in ascending order: amdi_twerr_code_at(0 .. amdi_twerr_count() - 1). */
size_t amdi_twerr_count(void);
int amdi_twerr_code_at(size_t i);

#endif
