/* SPDX-License-Identifier: MIT */
/**
 * @file amd.h
 * libamd umbrella header: answering-machine detection for telephone audio.
 *
 * Threading: one detector per thread at a time; distinct detectors are fully
 * parallel; models are shared read-only. The library starts no threads,
 * keeps no global mutable state (except a lock around FFT planning), never
 * prints and never exits; it logs through a user callback.
 */
#ifndef AMD_AMD_H
#define AMD_AMD_H

#include "amd/version.h"
#include "amd/error.h"
#include "amd/log.h"
#include "amd/model.h"
#include "amd/detector.h"
#include "amd/params.h"

#endif /* AMD_AMD_H */
