/* SPDX-License-Identifier: MIT */
#include "twilio_errors.h"

#include <stdio.h>

/* Titles as Twilio's error dictionary gives them (https://www.twilio.com/docs/api/errors/<code>). */
static const struct {
    int code;
    const char *title;
} twerr_table[] = {
    {AMDI_TWERR_HTTP_URL_INVALID, "Invalid URL format"},
    {AMDI_TWERR_HTTP_RETRIEVAL, "HTTP retrieval failure"},
    {AMDI_TWERR_HTTP_CONNECTION, "HTTP connection failure"},
    {AMDI_TWERR_HTTP_TOO_MANY_REDIRECTS, "HTTP too many redirects"},
    {AMDI_TWERR_DOCUMENT_PARSE, "Document parse failure"},
    {AMDI_TWERR_SCHEMA, "Schema validation warning"},
    {AMDI_TWERR_CONTENT_TYPE, "Invalid Content-Type"},
    {AMDI_TWERR_GATHER_FINISH_KEY, "Gather: Invalid finishOnKey value"},
    {AMDI_TWERR_GATHER_TIMEOUT, "Gather: Invalid timeout value"},
    {AMDI_TWERR_GATHER_NUM_DIGITS, "Gather: Invalid numDigits value"},
    {AMDI_TWERR_GATHER_EMPTY_RESULT, "Gather: Invalid actionOnEmptyResult value"},
    {AMDI_TWERR_PLAY_BAD_AUDIO, "Play: Invalid Content-Type"},
    {AMDI_TWERR_PLAY_BAD_DIGITS, "Play: Invalid digits"},
    {AMDI_TWERR_SAY_BAD_VOICE, "Say: Invalid voice"},
    {AMDI_TWERR_SAY_BAD_LANGUAGE, "Say: Invalid language"},
    {AMDI_TWERR_SAY_EMPTY, "Say: Invalid text"},
    {AMDI_TWERR_SAY_TOO_LONG, "Say: Invalid text length"},
    {AMDI_TWERR_RECORD_TIMEOUT, "Record: Invalid timeout value"},
    {AMDI_TWERR_RECORD_MAX_LENGTH, "Record: Invalid maxLength value"},
    {AMDI_TWERR_RECORD_FINISH_KEY, "Record: Invalid finishOnKey value"},
    {AMDI_TWERR_RECORD_CB_EVENT, "Invalid 'recordingStatusCallbackEvent'"},
    {AMDI_TWERR_RECORDING_NOT_STORED, "Recording could not be stored"},
    {AMDI_TWERR_INVALID_PARAMETER, "Unknown parameter"},
    {AMDI_TWERR_AUTHENTICATE, "Permission Denied"},
    {AMDI_TWERR_METHOD_NOT_ALLOWED, "Method not allowed"},
    {AMDI_TWERR_NOT_FOUND, "Not Found"},
    {AMDI_TWERR_TOO_MANY_REQUESTS, "Too Many Requests"},
    {AMDI_TWERR_INTERNAL, "Internal Server Error"},
    {AMDI_TWERR_UNAVAILABLE, "Service Unavailable"},
    {AMDI_TWERR_CALLS, "Calls Resource"},
    {AMDI_TWERR_TO_MISSING, "No 'To' number specified"},
    {AMDI_TWERR_URL_INVALID, "Invalid URL"},
    {AMDI_TWERR_SEND_DIGITS_INVALID, "Invalid SendDigits"},
    {AMDI_TWERR_IF_MACHINE_INVALID, "Invalid IfMachine"},
    {AMDI_TWERR_TIMEOUT_INVALID, "Invalid Timeout"},
    {AMDI_TWERR_METHOD_INVALID, "Invalid Method"},
    {AMDI_TWERR_TO_INVALID, "Invalid 'To' Phone Number"},
    {AMDI_TWERR_FROM_INVALID, "Invalid 'From' Phone Number"},
    {AMDI_TWERR_FROM_MISSING, "'From' phone number is required"},
    {AMDI_TWERR_TO_UNREACHABLE, "'To' phone number cannot be reached"},
    {AMDI_TWERR_GEO_PERMISSION, "Geo Permission configuration is not permitting call"},
    {AMDI_TWERR_BLOCKED, "Call blocked by Twilio blocklist"},
    {AMDI_TWERR_NUMBER_NOT_VALID, "Phone number does not appear to be valid"},
    {AMDI_TWERR_APPLICATION_SID_INVALID, "Invalid ApplicationSid"},
    {AMDI_TWERR_CALL_STATE_INVALID, "Invalid call state"},
    {AMDI_TWERR_AMD_NO_CALLBACK, "No AMD status callback URL provided"},
    {AMDI_TWERR_AMD_PARAMS_INVALID, "Invalid Answering Machine Detection Parameters"},
    {AMDI_TWERR_PAGE_TOKEN_INVALID, "Invalid PageToken"},
};

#define TWERR_N (sizeof twerr_table / sizeof twerr_table[0])

const char *amdi_twerr_title(int code)
{
    for (size_t i = 0; i < TWERR_N; i++)
        if (twerr_table[i].code == code)
            return twerr_table[i].title;
    return NULL;
}

/* Twilio's dictionary: 12200, the <Gather>/<Play>/<Say>/<Record> attribute codes and the AMD
 * callback code are WARNINGs; fetch, parse, Content-Type and everything else are ERRORs. */
int amdi_twerr_is_warning(int code)
{
    switch (code) {
    case AMDI_TWERR_SCHEMA:
    case AMDI_TWERR_GATHER_FINISH_KEY:
    case AMDI_TWERR_GATHER_TIMEOUT:
    case AMDI_TWERR_GATHER_NUM_DIGITS:
    case AMDI_TWERR_PLAY_BAD_DIGITS:
    case AMDI_TWERR_SAY_BAD_VOICE:
    case AMDI_TWERR_SAY_BAD_LANGUAGE:
    case AMDI_TWERR_SAY_EMPTY:
    case AMDI_TWERR_SAY_TOO_LONG:
    case AMDI_TWERR_RECORD_TIMEOUT:
    case AMDI_TWERR_RECORD_MAX_LENGTH:
    case AMDI_TWERR_RECORD_FINISH_KEY:
    case AMDI_TWERR_AMD_NO_CALLBACK:
        return 1;
    default:
        return 0;
    }
}

void amdi_twerr_more_info(int code, char *out, size_t outlen)
{
    snprintf(out, outlen, "https://www.twilio.com/docs/errors/%d", code);
}

size_t amdi_twerr_count(void)
{
    return TWERR_N;
}

int amdi_twerr_code_at(size_t i)
{
    return i < TWERR_N ? twerr_table[i].code : 0;
}
