/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * Where an exported corpus (corpus_export.h) goes: a folder on disk, or a POSIX ustar archive
 * in memory (IEEE Std 1003.1 "pax" format's ustar header) that the API sends. */
#ifndef AMDI_EXPORT_SINK_H
#define AMDI_EXPORT_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/* Folder sink: @p user is the folder path (created 0700 if missing; files written 0600,
 * replacing what was there). Names must be relative and free of ".." components. */
int amdi_export_dir_put(void *user, const char *name, const uint8_t *data, size_t len);

/* Tar sink: @p user is an amdi_buf the archive is appended to (entries under "corpus/").
 * Call amdi_export_tar_end once after the last file. */
int amdi_export_tar_put(void *user, const char *name, const uint8_t *data, size_t len);
int amdi_export_tar_end(amdi_buf *b);

/* The archive size limit of the tar sink (the API refuses bigger exports: use the folder). */
#define AMDI_EXPORT_TAR_MAX (512L * 1024 * 1024)

#endif
