/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * The console's page, style sheet and script, compiled into the binary from the plain files
 * in libamd/src/call/console/assets/ at build time (cmake/embed_assets.cmake): the console
 * loads nothing from the network. */
#ifndef AMDI_CONSOLE_ASSETS_H
#define AMDI_CONSOLE_ASSETS_H

#include <stddef.h>

typedef struct amdi_asset {
    const char *name; /* file name, e.g. "console.js" */
    const unsigned char *data;
    size_t len;
} amdi_asset;

extern const amdi_asset amdi_console_assets[]; /* ends with a NULL name */

#endif
