/* SPDX-License-Identifier: MIT */
/* G.711 helpers beyond the public amd_ulaw_* / amd_alaw_* functions. Internal. */
#ifndef AMDI_G711_H
#define AMDI_G711_H

#include <stdint.h>

/* Fill decode tables (256 entries each) with amd_ulaw_decode / amd_alaw_decode. */
void amdi_g711_tables(int16_t ulaw[256], int16_t alaw[256]);

#endif /* AMDI_G711_H */
