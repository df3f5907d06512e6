/* SPDX-License-Identifier: MIT */
/* Part of libamdcall (the call server).
 * The simulated carrier driver: legs follow the dial plan (post-dial delay, ring time,
 * outcome) and an answered leg streams its route's audio in 20 ms frames, then silence.
 * Unmatched numbers fail like an unroutable number (status failed, SIP 404). */
#ifndef AMDI_SIM_H
#define AMDI_SIM_H

#include "dialplan.h"
#include "driver.h"

/* The dial plan is borrowed and must outlive the driver. */
int amdi_sim_driver_create(const amdi_dialplan *plan, amdi_driver *out);

#endif
