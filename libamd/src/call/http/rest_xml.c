/* SPDX-License-Identifier: MIT */
/* The Calls API's XML representation, built from its JSON one (rest_xml.h). */
#include "rest_xml.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

static void xml_name(amdi_buf *b, const char *snake)
{
    int up = 1;
    for (const char *c = snake; *c; c++) {
        if (*c == '_') {
            up = 1;
            continue;
        }
        amdi_buf_putc(b, up && *c >= 'a' && *c <= 'z' ? (char)(*c - 'a' + 'A') : *c);
        up = 0;
    }
}

static void xml_text(amdi_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': amdi_buf_puts(b, "&lt;"); break;
        case '>': amdi_buf_puts(b, "&gt;"); break;
        case '&': amdi_buf_puts(b, "&amp;"); break;
        case '"': amdi_buf_puts(b, "&quot;"); break;
        default: amdi_buf_putc(b, *s);
        }
    }
}

static void xml_scalar(amdi_buf *b, json_t *v)
{
    char num[64];
    if (json_is_string(v))
        xml_text(b, json_string_value(v));
    else if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        amdi_buf_puts(b, num);
    } else if (json_is_real(v)) {
        snprintf(num, sizeof num, "%g", json_real_value(v));
        amdi_buf_puts(b, num);
    } else if (json_is_boolean(v))
        amdi_buf_puts(b, json_is_true(v) ? "true" : "false");
}

/* <Calls><Call>..</Call></Calls>: the element name of one item is the singular. */
static void singular(char *one, size_t cap, const char *tag)
{
    snprintf(one, cap, "%s", tag);
    size_t l = strlen(one);
    if (l > 1 && one[l - 1] == 's')
        one[l - 1] = 0;
}

static void xml_element(amdi_buf *b, const char *name, json_t *v, int pascal)
{
    amdi_buf n;
    amdi_buf_init(&n);
    if (pascal)
        xml_name(&n, name);
    else
        amdi_buf_puts(&n, name);
    const char *tag = n.p ? n.p : "Item";
    if (json_is_null(v)) {
        amdi_buf_printf(b, "<%s/>", tag);
    } else if (json_is_object(v)) {
        amdi_buf_printf(b, "<%s>", tag);
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) xml_element(b, k, x, 1);
        amdi_buf_printf(b, "</%s>", tag);
    } else if (json_is_array(v)) {
        /* <Calls><Call>..</Call></Calls>: the element name is the singular */
        amdi_buf_printf(b, "<%s>", tag);
        char one[64];
        singular(one, sizeof one, tag);
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) xml_element(b, one, x, 0);
        amdi_buf_printf(b, "</%s>", tag);
    } else {
        amdi_buf_printf(b, "<%s>", tag);
        xml_scalar(b, v);
        amdi_buf_printf(b, "</%s>", tag);
    }
    amdi_buf_free(&n);
}

/* A list: the one array becomes the element, the meta keys (page, uri, ...) its attributes. */
static void xml_list(amdi_buf *b, json_t *o)
{
    const char *k, *list = NULL;
    json_t *x;
    json_object_foreach(o, k, x) if (json_is_array(x)) list = k;
    if (list) {
        amdi_buf tag;
        amdi_buf_init(&tag);
        xml_name(&tag, list);
        amdi_buf_printf(b, "<%s", tag.p ? tag.p : "List");
        json_object_foreach(o, k, x)
        {
            if (json_is_array(x))
                continue;
            amdi_buf_putc(b, ' ');
            for (const char *c = k; *c; c++)
                if (*c != '_')
                    amdi_buf_putc(b, *c);
            amdi_buf_puts(b, "=\"");
            xml_scalar(b, x);
            amdi_buf_putc(b, '"');
        }
        amdi_buf_putc(b, '>');
        char one[64];
        singular(one, sizeof one, tag.p ? tag.p : "Item");
        size_t i;
        json_array_foreach(json_object_get(o, list), i, x) xml_element(b, one, x, 0);
        amdi_buf_printf(b, "</%s>", tag.p ? tag.p : "List");
        amdi_buf_free(&tag);
    }
}

void amdi_response_to_xml(amdi_response *out)
{
    if (!out->body || !out->content_type || strncmp(out->content_type, "application/json", 16))
        return;
    json_t *o = json_loads(out->body, 0, NULL);
    if (!o)
        return;
    amdi_buf b;
    amdi_buf_init(&b);
    amdi_buf_puts(&b, "<?xml version='1.0' encoding='UTF-8'?>\n<TwilioResponse>");
    const char *sid = json_string_value(json_object_get(o, "sid"));
    if (json_object_get(o, "more_info") && json_object_get(o, "code")) {
        amdi_buf_puts(&b, "<RestException>");
        static const char *const k[][2] = {{"code", "Code"}, {"message", "Message"}, {"more_info", "MoreInfo"},
                                           {"status", "Status"}};
        for (int i = 0; i < 4; i++)
            xml_element(&b, k[i][1], json_object_get(o, k[i][0]), 0);
        amdi_buf_puts(&b, "</RestException>");
    } else if (sid) {
        xml_element(&b, !strncmp(sid, "RE", 2) ? "Recording" : "Call", o, 0);
    } else {
        xml_list(&b, o);
    }
    amdi_buf_puts(&b, "</TwilioResponse>\n");
    json_decref(o);
    if (b.oom) {
        amdi_buf_free(&b);
        return;
    }
    free(out->body);
    out->body_len = b.len;
    out->body = amdi_buf_take(&b);
    out->content_type = "application/xml; charset=utf-8";
}

